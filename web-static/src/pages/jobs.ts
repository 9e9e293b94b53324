// Jobs: the organization's sharded background work with live progress, and its recurring schedules (Jobs/JobsApi.cs,
// Jobs/JobActivities.cs). The list filters by status and kind (?status=&kind=), re-reads on live hints while a job
// shown runs, and admins (jobs_write) create jobs and schedules in forms. What the job page (job.ts) and the
// orchestration pages share about jobs lives here too.
import { call, type Schemas } from '../api/client';
import { readAll } from '../api/paging';
import { confirmDelete, openDialog } from '../components/dialog';
import { field, formText, handleSubmit, selectControl, toolbarField, validationFailed } from '../components/forms';
import { liveRefresh } from '../components/liveRefresh';
import { pagedList } from '../components/pagedList';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { progressBar } from '../components/progress';
import { actionsCell, cell, numCell } from '../components/table';
import { relative, shortTimeEl, timeEl } from '../components/time';
import { actionFailed, toast } from '../components/toast';
import { h, nextId, setChildren, withFocusKept } from '../lib/dom';
import { fmtElapsed, fmtInt, plural } from '../lib/format';
import { hashHref } from '../lib/href';
import { rememberList } from '../lib/listMemory';
import { fromLocalInput } from '../lib/timeWindow';
import type { PageContext } from './context';

type Job = Schemas['Job'];
type Progress = Schemas['Progress'];
type JobView = Schemas['JobView'];
type Schedule = Schemas['JobSchedule'];

export interface StatusInfo {
  label: string;
  kind: string;
  help: string | null;
}

export const JOB_STATUS: Record<string, StatusInfo> = {
  scheduled: { label: 'Scheduled', kind: 'scheduled', help: 'Waiting for its time, then for a dispatcher to plan it into shards.' },
  running: { label: 'Running', kind: 'accent live', help: null },
  succeeded: { label: 'Succeeded', kind: 'success', help: null },
  failed: { label: 'Failed', kind: 'danger', help: 'A shard used up its attempts. Retry runs the failed shards again from their checkpoints.' },
  cancelled: { label: 'Cancelled', kind: 'neutral', help: null },
};

export type JobCatalog = Schemas['JobKindsResponse'];

/** The activity a new custom job starts with (one every host registers: it counts the organization's events per type). */
const JOB_DEFAULT_ACTIVITY = 'events.count_by_type';

let catalog: Promise<JobCatalog> | null = null;
const kindLabels = new Map<string, string>();

/**
 * The kinds of job, their labels and help, the defaults and the limits, from the server that checks them
 * (GET /jobs/kinds): read once per page load, again after a failure. The dashboard keeps no copy.
 */
export function jobCatalog(transport: PageContext['transport']): Promise<JobCatalog> {
  catalog ??= call(transport, 'listJobKinds').then((c) => {
    learnKinds(c.kinds);
    return c;
  }, (error: unknown) => { catalog = null; throw error; });
  return catalog;
}

/** Remembers the kinds' labels for jobKindLabel. */
export function learnKinds(kinds: readonly Pick<Schemas['JobKindView'], 'kind' | 'label'>[]): void {
  for (const k of kinds) kindLabels.set(k.kind, k.label);
}

/** A kind's options for a select: every kind the server names, those it cannot run marked so. */
export const kindOptions = (c: JobCatalog) => c.kinds.map((k) => ({ value: k.kind, label: k.available ? k.label : `${k.label} (not on this server)` }));

/** Fills a kind filter once the catalog is in (it starts with "Any kind" and the kind in the URL). */
export function fillKinds(select: HTMLSelectElement, transport: PageContext['transport']): void {
  void jobCatalog(transport).then((c) => {
    const chosen = select.value;
    setChildren(select, h('option', { value: '' }, 'Any kind'), kindOptions(c).map((o) => h('option', { value: o.value, selected: o.value === chosen }, o.label)));
  }, () => { /* the filter keeps what it has; the list says what failed */ });
}

/** The initial options of a kind filter, before the catalog is in. */
export const kindFilterOptions = (kind: string) => [{ value: '', label: 'Any kind' }, ...(kind ? [{ value: kind, label: kind }] : [])];

