// Orchestrations: the durable orchestration monitor (OrchestrationMonitor/OrchestrationsApi.cs). The list shows one
// instance per job (same id) with its progress, filtered by status, kind, creation time and instance id (all in the
// URL), re-read live while an instance shown runs; admins (jobs_write) purge ended instances by filter after a dry run
// counts them. What the instance page (orchestration.ts) shares about instances lives here too.
import { call, type Schemas } from '../api/client';
import { openDialog } from '../components/dialog';
import { field, formText, handleSubmit, selectControl, toolbarField, validationFailed } from '../components/forms';
import { liveRefresh } from '../components/liveRefresh';
import { pagedList } from '../components/pagedList';
import { emptyState, loadingPanel, pageHeader } from '../components/panels';
import { progressBar } from '../components/progress';
import { cell } from '../components/table';
import { relative, shortTimeEl } from '../components/time';
import { toast } from '../components/toast';
import { h, nextId, setChildren, withFocusKept } from '../lib/dom';
import { fmtInt, plural } from '../lib/format';
import { hashHref } from '../lib/href';
import { rememberList } from '../lib/listMemory';
import { fromLocalInput, toLocalInput } from '../lib/timeWindow';
import type { PageContext } from './context';
import { fillKinds, isKindName, JOB_STATUS, jobHref, jobKindLabel, kindFilterOptions, statusBadge, statusInfo, type StatusInfo } from './jobs';

type Instance = Schemas['InstanceView'];

export const ORCH_STATUS: Record<string, StatusInfo> = {
  pending: { label: 'Pending', kind: 'scheduled', help: 'Created, waiting for a worker to start it.' },
  running: { label: 'Running', kind: 'accent live', help: null },
  suspended: { label: 'Suspended', kind: 'warning', help: 'Suspended by an operator: nothing runs until it is resumed.' },
  completed: { label: 'Completed', kind: 'success', help: null },
  failed: { label: 'Failed', kind: 'danger', help: null },
  terminated: { label: 'Terminated', kind: 'neutral', help: 'Stopped by an operator (its job was cancelled).' },
};
export const ORCH_ENDED: readonly string[] = ['completed', 'failed', 'terminated'];
/** OrchestrationsApi: which operation applies to which status (409 orchestration_state otherwise). */
const ORCH_OPERATIONS = {
  suspend: ['running', 'pending'],
  resume: ['suspended'],
  terminate: ['running', 'pending', 'suspended'],
  events: ['running', 'pending', 'suspended'],
  purge: ORCH_ENDED,
} as const satisfies Record<string, readonly string[]>;
export type OrchOperation = keyof typeof ORCH_OPERATIONS;
/** The live re-read's period while an instance runs. */
export const ORCH_LIVE_MS = 3000;
const ORCH_PAGE_SIZE = 50;
const ORCH_REFRESH_MAX = 200; // the API's largest page
const ORCH_PURGE_MAX = 100; // OrchestrationsApi.MaxPurge

export const orchestrationHref = (id: string): string => `#/orchestrations/${encodeURIComponent(id)}`;
export const orchEnded = (status: string): boolean => ORCH_ENDED.includes(status);
/** Whether an operation applies to an instance in this status (the caller's permission aside). */
export const orchAllows = (operation: OrchOperation, status: string): boolean => (ORCH_OPERATIONS[operation] as readonly string[]).includes(status);

export const orchStatusBadge = (status: string): HTMLSpanElement => statusBadge(ORCH_STATUS, status);

/** A job orchestration's progress (its custom status): the bar's fraction and state (the job's colours), and its words. */
export function orchProgressView(o: Pick<Instance, 'status' | 'progress'>): { fraction: number; state: string; words: string } | null {
  const p = o.progress;
  if (!p) return null;
  const fraction = p.shards ? p.done / p.shards : o.status === 'completed' ? 1 : 0;
  const state = ({ completed: 'succeeded', failed: 'failed', terminated: 'cancelled', suspended: 'pending' } as Record<string, string>)[o.status] ?? 'running';
  const words = p.shards ? `${fmtInt(p.done)} of ${plural(p.shards, 'shard')} done` : orchEnded(o.status) ? 'No shards' : 'Planning…';
  return { fraction, state, words };
}

