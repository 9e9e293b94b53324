// An orchestration instance: its status and progress, its job, inputs and outputs on demand, and its history as a
// timeline of steps (GET /orchestrations/{id} and /history), re-read until it has ended; admins (jobs_write)
// suspend, resume, raise events, terminate and purge it.
import { call, type Schemas } from '../api/client';
import { ApiError, SessionEnded } from '../api/errors';
import { confirmAction, explainConflict, openDialog, type Dialog } from '../components/dialog';
import { field, formText, handleSubmit, validationFailed } from '../components/forms';
import { liveRefresh } from '../components/liveRefresh';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { payloadPre } from '../components/payload';
import { relative, timeEl } from '../components/time';
import { toast } from '../components/toast';
import { h, nextId, setChildren, withFocusKept, type Child } from '../lib/dom';
import { fmtElapsed, fmtInt, plural } from '../lib/format';
import { listHref } from '../lib/listMemory';
import type { PageContext } from './context';
import { jobHref } from './jobs';
import { ORCH_LIVE_MS, orchAllows, orchEnded, orchJobLink, orchProgress, orchStatusBadge, type OrchOperation } from './orchestrations';
import { exactTime } from '../components/time';

type Instance = Schemas['InstanceView'];
type History = Schemas['HistoryView'];
type Entry = Schemas['HistoryEntry'];

const ORCH_SUSPENDED_MS = 10_000; // nothing moves while suspended, unless someone resumes it elsewhere
const ORCH_MAX_REASON = 1000; // OrchestrationsApi.MaxReasonChars
const ORCH_MAX_PAYLOAD = 16 * 1024; // OrchestrationsApi.MaxEventPayloadBytes
const ORCH_HISTORY_MAX = 2000; // Timeline.MaxEntries
const ORCH_PROBLEMS: Record<string, string> = {
  orchestration_state: 'The page now shows its current state.',
};
const ORCH_STEP: Record<string, { label: string; icon: string; cls: string }> = {
  started: { label: 'Started', icon: '▶', cls: 'accent' },
  activity: { label: 'Activity', icon: '◆', cls: '' },
  suborchestration: { label: 'Sub-orchestration', icon: '◇', cls: '' },
  timer: { label: 'Timer', icon: '◷', cls: 'muted' },
  event_raised: { label: 'Event received', icon: '↘', cls: 'accent' },
  event_sent: { label: 'Event sent', icon: '↗', cls: '' },
  suspended: { label: 'Suspended', icon: '‖', cls: 'warning' },
  resumed: { label: 'Resumed', icon: '►', cls: 'success' },
  terminated: { label: 'Terminated', icon: '■', cls: 'danger' },
  completed: { label: 'Completed', icon: '✓', cls: 'success' },
  failed: { label: 'Failed', icon: '×', cls: 'danger' },
  continued_as_new: { label: 'Continued as new', icon: '↻', cls: 'accent' },
};

const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** One step of the timeline: a paired activity, sub-orchestration or timer (from its start to its end), or one entry. */
export interface Step {
  /** activity, suborchestration, timer, or the entry's kind (started, event_raised, …). */
  type: string;
  name: string | null;
  taskId: number | null;
  at: string;
  end: string | null;
  outcome: 'completed' | 'failed' | 'fired' | null;
  retry: boolean;
  durationMs: number | null;
  fireAt: string | null;
  reason: string | null;
  input: unknown;
  output: unknown;
  error: string | null;
}

const step = (e: Entry, type: string, extra: Partial<Step> = {}): Step => ({
  type, name: e.name, taskId: e.task_id, at: e.at, end: null, outcome: null, retry: false, durationMs: null, fireAt: null,
  reason: null, input: null, output: null, error: null, ...extra,
});

/**
 * The timeline's steps from history entries: an activity (or sub-orchestration, or timer) is one step from its
 * scheduling to its completion or failure; a failure followed by the same activity scheduled again marks the latter
 * as a retry. Everything else is one step of its own.
 */