/** The live re-read's period (and the least time between two hinted reads). */
export const JOB_LIVE_MS = 2000;
const JOB_PAGE_SIZE = 50;
const JOB_REFRESH_MAX = 200; // the API's largest page

export const jobHref = (id: string): string => `#/jobs/${encodeURIComponent(id)}`;
/** A kind's label once the catalog is in (pages read it before drawing), its name until then. */
export const jobKindLabel = (kind: string): string => kindLabels.get(kind) ?? kind;
export const jobTerminal = (job: Pick<Job, 'status'>): boolean => job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled';

/** A status as its badge says it; an unknown one by its name. */
export const statusInfo = (table: Record<string, StatusInfo>, status: string): StatusInfo =>
  table[status] ?? { label: status, kind: 'neutral', help: null };

export function statusBadge(table: Record<string, StatusInfo>, status: string): HTMLSpanElement {
  const s = statusInfo(table, status);
  return badge(s.label, s.kind, s.help);
}

/** What the job does, in a few words: the kind, and a custom job's activity. */
export function jobTitle(job: Pick<Job, 'kind' | 'payload'>): string {
  const payload = job.payload as { activity?: unknown } | null;
  const activity = job.kind === 'custom' && typeof payload?.activity === 'string' ? payload.activity : null;
  return activity ? `${jobKindLabel(job.kind)}: ${activity}` : jobKindLabel(job.kind);
}

/** Worth watching: running, or scheduled and due within the minute (a dispatcher starts it within seconds). */
export function jobLive(job: Pick<Job, 'status' | 'scheduled_at'>, now = Date.now()): boolean {
  if (job.status === 'running') return true;
  return job.status === 'scheduled' && new Date(job.scheduled_at).getTime() - now < 60_000;
}

/** Started to finished, or so far; null before it started. */
export function jobDuration(job: Pick<Job, 'started_at' | 'finished_at'>, now = Date.now()): number | null {
  if (!job.started_at) return null;
  const end = job.finished_at ? new Date(job.finished_at).getTime() : now;
  return Math.max(0, end - new Date(job.started_at).getTime());
}

/** Shards done of all (cancelled ones count as done: nothing is left for them to do); a finished job with none is whole. */
export function jobShardFraction(job: Pick<Job, 'status'>, p: Pick<Progress, 'shards' | 'shards_done'>): number {
  if (job.status === 'succeeded') return 1;
  return p.shards ? p.shards_done / p.shards : 0;
}

export function jobShardText(job: Pick<Job, 'status'>, p: Pick<Progress, 'shards' | 'shards_done'>): string {
  if (!p.shards) return job.status === 'scheduled' ? 'Not planned yet' : jobTerminal(job) ? 'No shards' : 'Planning…';
  return `${fmtInt(p.shards_done)} of ${plural(p.shards, 'shard')} done`;
}

/** The list's filters from the URL (unknown values dropped). */
export interface JobFilters {
  status: string;
  kind: string;
}

/** The shape of a kind's name (JobKinds.IsName): a filter may name a kind another host runs. */
export const isKindName = (kind: string): boolean => /^[a-z][a-z0-9_]{0,62}$/.test(kind);

export function jobFilters(params: URLSearchParams): JobFilters {
  const status = params.get('status') ?? '';
  const kind = params.get('kind') ?? '';
  return { status: Object.hasOwn(JOB_STATUS, status) ? status : '', kind: isKindName(kind) ? kind : '' };
}

/** The filters as the list's hash (#/jobs?status=…), empty ones left out. */
export const jobsHash = (f: JobFilters): string => hashHref('/jobs', { status: f.status, kind: f.kind });

/** Changes the list shows (and redraws for): status, cancellation and progress of every row. */
export const jobsSignature = (items: readonly JobView[]): string => items.map(({ job: j, progress: p }) =>
  `${j.id}|${j.status}|${j.cancel_requested_at}|${p.shards}|${p.shards_done}|${p.shards_failed}|${p.rows}`).join('\n');

/** What a screen reader hears after a live re-read: new jobs, and jobs that ended meanwhile. */
export function jobsNews(before: readonly JobView[], next: readonly JobView[], added: number): string {
  const finished = before.filter(({ job }) => !jobTerminal(job))
    .map(({ job }) => next.find((x) => x.job.id === job.id)?.job).filter((j): j is Job => !!j && jobTerminal(j));
  return [added ? `${plural(added, 'new job')}.` : '',
    ...finished.map((j) => `${jobTitle(j)} ${statusInfo(JOB_STATUS, j.status).label.toLowerCase()}.`)].filter(Boolean).join(' ');
}