/** Shards done of all, from the job orchestration's custom status (null for other orchestrations). */
export function orchProgress(o: Instance, { big = false, label = 'Shards done' } = {}): HTMLElement | null {
  const view = orchProgressView(o);
  const p = o.progress;
  if (!view || !p) return null;
  return h('div', { class: 'job-progress' },
    progressBar(view.fraction, { label, state: view.state, big }),
    h('span', { class: 'small job-progress-text' }, view.words,
      p.running ? ` · ${fmtInt(p.running)} running` : '',
      p.generation ? h('span', { class: 'muted', title: 'Times the orchestration continued as new (every 100 shard runs)' }, ` · generation ${fmtInt(p.generation)}`) : ''));
}

/** The job that owns an instance (instance id = job id). */
export function orchJobLink(job: Instance['job'] | null): HTMLElement {
  if (!job) return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'status-stack' },
    h('a', { href: jobHref(job.id) }, jobKindLabel(job.kind)),
    statusBadge(JOB_STATUS, job.status));
}

/** The list's filters, as the URL and the API name them (from and to: ISO instants). */
export interface OrchFilters {
  status: string[];
  kind: string;
  from: string;
  to: string;
  instance: string;
}

export function orchFilters(params: URLSearchParams): OrchFilters {
  const kind = params.get('kind') ?? '';
  return {
    status: (params.get('status') ?? '').split(',').filter((s) => Object.hasOwn(ORCH_STATUS, s)),
    kind: isKindName(kind) ? kind : '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    instance: params.get('instance') ?? '',
  };
}

export const orchFiltered = (f: OrchFilters): boolean => !!(f.status.length || f.kind || f.from || f.to || f.instance);

/** The filters as the API's query and the list's hash parameters (statuses comma-separated, empty ones left out). */
export function orchQuery(f: OrchFilters): { status?: string; kind?: string; from?: string; to?: string; instance?: string } {
  const q: Record<string, string> = {};
  if (f.status.length) q.status = f.status.join(',');
  for (const k of ['kind', 'from', 'to', 'instance'] as const) if (f[k]) q[k] = f[k];
  return q;
}

export const orchestrationsHash = (f: OrchFilters): string => hashHref('/orchestrations', orchQuery(f));

/** Changes the list shows (and redraws for). */
export const orchSignature = (rows: readonly Instance[]): string => rows.map((o) =>
  `${o.instance_id}|${o.status}|${o.last_updated_at}|${o.job?.status}|${o.progress ? `${o.progress.done}/${o.progress.shards}/${o.progress.running}/${o.progress.generation}` : ''}`).join('\n');

/** What a screen reader hears after a live re-read: the instances that ended meanwhile. */
export function orchNews(before: readonly Instance[], next: readonly Instance[]): string {
  return before.filter((o) => !orchEnded(o.status))
    .map((o) => next.find((x) => x.instance_id === o.instance_id)).filter((o): o is Instance => !!o && orchEnded(o.status))
    .map((o) => `${o.name} ${o.instance_id.slice(0, 8)} ${statusInfo(ORCH_STATUS, o.status).label.toLowerCase()}.`).join(' ');
}

/** The purge form as typed (local datetime-local values), as a request and the errors found before asking the API. */
export function purgeRequest(form: { statuses: string[]; createdAfter: string; createdBefore: string }): { body: Schemas['PurgeRequest']; errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  const body: Schemas['PurgeRequest'] = { statuses: form.statuses };
  if (!form.statuses.length) errors['$.statuses'] = ['choose at least one.'];
  if (form.createdAfter) {
    body.created_after = fromLocalInput(form.createdAfter)?.toISOString() ?? null;
    if (!body.created_after) errors['$.created_after'] = ['must be a date and time.'];
  }
  if (!form.createdBefore) errors['$.created_before'] = ['is required: purge what was created before a time.'];
  else if (!(body.created_before = fromLocalInput(form.createdBefore)?.toISOString() ?? null)) errors['$.created_before'] = ['must be a date and time.'];
  return { body, errors };
}

