// A job: its progress (rows, shards, rate), settings, timing, shards with their checkpoints, and its event log
// (GET /jobs/{id}), re-read on live hints while it runs or is about to start; admins (jobs_write) cancel and retry it.
import { call, type Schemas } from '../api/client';
import { confirmAction, explainConflict, type Dialog } from '../components/dialog';
import { liveRefresh } from '../components/liveRefresh';
import { badge, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { payloadPre } from '../components/payload';
import { progressBar } from '../components/progress';
import { cell, numCell } from '../components/table';
import { relative, timeEl } from '../components/time';
import { toast } from '../components/toast';
import { h, nextId, setChildren, withFocusKept, type Child } from '../lib/dom';
import { fmtBytes, fmtElapsed, fmtInt, fmtPercent, plural } from '../lib/format';
import { listHref } from '../lib/listMemory';
import type { PageContext } from './context';
import {
  JOB_LIVE_MS, JOB_STATUS, jobDuration, jobKindLabel, jobLive, jobShardFraction, jobShardText, jobTerminal, jobTitle,
  statusBadge, type StatusInfo,
} from './jobs';
import { exactTime } from '../components/time';

type Job = Schemas['Job'];
type Progress = Schemas['Progress'];
type Detail = Schemas['JobDetail'];
type Shard = Schemas['ShardView'];
type JobEvent = Schemas['JobEventView'];

export const SHARD_STATUS: Record<string, StatusInfo> = {
  pending: { label: 'Pending', kind: 'scheduled', help: 'Waiting for a worker (or for its next attempt).' },
  running: { label: 'Running', kind: 'accent live', help: null },
  succeeded: { label: 'Succeeded', kind: 'success', help: null },
  failed: { label: 'Failed', kind: 'danger', help: 'Used up its attempts: its error and checkpoint are kept for a retry.' },
  cancelled: { label: 'Cancelled', kind: 'neutral', help: null },
};
const JOB_LEVELS: Record<string, { label: string; icon: string; cls: string }> = {
  info: { label: 'Info', icon: 'i', cls: '' },
  warn: { label: 'Warning', icon: '!', cls: 'warning' },
  error: { label: 'Error', icon: '×', cls: 'critical' },
};
const JOB_EVENTS_SHOWN = 200; // JobService.EventsShown
/** What a 409 means, added to its detail: the job moved on meanwhile. */
const JOB_PROBLEMS: Record<string, string> = {
  job_finished: 'Nothing is left to cancel: the page now shows how it ended.',
  job_not_failed: 'It is not failed (any more): the page now shows its current state.',
};

const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** The rows each source was planned to have, from the "Planned N shard(s)" event (null until it is in the log). */
export interface Planned {
  bySource: Map<string, number>;
  total: number;
}

export function plannedRows(events: readonly Pick<JobEvent, 'message' | 'data'>[]): Planned | null {
  for (const e of events) {
    const sources = (e.data as { sources?: unknown } | null)?.sources;
    if (!/^Planned \d+ shard/.test(e.message) || !Array.isArray(sources)) continue;
    const bySource = new Map<string, number>(sources.map((s: { source?: unknown; rows?: unknown }) => [String(s.source), Number(s.rows) || 0]));
    return { bySource, total: [...bySource.values()].reduce((a, b) => a + b, 0) };
  }
  return null;
}

/** A read's rows at a moment (performance.now()), for the rate between two reads. */
export interface Sample {
  rows: number;
  at: number;
}

/**
 * Rows per second since the previous read, while running: from reads at least 0.5 s apart (closer ones say little)
 * and at most a minute apart (after a hidden tab, the average over the gap would pass for a rate). Otherwise the
 * rate shown stays (`current`), or goes once the job is not running.
 */
export function rowsPerSecond(status: string, previous: Sample | null, now: Sample, current: number | null): number | null {
  if (status !== 'running') return null;
  const gap = previous ? now.at - previous.at : 0;
  if (!previous || gap < 500 || gap > 60_000 || now.rows < previous.rows) return current;
  return (now.rows - previous.rows) / (gap / 1000);
}

/** The overall bar: rows of the planned rows (never whole before the job succeeds), else shards done. */
export function overallFraction(job: Pick<Job, 'status'>, p: Pick<Progress, 'rows' | 'shards' | 'shards_done'>, plannedTotal: number | null): number {
  if (job.status === 'succeeded') return 1;
  return plannedTotal ? Math.min(0.99, p.rows / plannedTotal) : jobShardFraction(job, p);
}

/** A shard's bar: its rows of its share of its source's planned rows (the quantile cuts make shards about equal). */
export function shardFraction(s: Pick<Shard, 'status' | 'rows'>, expected: number | null): number {
  if (s.status === 'succeeded') return 1;
  return expected ? Math.min(0.99, s.rows / expected) : 0;
}

/** Each shard's expected rows: its source's planned rows shared among the source's shards. */
export function expectedRows(shards: readonly Pick<Shard, 'source'>[], planned: Planned | null): (s: Pick<Shard, 'source'>) => number | null {
  const perSource = new Map<string, number>();
  for (const s of shards) perSource.set(s.source, (perSource.get(s.source) ?? 0) + 1);
  return (s) => {
    const rows = planned?.bySource.get(s.source);
    return rows === undefined ? null : rows / (perSource.get(s.source) ?? 1);
  };
}

/** An event's data is worth a disclosure: anything but nothing and {}. */
export const eventHasData = (data: unknown): boolean =>
  data !== null && data !== undefined && !(typeof data === 'object' && !Array.isArray(data) && !Object.keys(data).length);

/** What the page shows changed: redraw (a redraw would close what the reader opened, so only then). */
export function detailSignature(d: Detail, rate: number | null, plannedTotal: number | null): string {
  const { job, progress: p } = d;
  return [job.status, job.cancel_requested_at, job.error, p.rows, p.shards_done, p.shards_failed, rate === null ? '' : Math.round(rate),
    d.shards.map((s) => `${s.status}|${s.rows}|${s.attempts}|${s.checkpoint_key}`).join(','), d.events[0]?.id, plannedTotal].join('/');
}

export function viewJob(main: HTMLElement, ctx: PageContext, id: string): void {
  const writable = ctx.holds('jobs_write');
  const openData = new Set<number>(); // event ids whose data is shown: kept across live refreshes
  let detail: Detail | null = null;
  let signature = '';
  let previous: Sample | null = null;
  let rate: number | null = null;
  let planned: Planned | null = null;

  const statusSlot = h('span', { class: 'title-status' });
  const cancel = h('button', { type: 'button', class: 'btn danger', hidden: true, onclick: () => cancelJob() }, 'Cancel job');
  const retry = h('button', { type: 'button', class: 'btn primary', hidden: true, onclick: () => retryJob() }, 'Retry failed shards');
  const refresh = h('button', { type: 'button', class: 'btn secondary', onclick: () => void load({ manual: true }) }, 'Refresh');
  // The job's durable orchestration (same id), once it has started: its history step by step.
  const orchestration = h('a', { href: `#/orchestrations/${encodeURIComponent(id)}`, class: 'btn secondary', hidden: true, title: 'The durable orchestration that runs this job' }, 'Orchestration');
  const header = pageHeader('Job', null, h('div', { class: 'page-actions-inner center' }, cancel, retry, orchestration, refresh));
  const title = header.querySelector('h1')!;
  title.after(h('div', { class: 'run-id-line' }, statusSlot, h('code', { class: 'mono', title: 'Job id' }, id)));
  const liveNote = h('p', { class: 'muted small live-note', role: 'status' });
  const body = h('div', { class: 'stack-lg' }, loadingPanel('Loading job…'));
  main.append(h('p', { class: 'back' }, h('a', { href: listHref('jobs', '#/jobs') }, '← Jobs')), header, liveNote, body);

  // Every 2 s while the job runs (or is about to start), on the live stream's hints; one last read shows how it ended.
  const live = liveRefresh({
    ctx, topics: ['jobs'], everyMs: JOB_LIVE_MS, note: liveNote, failedText: 'Could not refresh',
    watching: () => !!detail && jobLive(detail.job),
    read: async () => take(await read()),
  });

  const read = () => call(ctx.transport, 'getJob', { path: { id } });

  async function load({ manual = false } = {}): Promise<void> {
    live.stop();
    if (manual) refresh.disabled = true;
    try {
      const next = await read();
      if (!ctx.alive()) return;
      take(next);
      live.done();
    } catch (e) {
      if (!ctx.alive()) return;
      if (detail) live.failed(e);
      else setChildren(body, errorPanel(e, () => void load(), ctx.onForbidden));
    } finally {
      refresh.disabled = false;
    }
  }

  function take(next: Detail): void {
    if (!ctx.alive()) return;
    const sample = { rows: next.progress.rows, at: performance.now() };
    rate = rowsPerSecond(next.job.status, previous, sample, rate);
    previous = sample;
    planned ??= plannedRows(next.events);
    detail = next;
    const sig = detailSignature(next, rate, planned?.total ?? null);
    if (sig !== signature) {
      signature = sig;
      withFocusKept(body, draw);
    }
  }

  function draw(): void {
    if (!detail) return;
    const { job, progress: p, shards, events } = detail;
    title.textContent = jobTitle(job);
    document.title = `${jobTitle(job)} · Job · ${ctx.org()?.name ?? ''} · AgentOps`;
    setChildren(statusSlot, statusBadge(JOB_STATUS, job.status), job.cancel_requested_at && job.status === 'running' ? badge('Cancelling at the next batch boundary', 'warning') : null);
    cancel.hidden = !writable || !(job.status === 'scheduled' || job.status === 'running') || !!job.cancel_requested_at;
    retry.hidden = !writable || job.status !== 'failed';
    orchestration.hidden = job.status === 'scheduled';
    setChildren(body,
      summary(job, p, shards),
      job.error && h('div', { class: 'alert error run-error' }, h('p', { class: 'strong' }, job.status === 'failed' ? 'Why it failed' : 'Error'), payloadPre('Error', job.error, { error: true })),
      h('div', { class: 'job-grid' }, settingsCard(job), timingCard(job)),
      shardsCard(job, shards),
      eventsCard(events));
  }

  function summary(job: Job, p: Progress, shards: readonly Shard[]): HTMLElement {
    const stat = (label: string, value: string, sub: string | null = null) =>
      h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, h('span', { class: 'stat-value' }, value), sub && h('span', { class: 'stat-sub' }, sub)));
    const total = planned?.total ?? null;
    const fraction = overallFraction(job, p, total);
    const ms = jobDuration(job);
    const average = job.finished_at && ms ? p.rows / (ms / 1000) : null;
    const batches = shards.reduce((n, s) => n + s.batches, 0);
    return h('section', { class: 'card run-summary job-summary', 'aria-label': 'Progress' },
      h('div', { class: 'job-overall' },
        h('div', { class: 'meter-head' },
          h('span', { class: 'strong' }, total ? `${fmtInt(p.rows)} of ~${plural(total, 'row')}` : plural(p.rows, 'row'), ' processed'),
          h('span', { class: 'muted' }, `${fmtPercent(fraction)} · ${jobShardText(job, p)}`)),
        progressBar(fraction, { label: 'Overall progress', state: job.status, big: true })),
      h('dl', { class: 'stats' },
        stat('Rows', fmtInt(p.rows), total ? `of ~${fmtInt(total)} planned` : null),
        stat('Rows per second', rate !== null ? fmtInt(rate) : average !== null ? fmtInt(average) : '—',
          rate !== null ? 'since the last update' : average !== null ? 'on average' : job.status === 'running' ? 'measuring…' : null),
        stat('Shards', `${fmtInt(p.shards_done)} / ${fmtInt(p.shards)}`, p.shards_failed ? `${fmtInt(p.shards_failed)} failed` : 'done'),
        stat('Batches', fmtInt(batches), p.bytes ? fmtBytes(p.bytes) : null),
        stat('Duration', ms !== null ? fmtElapsed(ms) : '—', job.status === 'running' ? 'so far'
          : job.status === 'scheduled' ? `starts ${relative(job.scheduled_at)}` : null)));
  }

  function settingsCard(job: Job): HTMLElement {
    const row = (label: string, ...value: Child[]) => [h('dt', {}, label), h('dd', {}, value)];
    return h('section', { class: 'card job-card', 'aria-labelledby': `${id}-settings` },
      h('h2', { id: `${id}-settings` }, 'Settings'),
      h('dl', { class: 'details' },
        row('Kind', jobKindLabel(job.kind), ' ', h('code', { class: 'small muted' }, job.kind)),
        row('Batch size', plural(job.batch_size, 'row')),
        row('Parallelism', `up to ${plural(job.parallelism, 'shard')} at once`),
        row('Insert mode', job.kind === 'clickhouse_export' ? job.insert_mode : h('span', { class: 'muted' }, `${job.insert_mode} (exports only)`)),
        row('Dry run', job.dry_run ? badge('Yes: changes nothing', 'warning') : 'No'),
        row('Priority', String(job.priority)),
        row('Max attempts', `${fmtInt(job.max_attempts)} per shard`),
        job.window_from || job.window_to ? row('Window', timeEl(job.window_from, { withTime: true }), ' → ', timeEl(job.window_to, { withTime: true })) : null,
        job.schedule_id ? row('Created by', 'a recurring schedule') : null),
      h('div', { class: 'payload-block' }, h('h3', {}, 'Payload'), payloadPre('Payload', job.payload ?? {})),
      job.result ? h('div', { class: 'payload-block' }, h('h3', {}, 'Result'), payloadPre('Result', job.result)) : null);
  }

  function timingCard(job: Job): HTMLElement {
    const when = (label: string, iso: string | null, note: string | null = null) => [h('dt', {}, label), h('dd', {}, iso
      ? [timeEl(iso, { withTime: true }), h('span', { class: 'muted small' }, ` · ${relative(iso)}`)]
      : h('span', { class: 'muted' }, note ?? '—'))];
    const ms = jobDuration(job);
    return h('section', { class: 'card job-card', 'aria-labelledby': `${id}-timing` },
      h('h2', { id: `${id}-timing` }, 'Timing'),
      h('dl', { class: 'details' },
        when('Created', job.created_at),
        when('Scheduled at', job.scheduled_at),
        when('Planned', job.planned_at, job.status === 'scheduled' ? 'Not yet' : '—'),
        when('Started', job.started_at, job.status === 'scheduled' ? 'Not yet' : '—'),
        when('Finished', job.finished_at, jobTerminal(job) ? '—' : 'Not yet'),
        job.cancel_requested_at ? when('Cancel requested', job.cancel_requested_at) : null,
        h('dt', {}, 'Duration'), h('dd', {}, ms !== null ? fmtElapsed(ms) : h('span', { class: 'muted' }, '—'))));
  }

  function shardsCard(job: Job, shards: readonly Shard[]): HTMLElement {
    const headId = nextId('shards');
    const expected = expectedRows(shards, planned);
    const range = (s: Shard) => h('span', { class: 'mono small key-range' },
      s.range_after === null ? h('span', { class: 'muted' }, 'start') : h('span', { title: s.range_after }, s.range_after),
      ' → ',
      s.range_end === null ? h('span', { class: 'muted' }, 'end') : h('span', { title: s.range_end }, s.range_end));
    const shardRow = (s: Shard) => {
      const exp = expected(s);
      return h('tr', { class: s.status === 'failed' ? 'failed' : null },
        cell('Shard', h('span', { class: 'strong' }, `#${s.idx}`)),
        cell('Source', h('code', {}, s.source)),
        cell('Key range', range(s)),
        cell('Status', statusBadge(SHARD_STATUS, s.status)),
        h('td', { 'data-label': 'Progress', class: 'progress-col' }, h('div', { class: 'cell' }, h('div', { class: 'job-progress' },
          progressBar(shardFraction(s, exp), { label: `Shard ${s.idx}`, state: s.status }),
          h('span', { class: 'small job-progress-text' }, plural(s.rows, 'row'), exp ? h('span', { class: 'muted' }, ` of ~${fmtInt(Math.round(exp))}`) : null,
            ' · ', plural(s.batches, 'batch', 'batches'))))),
        numCell('Attempts', fmtInt(s.attempts)),
        cell('Checkpoint', s.checkpoint_key ? h('code', { class: 'small id-clip', title: s.checkpoint_key }, s.checkpoint_key) : h('span', { class: 'muted' }, '—')),
        cell('Last error', s.last_error ? h('span', { class: 'small clamp danger-text', title: s.last_error }, s.last_error) : h('span', { class: 'muted' }, '—')),
        cell('Next attempt', s.next_attempt_at && s.status === 'pending' && s.attempts > 0
          ? [timeEl(s.next_attempt_at, { withTime: true }), h('span', { class: 'muted small block' }, relative(s.next_attempt_at))]
          : h('span', { class: 'muted' }, '—')));
    };
    return h('section', { class: 'card flush job-section', 'aria-labelledby': headId },
      h('div', { class: 'card-head' },
        h('h2', { id: headId }, 'Shards'),
        h('p', { class: 'muted small' }, shards.length
          ? `${plural(shards.length, 'key range')}, up to ${fmtInt(job.parallelism)} at once; each checkpoints after every batch.`
          : job.status === 'scheduled' ? 'Planned into key ranges when the job starts.' : 'No shards.')),
      shards.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table dense shards-table' },
        h('caption', { class: 'sr-only' }, 'Shards of this job'),
        h('thead', {}, h('tr', {},
          ['Shard', 'Source', 'Key range', 'Status', 'Progress'].map((c) => h('th', { scope: 'col' }, c)),
          h('th', { scope: 'col', class: 'num' }, 'Attempts'),
          ['Checkpoint', 'Last error', 'Next attempt'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, shards.map(shardRow)))) : null);
  }

  function eventsCard(events: readonly JobEvent[]): HTMLElement {
    const headId = nextId('events');
    const eventRow = (e: JobEvent) => {
      const level = JOB_LEVELS[e.level] ?? { label: e.level, icon: '•', cls: '' };
      let data: HTMLDetailsElement | null = null;
      if (eventHasData(e.data)) {
        const disclosure = h('details', { class: 'disclosure event-data', open: openData.has(e.id) },
          h('summary', { dataset: { focus: `data:${e.id}` } }, 'Data'),
          payloadPre(`Data of event ${e.id}`, e.data));
        disclosure.addEventListener('toggle', () => { if (disclosure.open) openData.add(e.id); else openData.delete(e.id); });
        data = disclosure;
      }
      return h('tr', { class: `level-${e.level}` },
        cell('Level', h('span', { class: 'level' }, h('span', { class: `sev-icon small ${level.cls}`, 'aria-hidden': 'true' }, level.icon), level.label)),
        cell('Message', h('span', { class: 'event-message' }, e.message), data),
        cell('Shard', e.shard_idx === null ? h('span', { class: 'muted' }, 'Job') : `#${e.shard_idx}`),
        cell('Time', h('time', { datetime: e.created_at, title: exactTime(e.created_at) }, timeOfDay.format(new Date(e.created_at))),
          h('span', { class: 'muted small block' }, relative(e.created_at))));
    };
    return h('section', { class: 'card flush job-section', 'aria-labelledby': headId },
      h('div', { class: 'card-head' },
        h('h2', { id: headId }, 'Event log'),
        h('p', { class: 'muted small' }, events.length >= JOB_EVENTS_SHOWN ? `The newest ${JOB_EVENTS_SHOWN} events, newest first.` : 'Newest first.')),
      events.length
        ? h('div', { class: 'table-wrap' }, h('table', { class: 'table dense job-events' },
          h('caption', { class: 'sr-only' }, 'Event log of this job, newest first'),
          h('thead', {}, h('tr', {}, ['Level', 'Message', 'Shard', 'Time'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, events.map(eventRow))))
        : h('p', { class: 'muted pad' }, 'No events yet.'));
  }

  /**
   * A conflict says the job moved on meanwhile: say so plainly, leave only the way out of the dialog (there is
   * nothing to try again), and show where the job is now.
   */
  const explained = (e: unknown, dialog: Dialog): unknown => {
    if (ctx.alive()) void load();
    return explainConflict(e, dialog, JOB_PROBLEMS);
  };

  function cancelJob(): void {
    if (!detail) return;
    const job = detail.job;
    const dialog = confirmAction({
      title: 'Cancel job',
      message: job.status === 'scheduled'
        ? `Cancel “${jobTitle(job)}”? It has not started: it will not run.`
        : `Cancel “${jobTitle(job)}”? No new shard starts, and running shards stop at their next batch boundary. What is done stays done.`,
      confirmLabel: 'Cancel job',
      action: async () => {
        try {
          await call(ctx.transport, 'cancelJob', { path: { id } });
        } catch (e) {
          throw explained(e, dialog);
        }
        toast(job.status === 'scheduled' ? 'Job cancelled.' : 'Cancel requested: running shards stop at their next batch boundary.', 'info');
        if (ctx.alive()) void load();
      },
    });
  }

  function retryJob(): void {
    if (!detail) return;
    const job = detail.job;
    const failed = detail.progress.shards_failed;
    const dialog = confirmAction({
      title: 'Retry job',
      message: failed
        ? `Run the ${plural(failed, 'failed shard')} of “${jobTitle(job)}” again? Each starts from its checkpoint with a fresh set of ${plural(job.max_attempts, 'attempt')}; finished shards are not redone.`
        : `Run “${jobTitle(job)}” again? It could not be planned, so it starts from the beginning.`,
      confirmLabel: 'Retry',
      danger: false,
      action: async () => {
        try {
          await call(ctx.transport, 'retryJob', { path: { id } });
        } catch (e) {
          throw explained(e, dialog);
        }
        toast('Retrying: the failed shards run again from their checkpoints.', 'info');
        if (ctx.alive()) { previous = null; void load(); }
      },
    });
  }

  void load();
}