/** A whole number from a form field: null when blank (the server's default); a problem at the path otherwise. */
export function wholeNumber(text: string, path: string, errors: Record<string, string[]>, { signed = false } = {}): number | null {
  if (text === '') return null;
  if (!(signed ? /^-?\d+$/ : /^\d+$/).test(text)) { errors[path] = ['must be a whole number.']; return null; }
  return Number(text);
}

/** The fields a job and a schedule share, as typed. priority is null where the form has none (schedules). */
export interface JobSpecForm {
  kind: string;
  activity: string;
  batchSize: string;
  parallelism: string;
  priority: string | null;
  maxAttempts: string;
  insertMode: string;
}

export interface JobSpecBody {
  kind: string;
  payload: { activity?: string };
  batch_size?: number;
  parallelism?: number;
  priority?: number;
  max_attempts?: number;
  insert_mode?: string;
}

/** The request's share of a job spec: only what the kind uses, and blank numbers left out (the server's defaults). */
export function jobSpecBody(form: JobSpecForm, errors: Record<string, string[]>): JobSpecBody {
  const body: JobSpecBody = { kind: form.kind, payload: form.kind === 'custom' ? { activity: form.activity } : {} };
  const numbers: [keyof JobSpecBody, string | null, string, boolean][] = [
    ['batch_size', form.batchSize, '$.batch_size', false], ['parallelism', form.parallelism, '$.parallelism', false],
    ['max_attempts', form.maxAttempts, '$.max_attempts', false], ['priority', form.priority, '$.priority', true],
  ];
  for (const [key, text, path, signed] of numbers) {
    if (text === null) continue;
    const n = wholeNumber(text, path, errors, { signed });
    if (n !== null) (body as unknown as Record<string, number>)[key] = n;
  }
  if (form.kind === 'clickhouse_export') body.insert_mode = form.insertMode;
  return body;
}

/** A row's bar, with its shards and rows in words. */
function jobProgressCell(job: Job, p: Progress, title: string): HTMLTableCellElement {
  return h('td', { 'data-label': 'Progress', class: 'progress-col' }, h('div', { class: 'cell' }, h('div', { class: 'job-progress' },
    progressBar(jobShardFraction(job, p), { label: `Shards done: ${title}`, state: job.status }),
    h('span', { class: 'small job-progress-text' }, jobShardText(job, p), ' · ', plural(p.rows, 'row')))));
}

/**
 * The fields a job and a schedule share: kind, a custom job's activity, batch size, parallelism, priority, max
 * attempts, insert mode (exports only). Returns the nodes and a reader for the request body.
 */