/**
 * Purge ended instances by filter: the dry run counts what matches first, then the same filter purges. Changing a
 * field goes back to counting.
 */
function openPurgeByFilter(ctx: PageContext, onPurged: () => void): void {
  const statusChecks = ORCH_ENDED.map((s) => {
    const id = nextId(`purge-${s}`);
    return h('div', { class: 'checkbox' },
      h('input', { type: 'checkbox', id, name: 'statuses', value: s, checked: true }),
      h('label', { for: id }, statusInfo(ORCH_STATUS, s).label));
  });
  const statuses = h('fieldset', { class: 'fieldset', dataset: { path: '$.statuses', label: 'Statuses' } },
    h('legend', {}, 'Statuses'), h('div', { class: 'check-row' }, statusChecks), h('p', { class: 'field-error', hidden: true }));
  const result = h('div', { class: 'purge-count', role: 'status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Count matching instances');
  let counted: Schemas['PurgeRequest'] | null = null; // the request of the last dry run, while the fields are unchanged
  const form = h('form', { class: 'stack' },
    h('p', {}, 'Removes the engine’s state and history of ended instances (completed, failed, terminated). Their jobs and job event logs are kept. Running instances are never purged.'),
    h('div', { class: 'problem-slot' }),
    statuses,
    field({ label: 'Created after', name: 'created_after', path: '$.created_after', type: 'datetime-local', optional: true, attrs: { step: '1' } }),
    field({ label: 'Created before', name: 'created_before', path: '$.created_before', type: 'datetime-local', attrs: { step: '1' },
      value: toLocalInput(new Date(Date.now() + 60_000)), hint: 'In your local time: instances whose job was created before then (by default, everything so far).' }),
    result,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
      submit));
  const dialog = openDialog({ title: 'Purge ended orchestrations', content: form });
  const reset = () => {
    if (!counted) return;
    counted = null;
    setChildren(result);
    submit.className = 'btn primary';
    submit.textContent = 'Count matching instances';
    submit.hidden = false;
  };
  form.addEventListener('input', reset);
  form.addEventListener('change', reset);
  handleSubmit(form, async (data) => {
    if (counted) {
      const done = await call(ctx.transport, 'purgeOrchestrations', { body: { ...counted, dry_run: false } });
      dialog.close(true);
      toast(`Purged ${plural(done.purged, 'orchestration instance')}${done.next_cursor ? '; more match: purge again for the rest' : ''}.`);
      onPurged();
      return;
    }
    const { body, errors } = purgeRequest({
      statuses: data.getAll('statuses').filter((v): v is string => typeof v === 'string'),
      createdAfter: formText(data, 'created_after'), createdBefore: formText(data, 'created_before'),
    });
    if (Object.keys(errors).length) throw validationFailed(errors);
    const dry = await call(ctx.transport, 'purgeOrchestrations', { body: { ...body, dry_run: true } });
    if (!dry.matched) {
      setChildren(result, h('p', { class: 'alert info' }, 'No ended instance matches: nothing to purge.'));
      return;
    }
    counted = body;
    const shown = Math.min(dry.matched, ORCH_PURGE_MAX);
    setChildren(result, h('div', { class: 'alert warning' },
      h('p', { class: 'strong' }, `${plural(dry.matched, 'ended instance')} ${dry.matched === 1 ? 'matches' : 'match'}${dry.next_cursor ? ' (at least)' : ''}.`),
      h('p', {}, dry.next_cursor || dry.matched > ORCH_PURGE_MAX
        ? `One request purges at most ${fmtInt(ORCH_PURGE_MAX)}: purge again for the rest.`
        : 'Purging cannot be undone.')));
    submit.className = 'btn danger';
    submit.textContent = `Purge ${plural(shown, 'instance')}`;
    submit.focus();
  }, { codePaths: {} });
}

