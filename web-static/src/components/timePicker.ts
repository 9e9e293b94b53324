// The global time picker: 1 h, 24 h, 7 d, 30 d, or a custom from–to. The choice lives in the URL (windowParams), so
// every chart page reads the same window and a link or reload keeps it.
import { h } from '../lib/dom';
import { fromLocalInput, PRESET_LABELS, PRESETS, toLocalInput, type Preset, type TimeWindow } from '../lib/timeWindow';

export function timePicker(current: TimeWindow, choose: (window: TimeWindow) => void): HTMLElement {
  const presets = (Object.keys(PRESETS) as Preset[]).map((preset) => h('button', {
    type: 'button',
    class: 'segment',
    'aria-pressed': String(current.preset === preset),
    onclick: () => choose({ preset, from: current.from, to: current.to }),
  }, PRESET_LABELS[preset]));

  const from = h('input', { type: 'datetime-local', value: toLocalInput(current.from), 'aria-label': 'From' });
  const to = h('input', { type: 'datetime-local', value: toLocalInput(current.to), 'aria-label': 'To' });
  const problem = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const custom = h('details', { class: 'time-custom', open: current.preset === 'custom' },
    h('summary', { class: 'segment', 'aria-pressed': String(current.preset === 'custom') }, 'Custom'),
    h('form', {
      class: 'time-custom-form',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const f = fromLocalInput(from.value);
        const t = fromLocalInput(to.value);
        if (!f || !t || f >= t) {
          problem.textContent = 'Choose a start before the end.';
          problem.hidden = false;
          return;
        }
        choose({ preset: 'custom', from: f, to: t });
      },
    }, from, h('span', { 'aria-hidden': 'true' }, '–'), to, h('button', { type: 'submit', class: 'btn secondary small' }, 'Apply'), problem));

  return h('div', { class: 'time-picker', role: 'group', 'aria-label': 'Time window' }, presets, custom);
}