function jobSpecFields(c: JobCatalog, { withPriority = true } = {}): { nodes: HTMLElement[]; read(data: FormData, errors: Record<string, string[]>): JobSpecBody } {
  const kind = selectControl(kindOptions(c), 'custom');
  const kindHint = h('span', {});
  const activityField = field({
    label: 'Activity', name: 'activity', path: '$.payload.activity', value: JOB_DEFAULT_ACTIVITY, autocomplete: 'off', attrs: { spellcheck: 'false', class: 'mono', maxlength: 200 },
    hint: 'The name of an activity registered in the host, e.g. events.count_by_type (counts the organization’s events per type).',
  });
  const insertMode = selectControl([{ value: 'sync', label: 'Synchronous (wait for each insert)' }, { value: 'async', label: 'Asynchronous (ClickHouse buffers)' }], c.defaults.insert_mode);
  const insertField = field({ label: 'Insert mode', name: 'insert_mode', control: insertMode, hint: 'How batches are written to ClickHouse.' });
  const d = c.defaults;
  const l = c.limits;
  const num = (label: string, name: string, value: number, hint: string, attrs: Record<string, string>) => field({
    label, name, type: 'number', value: String(value), hint, attrs: { step: '1', inputmode: 'numeric', ...attrs },
  });
  const kindField = field({ label: 'Kind', name: 'kind', control: kind, hint: ' ' });
  // The kind's help changes with the kind: a span in the hint slot (field() takes text).
  setChildren(kindField.querySelector('.hint')!, kindHint);
  const sync = () => {
    const k = c.kinds.find((x) => x.kind === kind.value);
    kindHint.textContent = [k?.description, k?.unavailable_reason].filter(Boolean).join(' ');
    activityField.hidden = kind.value !== 'custom';
    insertField.hidden = kind.value !== 'clickhouse_export';
  };
  kind.addEventListener('change', sync);
  const nodes = [
    kindField,
    activityField,
    h('div', { class: 'field-row' },
      num('Batch size', 'batch_size', d.batch_size, `Rows per batch, 1 to ${fmtInt(l.batch_size_max)}: each batch is one transaction and one checkpoint.`,
        { min: '1', max: String(l.batch_size_max) }),
      num('Parallelism', 'parallelism', d.parallelism, `Shards (key ranges) run side by side, 1 to ${l.parallelism_max}.`, { min: '1', max: String(l.parallelism_max) })),
    h('div', { class: 'field-row' },
      withPriority ? num('Priority', 'priority', d.priority, `${l.priority_min} to ${l.priority_max}: higher runs first.`,
        { min: String(l.priority_min), max: String(l.priority_max) }) : null,
      num('Max attempts', 'max_attempts', d.max_attempts, `Per shard, 1 to ${l.max_attempts_max}, with a growing backoff between them.`,
        { min: '1', max: String(l.max_attempts_max) })),
    insertField,
  ];
  sync();
  const read = (data: FormData, errors: Record<string, string[]>) => jobSpecBody({
    kind: kind.value, activity: formText(data, 'activity'), batchSize: formText(data, 'batch_size'), parallelism: formText(data, 'parallelism'),
    priority: withPriority ? formText(data, 'priority') : null, maxAttempts: formText(data, 'max_attempts'), insertMode: insertMode.value,
  }, errors);
  return { nodes, read };
}

/** Create a job (admins): the API's 422s land on their fields, e.g. an export on a host without ClickHouse. */
async function openCreateJob(ctx: PageContext, onCreated: (created: JobView) => void): Promise<void> {
  let c: JobCatalog;
  try { c = await jobCatalog(ctx.transport); } catch (error) { actionFailed('Could not open the form', error); return; }
  const spec = jobSpecFields(c);
  const dryId = nextId('dry-run');
  const form = h('form', { class: 'stack' },
    h('div', { class: 'problem-slot' }),
    spec.nodes,
    field({
      label: 'Scheduled at', name: 'scheduled_at', type: 'datetime-local', optional: true, attrs: { step: '1' },
      hint: 'Empty: as soon as a dispatcher picks it up. In your local time; within a year.',
    }),
    h('div', { class: 'checkbox', dataset: { path: '$.dry_run', label: 'Dry run' } },
      h('input', { type: 'checkbox', id: dryId, name: 'dry_run', 'aria-describedby': `${dryId}-help` }),
      h('label', { for: dryId }, h('span', { class: 'strong' }, 'Dry run'),
        h('span', { class: 'muted small block', id: `${dryId}-help` }, 'Reads and counts everything, changes nothing.'))),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'btn primary' }, 'Create job')));
  const dialog = openDialog({ title: 'Create a job', content: form });
  handleSubmit(form, async (data) => {
    const errors: Record<string, string[]> = {};
    const body: Schemas['JobRequest'] = { ...spec.read(data, errors), dry_run: data.get('dry_run') === 'on' };
    const at = formText(data, 'scheduled_at');
    if (at) {
      body.scheduled_at = fromLocalInput(at)?.toISOString() ?? null;
      if (!body.scheduled_at) errors['$.scheduled_at'] = ['must be a date and time.'];
    }
    if (Object.keys(errors).length) throw validationFailed(errors);
    const created = await call(ctx.transport, 'createJob', { body });
    dialog.close(true);
    const later = new Date(created.job.scheduled_at).getTime() > Date.now() + 5000;
    toast(`Job created: ${jobTitle(created.job)}${later ? `, starting ${relative(created.job.scheduled_at)}` : ''}.`);
    onCreated(created);
  });
}

