// Emergency controls: the kill switch (ControlsApi.cs). The status is the shell's (it watches it from every page for
// its banner): the page draws each read of it, pulls and lifts the switch (controls permission), and shows the last
// control actions from the audit log (audit_read).
import { call, type Schemas } from '../api/client';
import { ApiError, SessionEnded } from '../api/errors';
import { actorLabel, loadActorNames } from '../components/actors';
import { openDialog } from '../components/dialog';
import { field, formText, handleSubmit } from '../components/forms';
import { emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { cell } from '../components/table';
import { relative, timeEl, timeOfDay } from '../components/time';
import { actionFailed, toast } from '../components/toast';
import { h, nextId, setChildren, withFocusKept } from '../lib/dom';
import { fmtInt, plural } from '../lib/format';
import { hashHref } from '../lib/href';
import { textProp } from '../lib/json';
import type { PageContext } from './context';

type ControlStatus = Schemas['ControlStatus'];
type AuditRow = Schemas['AuditView'];

const RECENT_ROWS = 8;
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Agents paused one by one (the switch leaves them paused when it is lifted). */
export const pausedOnPurpose = (s: Pick<ControlStatus, 'paused_agents' | 'paused_by_kill_switch'>): number => s.paused_agents - s.paused_by_kill_switch;

/** "2 agents paused on purpose stay paused." */
export const stayPausedText = (n: number): string => `${plural(n, 'agent')} paused on purpose ${n === 1 ? 'stays' : 'stay'} paused.`;

/** The reason of a control action: kill switch and resume-all rows keep it as after.reason, pause and resume rows as after.paused_reason. */
export const controlReason = (r: Pick<AuditRow, 'after'>): string | null => textProp(r.after, 'reason') ?? textProp(r.after, 'paused_reason');

/** The agent a pause or resume row is about, by name (null: not an agent's row, or no name recorded). */
export const controlAgentName = (r: Pick<AuditRow, 'entity_type' | 'before' | 'after'>): string | null =>
  (r.entity_type === 'agent' ? textProp(r.after, 'name') ?? textProp(r.before, 'name') : null);

export function viewControls(main: HTMLElement, ctx: PageContext): void {
  let recent: AuditRow[] | Error | null = null; // audit readers: the last control actions
  let actorNames = new Map<string, string>();
  let drawnKey: string | null = null; // the status drawn, to redraw only on a change
  const controls = ctx.holds('controls');
  const audit = ctx.holds('audit_read');
  const refresh = h('button', { type: 'button', class: 'btn secondary', onclick: () => void load({ manual: true }) }, 'Refresh');
  const checked = h('p', { class: 'muted small live-note' });
  const body = h('div', { class: 'stack-lg' }, loadingPanel('Reading the kill switch…'));
  main.append(
    pageHeader('Emergency controls', 'Stop every agent of the organization at once, and see what is paused. The status is re-checked every 10 seconds.', refresh),
    checked, body);

  ctx.onControlStatus((status) => {
    checked.textContent = `Checked at ${timeOfDay(ctx.controlStatus()?.checkedAt ?? new Date())}`;
    if (JSON.stringify(status) === drawnKey) return;
    draw(status);
    void loadRecent();
  });

  async function load({ manual = false } = {}): Promise<void> {
    refresh.disabled = true;
    try {
      await ctx.checkControls(); // draws through the listener
      if (manual) toast('Status refreshed.', 'info');
    } catch (e) {
      if (ctx.alive() && !ctx.controlStatus()) setChildren(body, errorPanel(e, () => void load(), ctx.onForbidden));
      else if (ctx.alive()) actionFailed('Could not refresh the status', e);
    } finally {
      refresh.disabled = false;
    }
  }

  async function loadRecent(): Promise<void> {
    if (!audit) return;
    try {
      const [page, names] = await Promise.all([
        call(ctx.transport, 'listAuditLog', { query: { action: 'control.*', limit: RECENT_ROWS } }),
        actorNames.size ? actorNames : loadActorNames(ctx),
      ]);
      if (!ctx.alive()) return;
      recent = page.items;
      actorNames = names;
    } catch (e) {
      if (e instanceof SessionEnded || !ctx.alive()) return;
      recent = e instanceof Error ? e : new Error(String(e));
    }
    const slot = body.querySelector('.recent-slot');
    if (slot) setChildren(slot, recentCard());
  }

  function draw(status: ControlStatus): void {
    drawnKey = JSON.stringify(status);
    withFocusKept(body, () => setChildren(body,
      statusCard(status),
      controls ? actionCard(status) : h('section', { class: 'card' },
        h('h2', {}, 'Who can stop agents'),
        h('p', {}, 'Admins and team leads can pause agents and pull the kill switch. If agents must be stopped now, ask one of them.')),
      audit ? h('div', { class: 'recent-slot' }, recentCard()) : null));
  }

  function statusCard(s: ControlStatus): HTMLElement {
    const titleId = nextId('switch');
    const stat = (label: string, value: number, sub: string | null = null, href: string | null = null) => h('div', { class: 'stat' },
      h('dt', {}, label),
      h('dd', {}, h('span', { class: 'stat-value' }, fmtInt(value)),
        sub && h('span', { class: 'stat-sub' }, href ? h('a', { href }, sub) : sub)));
    return h('section', { class: `card control-status ${s.killed ? 'on' : 'off'}`, 'aria-labelledby': titleId },
      h('div', { class: 'control-state' },
        h('span', { class: 'control-light', 'aria-hidden': 'true' }),
        h('div', {},
          h('h2', { id: titleId }, s.killed ? 'Kill switch is ON' : 'Kill switch is off'),
          h('p', {}, s.killed
            ? ['Pulled ', timeEl(s.killed_at, { rel: true }), ` (${dateTime.format(new Date(s.killed_at ?? ''))}). Every agent it paused stays paused, and ingest refuses their events, until someone uses Resume all.`]
            : 'Agents run normally. Agents paused one by one stay paused until they are resumed.'))),
      s.killed && h('div', { class: 'kill-reason' }, h('p', { class: 'strong' }, 'Reason'), h('p', {}, s.killed_reason ?? '—')),
      h('dl', { class: 'stats three' },
        stat('Active agents', s.active_agents, s.active_agents ? 'Show them' : null, '#/agents?status=active'),
        stat('Paused agents', s.paused_agents, s.paused_agents ? 'Show them' : null, '#/agents?status=paused'),
        stat('Paused by the kill switch', s.paused_by_kill_switch, s.paused_agents ? `${fmtInt(pausedOnPurpose(s))} paused on purpose` : null)),
      s.killed && s.active_agents > 0 && h('div', { class: 'alert warning' },
        h('p', { class: 'strong' }, `${plural(s.active_agents, 'agent is', 'agents are')} active although the switch is on.`),
        h('p', {}, 'They were restored, registered or resumed through the agents API after it was pulled. Pulling the switch again pauses them.')));
  }

  function actionCard(s: ControlStatus): HTMLElement {
    const titleId = nextId('action');
    if (!s.killed) {
      return h('section', { class: 'card danger-zone', 'aria-labelledby': titleId },
        h('h2', { id: titleId }, 'Kill switch'),
        h('p', {}, `Pauses every active agent of the organization in one step (${plural(s.active_agents, 'agent')} right now). Within a second, ingest refuses their events with agent_paused, which the SDKs treat as “stop”.`),
        h('p', { class: 'muted' }, 'Agents already paused stay paused, and Resume all later resumes only the agents the switch paused. Everyone sees a red banner while it is on; the action is kept in the audit log.'),
        h('div', {}, h('button', { type: 'button', class: 'btn danger big', dataset: { focus: 'kill' }, onclick: () => openKillSwitch(s) }, h('span', { class: 'kill-glyph', 'aria-hidden': 'true' }), 'Kill switch: pause all agents')));
    }
    const onPurpose = pausedOnPurpose(s);
    return h('section', { class: 'card', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, 'Resume all'),
      h('p', {}, `Lifts the kill switch and resumes the ${plural(s.paused_by_kill_switch, 'agent')} it paused. Their events are accepted again within a second.`),
      onPurpose > 0 && h('p', { class: 'muted' }, stayPausedText(onPurpose)),
      h('div', { class: 'form-actions start' },
        h('button', { type: 'button', class: 'btn primary', dataset: { focus: 'resume-all' }, onclick: () => openResumeAll(s) }, 'Resume all…'),
        s.active_agents > 0 && h('button', { type: 'button', class: 'btn danger', dataset: { focus: 'kill-again' }, onclick: () => openKillSwitch(s) }, `Pause the ${plural(s.active_agents, 'active agent')}…`)));
  }

  function recentCard(): HTMLElement {
    const titleId = nextId('recent');
    const head = h('div', { class: 'card-head' },
      h('h2', { id: titleId }, 'Recent control actions'),
      h('a', { href: hashHref('/audit', { action: 'control.*' }) }, 'All in the audit log'));
    if (recent === null) return h('section', { class: 'card flush recent', 'aria-labelledby': titleId }, head, loadingPanel('Loading…'));
    if (recent instanceof Error) {
      return h('section', { class: 'card recent', 'aria-labelledby': titleId }, head,
        h('p', { class: 'field-error' }, recent instanceof ApiError ? recent.detail : 'Could not load them.'));
    }
    return h('section', { class: 'card flush recent', 'aria-labelledby': titleId }, head,
      recent.length
        ? h('div', { class: 'table-wrap' }, h('table', { class: 'table dense' },
          h('caption', { class: 'sr-only' }, 'The last pauses, resumes and kill switch actions'),
          h('thead', {}, h('tr', {}, ['Time', 'Who', 'Action', 'Agent', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, recent.map((r) => h('tr', {},
            cell('Time', timeEl(r.created_at, { withTime: true }), h('span', { class: 'muted small block' }, relative(r.created_at))),
            cell('Who', actorLabel(r, actorNames)),
            cell('Action', h('code', { class: 'chip action-control' }, r.action)),
            cell('Agent', r.entity_type === 'agent' ? (controlAgentName(r) ?? h('code', {}, r.entity_id)) : h('span', { class: 'muted' }, 'All agents')),
            cell('Reason', controlReason(r) ?? h('span', { class: 'muted' }, '—')))))))
        : emptyState('No control actions yet', 'Pauses, resumes and kill switch actions appear here.'));
  }

  function reasonField({ required }: { required: boolean }): HTMLElement {
    return field({
      label: 'Reason', name: 'reason', optional: !required, control: h('textarea', { rows: 3, maxlength: 500, required }),
      hint: required ? 'Shown to everyone in the red banner and kept in the audit log. Up to 500 characters.' : 'Kept in the audit log. Up to 500 characters.',
    });
  }

  function openKillSwitch(s: ControlStatus): void {
    const again = s.killed;
    const org = ctx.org()?.name ?? 'the organization';
    const form = h('form', { class: 'stack' },
      h('div', { class: 'alert error consequence' },
        h('p', { class: 'strong' }, again
          ? `This pauses the ${plural(s.active_agents, 'agent')} still active in ${org}.`
          : `This stops every agent of ${org} at once.`),
        h('ul', {},
          h('li', {}, `${plural(s.active_agents, 'active agent')} ${s.active_agents === 1 ? 'is' : 'are'} paused now, and within a second ingest refuses their events (agent_paused).`),
          h('li', {}, 'Runs in progress lose whatever they send from then on.'),
          h('li', {}, 'Agents registered while the switch is on start paused.'),
          h('li', {}, 'Nothing resumes until an admin or team lead uses Resume all.'))),
      again && h('p', { class: 'muted' }, 'The switch keeps its first reason; this one is kept in the audit log.'),
      h('div', { class: 'problem-slot' }),
      reasonField({ required: true }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn danger' }, again ? 'Pause them now' : 'Pause all agents now')));
    const dialog = openDialog({ title: again ? 'Pull the kill switch again?' : 'Pull the kill switch?', content: form });
    handleSubmit(form, async (data) => {
      const reason = formText(data, 'reason');
      if (!reason) {
        throw new ApiError({ status: 422, code: 'validation_failed', title: 'Validation failed', detail: 'Give a reason.', errors: { '$.reason': ['is required: say why every agent is stopped.'] } });
      }
      const result = await call(ctx.transport, 'activateKillSwitch', { body: { reason } });
      dialog.close(true);
      ctx.setControlStatus(result.status);
      toast(result.agents_changed.length
        ? `Kill switch on: ${plural(result.agents_changed.length, 'agent')} paused.`
        : 'Kill switch on. No agent was active.', 'info');
      ctx.refreshControls();
    });
  }

  function openResumeAll(s: ControlStatus): void {
    const onPurpose = pausedOnPurpose(s);
    const form = h('form', { class: 'stack' },
      h('p', {}, `Lift the kill switch and resume the ${plural(s.paused_by_kill_switch, 'agent')} it paused? Their events are accepted again within a second.`),
      onPurpose > 0 && h('p', { class: 'muted' }, stayPausedText(onPurpose)),
      h('div', { class: 'problem-slot' }),
      reasonField({ required: false }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, 'Resume all')));
    const dialog = openDialog({ title: 'Lift the kill switch?', content: form });
    handleSubmit(form, async (data) => {
      const result = await call(ctx.transport, 'resumeAllAgents', { body: { reason: formText(data, 'reason') || null } });
      dialog.close(true);
      ctx.setControlStatus(result.status);
      toast(`Kill switch lifted: ${plural(result.agents_changed.length, 'agent')} resumed.`);
      ctx.refreshControls();
    });
  }

  const known = ctx.controlStatus();
  if (known) {
    draw(known.status);
    checked.textContent = `Checked at ${timeOfDay(known.checkedAt)}`;
    void loadRecent();
  }
  void load();
}