export function orchSteps(entries: readonly Entry[]): Step[] {
  const steps: Step[] = [];
  const open = new Map<string, Step>(); // task id -> step (task ids restart after continue-as-new: keyed per generation)
  const failedByName = new Map<string | null, number>();
  let generation = 0;
  for (const e of entries) {
    const key = `${generation}:${e.task_id}`;
    switch (e.kind) {
      case 'activity_scheduled':
      case 'suborchestration_scheduled': {
        const retries = failedByName.get(e.name) ?? 0;
        if (retries) failedByName.set(e.name, retries - 1);
        const s = step(e, e.kind === 'activity_scheduled' ? 'activity' : 'suborchestration', { retry: retries > 0, input: e.input });
        open.set(key, s);
        steps.push(s);
        break;
      }
      case 'activity_completed':
      case 'activity_failed':
      case 'suborchestration_completed':
      case 'suborchestration_failed': {
        const failed = e.kind.endsWith('_failed');
        let s = open.get(key);
        if (!s) { // scheduled before the history shown
          s = step(e, e.kind.startsWith('activity') ? 'activity' : 'suborchestration');
          steps.push(s);
        }
        open.delete(key);
        Object.assign(s, { end: e.at, outcome: failed ? 'failed' : 'completed', durationMs: e.duration_ms, output: e.output, error: e.error });
        if (failed && s.name) failedByName.set(s.name, (failedByName.get(s.name) ?? 0) + 1);
        break;
      }
      case 'timer_created': {
        const s = step(e, 'timer', { name: null, fireAt: e.fire_at });
        open.set(key, s);
        steps.push(s);
        break;
      }
      case 'timer_fired': {
        let s = open.get(key);
        if (!s) { s = step(e, 'timer', { name: null, fireAt: e.fire_at }); steps.push(s); }
        open.delete(key);
        Object.assign(s, { end: e.at, outcome: 'fired', durationMs: e.duration_ms });
        break;
      }
      default:
        steps.push(step(e, e.kind, { taskId: null, reason: e.reason, input: e.input, output: e.output, error: e.error }));
        if (e.kind === 'continued_as_new') generation += 1;
    }
  }
  return steps;
}

/** The timeline's time axis: from the first entry to the last (once ended) or now (while it runs); never empty. */
export function timelineScale(entries: readonly Pick<Entry, 'at'>[], ended: boolean, now = Date.now()): { t0: number; span: number } {
  const t0 = entries.length ? new Date(entries[0]!.at).getTime() : 0;
  const last = entries.at(-1);
  const tEnd = Math.max(t0 + 1, ended && last ? new Date(last.at).getTime() : now);
  return { t0, span: tEnd - t0 };
}

/**
 * Where a step's bar goes, in percent of the axis: a paired step spans to its end (or on to the axis' end while
 * open), at least 0.6 % wide to stay visible; a point has no width.
 */
export function stepBar(s: Pick<Step, 'type' | 'at' | 'end'>, scale: { t0: number; span: number }): { left: string; width: string | null } {
  const pos = (iso: string) => Math.max(0, Math.min(1, (new Date(iso).getTime() - scale.t0) / scale.span));
  const left = pos(s.at);
  const paired = s.type === 'activity' || s.type === 'suborchestration' || s.type === 'timer';
  return {
    left: `${(left * 100).toFixed(2)}%`,
    width: paired ? `${Math.max(0.6, ((s.end ? pos(s.end) : 1) - left) * 100).toFixed(2)}%` : null,
  };
}

/** A raised event's payload from its text: the value to send, or why it cannot be sent. Empty: no payload. */
export function eventPayload(raw: string): { value?: unknown; error?: string } {
  if (!raw) return {};
  let value: unknown;
  try { value = JSON.parse(raw); } catch (e) { return { error: `must be valid JSON (${e instanceof SyntaxError ? e.message : 'it could not be read'}).` }; }
  if (new TextEncoder().encode(JSON.stringify(value)).length > ORCH_MAX_PAYLOAD) return { error: `must be at most ${ORCH_MAX_PAYLOAD / 1024} KiB.` };
  return { value };
}

/** A reason for an operation (optional; kept in the engine's history and the audit log). */
function reasonField(): HTMLDivElement {
  return field({
    label: 'Reason', name: 'reason', optional: true, control: h('textarea', { rows: 3, maxlength: ORCH_MAX_REASON }),
    hint: `Kept in the orchestration’s history and the audit log. Up to ${fmtInt(ORCH_MAX_REASON)} characters.`,
  });
}