export function viewJobs(main: HTMLElement, ctx: PageContext): void {
  if (!ctx.holds('jobs_read')) {
    main.append(pageHeader('Jobs', null), h('div', { class: 'card' },
      emptyState('Only admins and team leads can see jobs.', 'Jobs are the organization’s background work: exports, reindexing and custom activities.')));
    return;
  }
  const writable = ctx.holds('jobs_write');
  const state = jobFilters(ctx.params);
  let jobs: JobView[] = [];
  let fresh = new Set<string>();
  let signature = '';
  rememberList('jobs', location.hash || '#/jobs');

  const create = writable ? h('button', { type: 'button', class: 'btn primary', onclick: () => void openCreateJob(ctx, created) }, 'Create job') : null;
  const status = selectControl([{ value: '', label: 'Any status' }, ...Object.entries(JOB_STATUS).map(([value, s]) => ({ value, label: s.label }))], state.status);
  const kind = selectControl(kindFilterOptions(state.kind), state.kind);
  fillKinds(kind, ctx.transport);
  // The labels the list shows and the schedules' limit come with the catalog: drawn again when it is in.
  let schedulesMax: number | null = null;
  void jobCatalog(ctx.transport).then((c) => {
    if (!ctx.alive()) return;
    schedulesMax = c.limits.schedules_max;
    if (schedulesLoaded) withFocusKept(schedulesSlot, drawSchedules);
    if (jobs.length) draw();
  }, () => { /* the forms say so when opened */ });
  const clearFilters = () => { status.value = ''; kind.value = ''; apply(); };
  const clear = h('button', { type: 'button', class: 'btn ghost small', onclick: clearFilters }, 'Clear filters');
  const liveNote = h('span', { class: 'muted small live-note' });
  const countLine = h('p', { class: 'muted toolbar-count' });
  const announcer = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter jobs' },
    h('div', { class: 'problem-slot' }),
    h('div', { class: 'toolbar' },
      toolbarField('Status', status, { path: 'status' }),
      toolbarField('Kind', kind, { path: 'kind' }),
      h('div', { class: 'toolbar-end' }, clear)),
    h('div', { class: 'toolbar toolbar-meta' }, liveNote, countLine));
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading jobs…'));
  const more = h('div', { class: 'load-more' });
  const schedulesId = nextId('schedules');
  const schedulesSlot = h('div', { class: 'card flush' }, loadingPanel('Loading schedules…'));
  const schedulesCount = h('p', { class: 'muted small' });
  const createSchedule = writable ? h('button', { type: 'button', class: 'btn secondary', onclick: () => void openScheduleForm() }, 'Create schedule') : null;
  const query = (extra: { limit: number; cursor?: string | null }) => ({
    ...(state.status ? { status: state.status } : {}), ...(state.kind ? { kind: state.kind } : {}),
    limit: extra.limit, ...(extra.cursor ? { cursor: extra.cursor } : {}),
  });
  const pager = pagedList<JobView>({
    ctx, list, more, filters, loadingText: 'Loading jobs…', rejectedText: 'The jobs could not be listed with these filters.',
    fetchPage: (cursor) => call(ctx.transport, 'listJobs', { query: query({ limit: JOB_PAGE_SIZE, cursor }) }),
    shown: () => jobs, idOf: (x) => x.job.id,
    onStart: (append) => { live.stop(); if (!append) fresh = new Set(); },
    onPage: (rows) => {
      jobs = rows;
      signature = jobsSignature(jobs);
      withFocusKept(list, draw);
      live.done();
    },
    onRejected: () => { jobs = []; },
  });
  // Every 2 s while a job shown runs (or is about to), on the live stream's hints; any hint may be a new job.
  const live = liveRefresh({
    ctx, topics: ['jobs'], everyMs: JOB_LIVE_MS, note: liveNote, everyHint: true,
    watching: () => jobs.some(({ job }) => jobLive(job)),
    busy: () => !!document.querySelector('dialog[open]') || !!more.querySelector('button:disabled'),
    read: async () => {
      const fresher = await pager.reread((limit) => call(ctx.transport, 'listJobs', { query: query({ limit }) }), { pageSize: JOB_PAGE_SIZE, max: JOB_REFRESH_MAX });
      if (!fresher) return;
      const sig = jobsSignature(fresher.next);
      if (sig === signature) return;
      const news = jobsNews(jobs, fresher.next, fresher.added.length);
      jobs = fresher.next;
      signature = sig;
      fresh = new Set(fresher.added.map((x) => x.job.id));
      withFocusKept(list, draw);
      if (news) announcer.textContent = news;
    },
  });
  main.append(
    pageHeader('Jobs', 'Background work over the organization’s data, split into key-range shards that run in parallel and checkpoint after every batch: a failure resumes where it stopped. Progress updates live while a job runs.', create),
    filters, announcer, list, more,
    h('section', { class: 'jobs-schedules stack-sm', 'aria-labelledby': schedulesId },
      h('div', { class: 'section-head' },
        h('div', {}, h('h2', { id: schedulesId }, 'Schedules'),
          h('p', { class: 'muted' }, 'Recurring jobs: each schedule creates a job at its cron times (UTC).')),
        h('div', { class: 'section-actions' }, schedulesCount, createSchedule)),
      schedulesSlot));

  filters.addEventListener('submit', (event) => { event.preventDefault(); apply(); });
  for (const select of [status, kind]) select.addEventListener('change', () => apply());

  /** The filters as changed: into the URL (replacing, so Back leaves the list) and read again. */
  function apply(): void {
    state.status = status.value;
    state.kind = kind.value;
    const hash = jobsHash(state);
    rememberList('jobs', hash);
    history.replaceState(null, '', hash);
    void pager.load();
  }

  function created({ job }: JobView): void {
    if (!ctx.alive()) return;
    // Shown at the top whatever the filters say, so the job just made is never out of sight.
    if (state.status || state.kind) clearFilters();
    else void pager.load().then(() => { fresh = new Set([job.id]); withFocusKept(list, draw); });
  }

  function draw(): void {
    const running = jobs.filter(({ job }) => job.status === 'running').length;
    clear.hidden = !state.status && !state.kind;
    countLine.textContent = jobs.length ? `${plural(jobs.length, 'job')} shown${pager.cursor ? ', more below' : ''}${running ? ` · ${fmtInt(running)} running` : ''}` : '';
    pager.drawMore();
    if (!jobs.length) {
      setChildren(list, state.status || state.kind
        ? emptyState('No job matches these filters.', null, h('button', { type: 'button', class: 'btn secondary', onclick: clearFilters }, 'Clear filters'))
        : emptyState('No jobs yet', writable
          ? 'Run a custom activity, reindex costs after a price change, or export to ClickHouse. Jobs made by schedules appear here too.'
          : 'Jobs that admins start, and those made by schedules, appear here with their progress.',
        writable && h('button', { type: 'button', class: 'btn primary', onclick: () => void openCreateJob(ctx, created) }, 'Create job')));
      return;
    }
    const table = h('table', { class: 'table dense jobs-table' },
      h('caption', { class: 'sr-only' }, 'Jobs, newest first. Open a job for its shards and event log.'),
      h('thead', {}, h('tr', {},
        ['Job', 'Status', 'Created'].map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col', class: 'num' }, 'Duration'),
        h('th', { scope: 'col' }, 'Progress'),
        h('th', { scope: 'col' }, 'Errors'))),
      h('tbody', {}, jobs.map(jobRow)));
    setChildren(list, h('div', { class: 'table-wrap' }, table));
  }

  function jobRow({ job, progress: p }: JobView): HTMLTableRowElement {
    const ms = jobDuration(job);
    const startsIn = job.status === 'scheduled' ? new Date(job.scheduled_at).getTime() - Date.now() : null;
    const title = jobTitle(job);
    return h('tr', { class: `${fresh.has(job.id) ? 'fresh' : ''}${job.status === 'cancelled' ? ' inactive' : ''}`.trim() || null },
      cell('Job', h('div', { class: 'who job-who' },
        h('a', { href: jobHref(job.id), class: 'strong', dataset: { focus: `job:${job.id}` } }, title),
        h('code', { class: 'small muted id-clip', title: job.id }, job.id),
        (job.dry_run || job.schedule_id) && h('span', { class: 'chips' },
          job.dry_run && h('span', { class: 'chip' }, 'Dry run'),
          job.schedule_id && h('span', { class: 'chip', title: 'Created by a recurring schedule' }, 'Scheduled')))),
      cell('Status', h('span', { class: 'status-stack' }, statusBadge(JOB_STATUS, job.status),
        job.cancel_requested_at && job.status === 'running' && h('span', { class: 'muted small' }, 'Cancelling…'))),
      cell('Created', shortTimeEl(job.created_at), h('span', { class: 'muted small block' }, relative(job.created_at))),
      numCell('Duration', ms !== null
        ? [fmtElapsed(ms), job.status === 'running' ? h('span', { class: 'muted small' }, 'so far') : null]
        : startsIn !== null && startsIn > 1000
          ? [h('span', { class: 'muted' }, 'Starts'), h('span', { class: 'muted small' }, relative(job.scheduled_at))]
          : h('span', { class: 'muted' }, '—')),
      jobProgressCell(job, p, title),
      cell('Errors', p.shards_failed || job.error
        ? [p.shards_failed ? h('span', { class: 'danger-text strong small block' }, plural(p.shards_failed, 'failed shard')) : null,
          job.error ? h('span', { class: 'small clamp danger-text', title: job.error }, job.error) : null]
        : h('span', { class: 'muted' }, '—')));
  }

  // ----- schedules

  let schedules: Schedule[] = [];
  let schedulesLoaded = false;

  async function loadSchedules(): Promise<void> {
    if (schedulesSlot.querySelector('table')) schedulesSlot.setAttribute('aria-busy', 'true');
    try {
      // A page holds every schedule an organization can have (50); shown by name.
      const { items } = await readAll((cursor) => call(ctx.transport, 'listJobSchedules', { query: { limit: 200, ...(cursor ? { cursor } : {}) } }));
      if (!ctx.alive()) return;
      schedulesSlot.removeAttribute('aria-busy');
      schedules = items.sort((a, b) => a.name.localeCompare(b.name));
      schedulesLoaded = true;
      withFocusKept(schedulesSlot, drawSchedules);
    } catch (e) {
      if (!ctx.alive()) return;
      schedulesSlot.removeAttribute('aria-busy');
      setChildren(schedulesSlot, errorPanel(e, () => void loadSchedules(), ctx.onForbidden));
    }
  }

  function drawSchedules(): void {
    schedulesCount.textContent = schedules.length ? `${plural(schedules.length, 'schedule')}${schedulesMax ? ` of ${schedulesMax}` : ''}` : '';
    if (createSchedule) {
      createSchedule.disabled = !!schedulesMax && schedules.length >= schedulesMax;
      createSchedule.title = createSchedule.disabled ? `An organization has at most ${schedulesMax} schedules: delete one first.` : '';
    }
    if (!schedules.length) {
      setChildren(schedulesSlot, emptyState('No schedules yet', writable
        ? 'A schedule creates a job at each of its cron times, e.g. an export every 5 minutes.'
        : 'An admin can make jobs recur here.'));
      return;
    }
    setChildren(schedulesSlot, h('div', { class: 'table-wrap' }, h('table', { class: 'table dense schedules-table' },
      h('caption', { class: 'sr-only' }, 'Job schedules'),
      h('thead', {}, h('tr', {},
        ['Schedule', 'Cron (UTC)', 'Kind', 'Next run', 'Last job', 'Active'].map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, schedules.map(scheduleRow)))));
  }

  function scheduleRow(s: Schedule): HTMLTableRowElement {
    const payload = s.payload as { activity?: unknown } | null;
    const activity = s.kind === 'custom' && typeof payload?.activity === 'string' ? payload.activity : null;
    let active: HTMLElement;
    if (writable) {
      const box = h('input', { type: 'checkbox', role: 'switch', class: 'switch', checked: s.active, 'aria-label': `Active: ${s.name}`, dataset: { focus: `active:${s.id}` } });
      box.addEventListener('change', () => void setActive(s, box));
      active = h('label', { class: 'switch-label' }, box, h('span', { 'aria-hidden': 'true' }, s.active ? 'On' : 'Off'));
    } else {
      active = s.active ? badge('Active', 'success') : badge('Paused', 'neutral', 'It creates no jobs until it is made active again.');
    }
    return h('tr', { class: s.active ? null : 'inactive' },
      cell('Schedule', h('span', { class: 'strong' }, s.name)),
      cell('Cron (UTC)', h('code', {}, s.cron)),
      cell('Kind', jobKindLabel(s.kind), activity && h('code', { class: 'small muted block' }, activity),
        h('span', { class: 'muted small block' }, `batch ${fmtInt(s.batch_size)} · ${plural(s.parallelism, 'shard')} in parallel`)),
      cell('Next run', s.active ? [timeEl(s.next_run_at, { withTime: true }), h('span', { class: 'muted small block' }, relative(s.next_run_at))] : h('span', { class: 'muted' }, 'Paused')),
      cell('Last job', s.last_job_id
        ? h('a', { href: jobHref(s.last_job_id), class: 'mono id-clip', title: s.last_job_id }, s.last_job_id)
        : h('span', { class: 'muted' }, 'None yet')),
      cell('Active', active),
      actionsCell(writable && h('button', {
        type: 'button', class: 'btn ghost small danger-text', 'aria-label': `Delete ${s.name}`, dataset: { focus: `delete:${s.id}` }, onclick: () => deleteSchedule(s),
      }, 'Delete')));
  }

  async function setActive(s: Schedule, box: HTMLInputElement): Promise<void> {
    box.disabled = true;
    try {
      const saved = await call(ctx.transport, 'updateJobSchedule', { path: { id: s.id }, body: { active: box.checked } });
      toast(saved.active ? `Schedule “${saved.name}” is active: next run ${relative(saved.next_run_at)}.` : `Schedule “${saved.name}” paused.`);
    } catch (e) {
      box.checked = !box.checked;
      actionFailed(`Could not change “${s.name}”`, e);
    }
    if (ctx.alive()) void loadSchedules();
  }

  function deleteSchedule(s: Schedule): void {
    confirmDelete({
      title: 'Delete schedule',
      message: `Delete “${s.name}”? It creates no more jobs. Jobs it already created stay, with their results.`,
      confirmLabel: 'Delete schedule',
      remove: () => call(ctx.transport, 'deleteJobSchedule', { path: { id: s.id } }),
      done: `Schedule “${s.name}” deleted.`,
      reload: () => { if (ctx.alive()) void loadSchedules(); },
    });
  }

  async function openScheduleForm(): Promise<void> {
    let c: JobCatalog;
    try { c = await jobCatalog(ctx.transport); } catch (error) { actionFailed('Could not open the form', error); return; }
    const spec = jobSpecFields(c);
    const activeId = nextId('active');
    const form = h('form', { class: 'stack' },
      h('div', { class: 'problem-slot' }),
      field({ label: 'Name', name: 'name', autocomplete: 'off', required: true, attrs: { maxlength: 200 }, hint: 'Unique in the organization, e.g. “Nightly reindex”.' }),
      field({
        label: 'Cron', name: 'cron', value: '', autocomplete: 'off', required: true, attrs: { spellcheck: 'false', class: 'mono', placeholder: '*/5 * * * *' },
        hint: 'Five fields, UTC: */5 * * * * = every 5 minutes. Minute, hour, day of month, month, day of week.',
      }),
      spec.nodes,
      h('div', { class: 'checkbox', dataset: { path: '$.active', label: 'Active' } },
        h('input', { type: 'checkbox', id: activeId, name: 'active', checked: true }),
        h('label', { for: activeId }, h('span', { class: 'strong' }, 'Active'),
          h('span', { class: 'muted small block' }, 'A paused schedule creates no jobs.'))),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, 'Create schedule')));
    const dialog = openDialog({ title: 'Create a schedule', content: form });
    handleSubmit(form, async (data) => {
      const errors: Record<string, string[]> = {};
      const body = { name: formText(data, 'name'), cron: formText(data, 'cron'), ...spec.read(data, errors), active: data.get('active') === 'on' };
      if (Object.keys(errors).length) throw validationFailed(errors);
      const saved = await call(ctx.transport, 'createJobSchedule', { body });
      dialog.close(true);
      toast(saved.active ? `Schedule “${saved.name}” created: first run ${relative(saved.next_run_at)}.` : `Schedule “${saved.name}” created, paused.`);
      if (ctx.alive()) void loadSchedules();
    }, { codePaths: { schedule_exists: '$.name', schedule_limit: '$.name' } });
  }

  void pager.load();
  void loadSchedules();
}
