// A progress bar (jobs, shards, orchestrations): decoration next to its text, and a labelled progressbar for assistive tech.
import { h } from '../lib/dom';

/** A fraction as the bar's whole percent, clamped to 0–100 (not a number: 0). */
export const progressPercent = (fraction: number): number => Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0)) * 100;

export function progressBar(fraction: number, { label, state = '', big = false }: { label: string; state?: string; big?: boolean }): HTMLSpanElement {
  const pct = progressPercent(fraction);
  const fill = h('span', { class: 'progress-fill' });
  fill.style.width = `${pct}%`; // CSSOM: allowed under the CSP
  return h('span', {
    class: `progress${big ? ' big' : ''}${state ? ` ${state}` : ''}`, role: 'progressbar', 'aria-label': label,
    'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.floor(pct)),
  }, fill);
}