export function viewOrchestrations(main: HTMLElement, ctx: PageContext): void {
  if (!ctx.holds('jobs_read')) {
    main.append(pageHeader('Orchestrations', null), h('div', { class: 'card' },
      emptyState('Only admins and team leads can see orchestrations.', 'Orchestrations are the durable workflows that run the organization’s jobs.')));
    return;
  }
  const writable = ctx.holds('jobs_write');
  const state = orchFilters(ctx.params);
  let items: Instance[] = [];
  let signature = '';
  rememberList('orchestrations', location.hash || '#/orchestrations');

  const statusBoxes = Object.entries(ORCH_STATUS).map(([value, s]) => {
    const id = nextId(`orch-status-${value}`);
    return h('div', { class: 'checkbox' },
      h('input', { type: 'checkbox', id, value, checked: state.status.includes(value) }),
      h('label', { for: id }, s.label));
  });
  const statusSet = h('fieldset', { class: 'fieldset toolbar-field field orch-statuses', dataset: { path: 'status', label: 'Status' } },
    h('legend', {}, 'Status'), h('div', { class: 'check-row' }, statusBoxes), h('p', { class: 'field-error', hidden: true }));
  const statusInputs = [...statusSet.querySelectorAll('input')];
  const kind = selectControl(kindFilterOptions(state.kind), state.kind);
  fillKinds(kind, ctx.transport);
  const localValue = (iso: string) => (iso && Number.isFinite(Date.parse(iso)) ? toLocalInput(new Date(iso)) : '');
  const from = h('input', { type: 'datetime-local', value: localValue(state.from) });
  const to = h('input', { type: 'datetime-local', value: localValue(state.to) });
  const instance = h('input', { type: 'search', value: state.instance, autocomplete: 'off', spellcheck: 'false', maxlength: 36, placeholder: '0193f…', class: 'mono' });
  const clear = h('button', { type: 'button', class: 'btn ghost small', onclick: () => clearFilters() }, 'Clear filters');
  const liveNote = h('span', { class: 'muted small live-note' });
  const countLine = h('p', { class: 'muted toolbar-count' });
  const announcer = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter orchestrations' },
    h('div', { class: 'problem-slot' }),
    h('div', { class: 'toolbar' }, statusSet),
    h('div', { class: 'toolbar' },
      toolbarField('Kind', kind, { path: 'kind' }),
      toolbarField('Created from', from, { path: 'from' }),
      toolbarField('Created before', to, { path: 'to' }),
      toolbarField('Instance id', instance, { path: 'instance', hint: 'The start of an instance id (= job id).' }),
      h('div', { class: 'toolbar-end' }, clear)),
    h('div', { class: 'toolbar toolbar-meta' }, liveNote, countLine));
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading orchestrations…'));
  const more = h('div', { class: 'load-more' });
  const purge = writable ? h('button', { type: 'button', class: 'btn secondary', onclick: () => openPurgeByFilter(ctx, () => { if (ctx.alive()) void pager.load(); }) }, 'Purge ended…') : null;
  const query = (page: { limit: number; cursor?: string | null }) => ({ ...orchQuery(state), limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}) });
  const pager = pagedList<Instance>({
    ctx, list, more, filters, loadingText: 'Loading orchestrations…', rejectedText: 'The orchestrations could not be listed with these filters.',
    fetchPage: (cursor) => call(ctx.transport, 'listOrchestrations', { query: query({ limit: ORCH_PAGE_SIZE, cursor }) }),
    shown: () => items, idOf: (x) => x.instance_id,
    onStart: () => live.stop(),
    onPage: (rows) => {
      items = rows;
      signature = orchSignature(items);
      withFocusKept(list, draw);
      live.done();
    },
    onRejected: () => { items = []; countLine.textContent = ''; liveNote.textContent = ''; },
  });
  // Every 3 s while an instance shown is running or pending, and on the jobs' live hints (a job's progress is its
  // orchestration's); the engine's own transitions send no hint, so the timer runs while the stream is up too.
  const live = liveRefresh({
    ctx, topics: ['jobs'], everyMs: ORCH_LIVE_MS, note: liveNote, everyHint: true, pollWhileLive: true,
    watching: () => items.some((o) => o.status === 'running' || o.status === 'pending'),
    busy: () => !!document.querySelector('dialog[open]') || !!more.querySelector('button:disabled'),
    read: async () => {
      const fresher = await pager.reread((limit) => call(ctx.transport, 'listOrchestrations', { query: query({ limit }) }), { pageSize: ORCH_PAGE_SIZE, max: ORCH_REFRESH_MAX });
      if (!fresher) return;
      const sig = orchSignature(fresher.next);
      if (sig === signature) return;
      const news = orchNews(items, fresher.next);
      items = fresher.next;
      signature = sig;
      withFocusKept(list, draw);
      if (news) announcer.textContent = news;
    },
  });
  main.append(
    pageHeader('Orchestrations', 'The durable workflows behind jobs: one instance per job (same id), with its progress and its history step by step. Running ones update live.', purge),
    filters, announcer, list, more);

  filters.addEventListener('submit', (event) => { event.preventDefault(); apply(); });
  for (const input of [kind, from, to, ...statusInputs]) input.addEventListener('change', () => apply());
  let typing: ReturnType<typeof setTimeout> | undefined;
  instance.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(apply, 400); });

  function clearFilters(): void {
    for (const box of statusInputs) box.checked = false;
    kind.value = '';
    from.value = '';
    to.value = '';
    instance.value = '';
    apply();
  }

  /** The filters as changed: into the URL (replacing, so Back leaves the list) and read again. */
  function apply(): void {
    Object.assign(state, {
      status: statusInputs.filter((b) => b.checked).map((b) => b.value),
      kind: kind.value,
      from: fromLocalInput(from.value)?.toISOString() ?? '',
      to: fromLocalInput(to.value)?.toISOString() ?? '',
      instance: instance.value.trim(),
    });
    const hash = orchestrationsHash(state);
    rememberList('orchestrations', hash);
    history.replaceState(null, '', hash);
    void pager.load();
  }

  function draw(): void {
    const running = items.filter((o) => o.status === 'running').length;
    clear.hidden = !orchFiltered(state);
    countLine.textContent = items.length ? `${plural(items.length, 'instance')} shown${pager.cursor ? ', more below' : ''}${running ? ` · ${fmtInt(running)} running` : ''}` : '';
    pager.drawMore();
    if (!items.length) {
      setChildren(list, orchFiltered(state)
        ? emptyState('No orchestration matches these filters.', pager.cursor ? 'Only part of the history was looked at: Load more looks further back.' : null,
          h('button', { type: 'button', class: 'btn secondary', onclick: () => clearFilters() }, 'Clear filters'))
        : emptyState('No orchestrations yet', 'Every job that starts runs as an orchestration: it appears here with its progress and history.'));
      return;
    }
    const table = h('table', { class: 'table dense jobs-table orch-table' },
      h('caption', { class: 'sr-only' }, 'Orchestration instances, newest first. Open one for its history.'),
      h('thead', {}, h('tr', {}, ['Instance', 'Status', 'Job', 'Created', 'Last update', 'Progress', 'Error'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, items.map(row)));
    setChildren(list, h('div', { class: 'table-wrap' }, table));
  }

  function row(o: Instance): HTMLTableRowElement {
    return h('tr', { class: o.status === 'terminated' ? 'inactive' : null },
      cell('Instance', h('div', { class: 'who job-who' },
        h('a', { href: orchestrationHref(o.instance_id), class: 'strong', dataset: { focus: `orch:${o.instance_id}` }, 'aria-label': `${o.name} ${o.instance_id}` }, o.name),
        h('code', { class: 'small muted id-clip', title: o.instance_id }, o.instance_id))),
      cell('Status', orchStatusBadge(o.status)),
      cell('Job', orchJobLink(o.job)),
      cell('Created', shortTimeEl(o.created_at), h('span', { class: 'muted small block' }, relative(o.created_at))),
      cell('Last update', shortTimeEl(o.last_updated_at), h('span', { class: 'muted small block' }, relative(o.last_updated_at))),
      h('td', { 'data-label': 'Progress', class: 'progress-col' }, h('div', { class: 'cell' },
        orchProgress(o, { label: `Shards done: ${o.instance_id}` }) ?? h('span', { class: 'muted' }, '—'))),
      cell('Error', o.error ? h('span', { class: 'small clamp danger-text', title: o.error }, o.error) : h('span', { class: 'muted' }, '—')));
  }

  void pager.load();
}