export function viewOrchestration(main: HTMLElement, ctx: PageContext, id: string): void {
  const writable = ctx.holds('jobs_write');
  const openDetails = new Set<string>(); // disclosures open across live refreshes
  let instance: Instance | null = null;
  let historyView: History | null = null;
  let historyError: unknown = null;
  let withData = false;
  let signature = '';

  const statusSlot = h('span', { class: 'title-status' });
  const op = (label: string, cls: string, onclick: () => void) => h('button', { type: 'button', class: `btn ${cls}`, hidden: true, onclick }, label);
  const suspend = op('Suspend', 'secondary', () => operate('suspend'));
  const resume = op('Resume', 'primary', () => operate('resume'));
  const raise = op('Raise event', 'secondary', () => raiseEvent());
  const terminate = op('Terminate', 'danger', () => operate('terminate'));
  const purge = op('Purge', 'danger', () => purgeOne());
  const operations: [HTMLButtonElement, OrchOperation][] = [[suspend, 'suspend'], [resume, 'resume'], [raise, 'events'], [terminate, 'terminate'], [purge, 'purge']];
  const refresh = h('button', { type: 'button', class: 'btn secondary', onclick: () => void load({ manual: true }) }, 'Refresh');
  const header = pageHeader('Orchestration', null, h('div', { class: 'page-actions-inner center' }, suspend, resume, raise, terminate, purge, refresh));
  const title = header.querySelector('h1')!;
  title.after(h('div', { class: 'run-id-line' }, statusSlot, h('code', { class: 'mono', title: 'Instance id' }, id)));
  const dataBox = h('input', { type: 'checkbox', id: nextId('orch-data') });
  const liveNote = h('p', { class: 'muted small live-note', role: 'status' });
  const body = h('div', { class: 'stack-lg' }, loadingPanel('Loading orchestration…'));
  const back = listHref('orchestrations', '#/orchestrations');
  main.append(h('p', { class: 'back' }, h('a', { href: back }, '← Orchestrations')), header,
    h('div', { class: 'toolbar toolbar-meta' },
      h('div', { class: 'checkbox' }, dataBox, h('label', { for: dataBox.id }, 'Show inputs and outputs')),
      liveNote),
    body);
  dataBox.addEventListener('change', () => { withData = dataBox.checked; signature = ''; void load(); });

  // Every 3 s until it has ended (slower while suspended), and on the jobs' live hints; the engine's own transitions
  // (start, suspend, resume) send no hint, so the timer runs while the stream is up too.
  const live = liveRefresh({
    ctx, topics: ['jobs'], note: liveNote, failedText: 'Could not refresh', pollWhileLive: true,
    everyMs: () => (instance?.status === 'suspended' ? ORCH_SUSPENDED_MS : ORCH_LIVE_MS),
    watching: () => !!instance && !orchEnded(instance.status),
    read: () => readOrGone(),
  });

  /** The instance and its history, side by side; a history that fails leaves the rest shown. */
  async function read(): Promise<void> {
    const query = withData ? { data: true } : {};
    const [next, hist] = await Promise.all([
      call(ctx.transport, 'getOrchestration', { path: { id }, query }),
      call(ctx.transport, 'getOrchestrationHistory', { path: { id }, query }).then((ok) => ({ ok, error: null }), (error: unknown) => ({ ok: null, error })),
    ]);
    if (!ctx.alive() || hist.error instanceof SessionEnded) return;
    instance = next;
    if (hist.ok) { historyView = hist.ok; historyError = null; } else historyError = hist.error;
    const sig = JSON.stringify([withData, instance, historyView?.entries.length, historyView?.entries.at(-1), historyView?.status,
      historyError instanceof ApiError ? historyError.code : !!historyError]);
    if (sig !== signature) {
      signature = sig;
      withFocusKept(body, draw);
    }
  }

  /** A 404 is an answer too: there is no such instance (any more). */
  async function readOrGone(): Promise<void> {
    try {
      await read();
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      if (ctx.alive()) gone();
    }
  }

  async function load({ manual = false } = {}): Promise<void> {
    live.stop();
    if (manual) refresh.disabled = true;
    try {
      await readOrGone();
      live.done();
    } catch (e) {
      if (!ctx.alive() || e instanceof SessionEnded) return;
      if (instance) live.failed(e);
      else setChildren(body, errorPanel(e, () => void load(), ctx.onForbidden));
    } finally {
      refresh.disabled = false;
    }
  }

  /** Purged, not started yet, or another organization's: no operation applies. */
  function gone(): void {
    instance = null;
    for (const [button] of operations) button.hidden = true;
    setChildren(statusSlot);
    liveNote.textContent = '';
    setChildren(body, h('div', { class: 'card' }, emptyState('No such orchestration',
      'It was purged (its job is kept), its job has not started yet, or it belongs to another organization.',
      h('a', { href: jobHref(id), class: 'btn secondary' }, 'Open the job'))));
  }

  function draw(): void {
    const o = instance;
    if (!o) return;
    title.textContent = o.name;
    document.title = `${o.name} · Orchestration · ${ctx.org()?.name ?? ''} · AgentOps`;
    setChildren(statusSlot, orchStatusBadge(o.status));
    for (const [button, operation] of operations) button.hidden = !writable || !orchAllows(operation, o.status);
    setChildren(body,
      summary(o),
      o.error && h('div', { class: 'alert error run-error' }, h('p', { class: 'strong' }, 'Why it failed'), payloadPre('Error', o.error, { error: true })),
      withData && h('div', { class: 'job-grid' },
        h('section', { class: 'card job-card' }, h('h2', {}, 'Input'),
          o.input === null || o.input === undefined ? h('p', { class: 'muted' }, 'None.') : payloadPre('Orchestration input', o.input)),
        h('section', { class: 'card job-card' }, h('h2', {}, 'Output'),
          o.output === null || o.output === undefined ? h('p', { class: 'muted' }, orchEnded(o.status) ? 'None.' : 'Not yet.') : payloadPre('Orchestration output', o.output))),
      timelineCard(o));
  }

  function summary(o: Instance): HTMLElement {
    const row = (label: string, ...value: Child[]) => [h('dt', {}, label), h('dd', {}, value)];
    const when = (iso: string) => [timeEl(iso, { withTime: true }), h('span', { class: 'muted small' }, ` · ${relative(iso)}`)];
    return h('section', { class: 'card job-summary', 'aria-label': 'Summary' },
      o.progress && h('div', { class: 'job-overall' }, orchProgress(o, { big: true, label: 'Overall progress' })),
      h('dl', { class: 'details' },
        row('Status', orchStatusBadge(o.status)),
        row('Job', orchJobLink(o.job), ' ', h('code', { class: 'small muted' }, o.job?.id ?? '')),
        row('Created', when(o.created_at)),
        row('Last update', when(o.last_updated_at)),
        o.progress ? row('Generation', fmtInt(o.progress.generation), h('span', { class: 'muted small' }, ' (continues as new every 100 shard runs)')) : null));
  }

  function disclosure(key: string, label: string, value: unknown): HTMLDetailsElement {
    const el = h('details', { class: 'disclosure event-data', open: openDetails.has(key) },
      h('summary', { dataset: { focus: key } }, label), payloadPre(label, value));
    el.addEventListener('toggle', () => { if (el.open) openDetails.add(key); else openDetails.delete(key); });
    return el;
  }

  function timelineCard(o: Instance): HTMLElement {
    const headId = nextId('history');
    const head = h('div', { class: 'card-head' }, h('h2', { id: headId }, 'History'),
      h('p', { class: 'muted small' }, 'Oldest first: each activity from its scheduling to its completion, with timers, events and operator actions.'));
    if (historyError) {
      const message = historyError instanceof ApiError ? historyError.detail : 'The history could not be shown.';
      return h('section', { class: 'card flush job-section', 'aria-labelledby': headId }, head, h('p', { class: 'muted pad' }, message));
    }
    const ended = orchEnded(o.status);
    const entries = historyView?.entries ?? [];
    const steps = orchSteps(entries);
    const scale = timelineScale(entries, ended);
    const offset = (iso: string) => `+${fmtElapsed(Math.max(0, new Date(iso).getTime() - scale.t0))}`;
    const activities = steps.filter((s) => s.type === 'activity');
    const failures = activities.filter((s) => s.outcome === 'failed').length;

    const item = (s: Step, i: number) => {
      const meta = ORCH_STEP[s.type] ?? { label: s.type, icon: '•', cls: '' };
      const paired = s.type === 'activity' || s.type === 'suborchestration' || s.type === 'timer';
      const outcome = paired ? (s.outcome ?? 'open') : null;
      const bar = h('span', { class: `wf-bar ${outcome ?? 'point'}` });
      const place = stepBar(s, scale);
      bar.style.left = place.left; // CSSOM: allowed under the CSP
      if (place.width) bar.style.width = place.width;
      let name: string;
      let facts: Child[];
      if (s.type === 'activity' || s.type === 'suborchestration') {
        name = s.name ?? meta.label;
        facts = [
          outcome === 'completed' ? badge('Completed', 'success') : outcome === 'failed' ? badge('Failed', 'danger') : badge(ended ? 'Not finished' : 'Running', ended ? 'neutral' : 'accent live'),
          s.retry && h('span', { class: 'chip', title: 'Scheduled again after a failure of the same activity' }, 'Retry'),
          s.durationMs !== null ? h('span', { class: 'orch-duration' }, fmtElapsed(s.durationMs)) : null,
          s.taskId !== null ? h('span', { class: 'muted small' }, `task ${s.taskId}`) : null,
        ];
      } else if (s.type === 'timer') {
        name = 'Timer';
        facts = [
          s.fireAt && h('span', { class: 'small' }, outcome === 'fired' ? 'fired, due ' : 'fires ', h('time', { datetime: s.fireAt, title: exactTime(s.fireAt) }, timeOfDay.format(new Date(s.fireAt)))),
          s.durationMs !== null ? h('span', { class: 'orch-duration' }, `waited ${fmtElapsed(s.durationMs)}`) : null,
        ];
      } else {
        name = s.name ? `${meta.label}: ${s.name}` : meta.label;
        facts = [s.reason && h('span', { class: 'small orch-reason' }, `“${s.reason}”`)];
      }
      const key = `${i}`;
      return h('li', { class: `orch-step ${s.type} ${outcome ?? ''}`.trim() },
        h('span', { class: `sev-icon small ${meta.cls}`, 'aria-hidden': 'true' }, meta.icon),
        h('div', { class: 'orch-step-main' },
          h('div', { class: 'orch-step-head' },
            h('span', { class: 'strong orch-step-name' }, name),
            facts,
            h('time', { class: 'muted small orch-step-time', datetime: s.at, title: exactTime(s.at) }, offset(s.at))),
          h('span', { class: 'wf-track', 'aria-hidden': 'true' }, bar),
          s.error && h('p', { class: 'small danger-text orch-error' }, s.error),
          withData && s.input !== null && s.input !== undefined ? disclosure(`in:${key}`, 'Input', s.input) : null,
          withData && s.output !== null && s.output !== undefined ? disclosure(`out:${key}`, 'Output', s.output) : null));
    };

    return h('section', { class: 'card flush job-section orch-history', 'aria-labelledby': headId },
      head,
      h('p', { class: 'muted small pad-x' },
        `${plural(entries.length, 'event')} · ${plural(activities.length, 'activity', 'activities')}`,
        failures ? h('span', { class: 'danger-text' }, ` · ${plural(failures, 'failure')}`) : '',
        historyView?.truncated ? ` · only the first ${fmtInt(ORCH_HISTORY_MAX)} events are shown` : ''),
      steps.length
        ? h('ol', { class: 'orch-timeline', 'aria-label': 'History timeline' }, steps.map(item))
        : h('p', { class: 'muted pad' }, 'No history yet.'));
  }

  /** A 409 says the instance moved on meanwhile: say so, leave only the way out, and show where it is now. */
  const explained = (e: unknown, dialog: Dialog): unknown => {
    if (ctx.alive()) void load();
    return explainConflict(e, dialog, ORCH_PROBLEMS);
  };

  function operate(action: 'suspend' | 'resume' | 'terminate'): void {
    const o = instance;
    if (!o) return;
    const texts = {
      suspend: {
        title: 'Suspend orchestration', confirm: 'Suspend', cls: 'danger', done: 'Orchestration suspended: nothing new starts until it is resumed.',
        message: `Suspend “${o.name}”? It stops taking steps until it is resumed; activities already running finish, and their results wait.`,
      },
      resume: {
        title: 'Resume orchestration', confirm: 'Resume', cls: 'primary', done: 'Orchestration resumed.',
        message: `Resume “${o.name}”? It carries on from where it was suspended.`,
      },
      terminate: {
        title: 'Terminate orchestration', confirm: 'Terminate', cls: 'danger', done: 'Orchestration terminated; its job is cancelled.',
        message: `Terminate “${o.name}”? It stops for good and cannot be resumed.`,
      },
    }[action];
    const form = h('form', { class: 'stack' },
      h('p', {}, texts.message),
      action === 'terminate' && h('div', { class: 'alert warning' },
        h('p', { class: 'strong' }, 'This cancels its job.'),
        h('p', {}, 'No new shard starts and running shards stop at their next batch boundary. What is done stays done; the job ends cancelled.')),
      h('div', { class: 'problem-slot' }),
      reasonField(),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: `btn ${texts.cls}` }, texts.confirm)));
    const dialog = openDialog({ title: texts.title, content: form });
    handleSubmit(form, async (data) => {
      const body = { reason: formText(data, 'reason') || null };
      try {
        if (action === 'suspend') await call(ctx.transport, 'suspendOrchestration', { path: { id }, body });
        else if (action === 'resume') await call(ctx.transport, 'resumeOrchestration', { path: { id }, body });
        else await call(ctx.transport, 'terminateOrchestration', { path: { id }, body });
      } catch (e) {
        throw explained(e, dialog);
      }
      dialog.close(true);
      toast(texts.done, action === 'terminate' || action === 'suspend' ? 'info' : 'success');
      if (ctx.alive()) void load();
    });
  }

  function raiseEvent(): void {
    if (!instance) return;
    const payload = h('textarea', { rows: 6, class: 'mono', spellcheck: 'false', placeholder: '{ "note": "hello" }' });
    const form = h('form', { class: 'stack' },
      h('p', {}, `Send an external event to “${instance.name}”. It is kept in the history; the orchestration acts on the names it waits for (a job orchestration waits for “cancel”).`),
      h('div', { class: 'problem-slot' }),
      field({ label: 'Event name', name: 'name', path: '$.name', autocomplete: 'off', attrs: { maxlength: 100, spellcheck: 'false', class: 'mono' },
        hint: 'Letters, digits, “_”, “-” or “.”.' }),
      field({ label: 'Payload (JSON)', name: 'payload', path: '$.payload', optional: true, control: payload,
        hint: `Any JSON value, up to ${ORCH_MAX_PAYLOAD / 1024} KiB. Empty: no payload.` }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, 'Raise event')));
    const dialog = openDialog({ title: 'Raise an event', content: form });
    handleSubmit(form, async (data) => {
      const name = formText(data, 'name'); // the server judges the name ($.name); the payload must parse to be sent at all
      const raw = formText(data, 'payload');
      const parsed = eventPayload(raw);
      if (parsed.error) throw validationFailed({ '$.payload': [parsed.error] });
      try {
        await call(ctx.transport, 'raiseOrchestrationEvent', { path: { id }, body: raw ? { name, payload: parsed.value } : { name } });
      } catch (e) {
        throw explained(e, dialog);
      }
      dialog.close(true);
      toast(`Event “${name}” raised.`);
      if (ctx.alive()) void load();
    });
  }

  function purgeOne(): void {
    if (!instance) return;
    const dialog = confirmAction({
      title: 'Purge orchestration',
      message: `Purge “${instance.name}”? Its state and history are removed from the engine for good. The job and its event log are kept.`,
      confirmLabel: 'Purge',
      action: async () => {
        try {
          await call(ctx.transport, 'purgeOrchestration', { path: { id }, body: {} });
        } catch (e) {
          throw explained(e, dialog);
        }
        toast('Orchestration purged.');
        if (ctx.alive()) {
          const [path = '/orchestrations', qs = ''] = back.replace(/^#/, '').split('?');
          ctx.go(path, Object.fromEntries(new URLSearchParams(qs)));
        }
      },
    });
  }

  void load();
}
