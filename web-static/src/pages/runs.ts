// The runs list: every run with its cost, tokens and outcome, filtered, sorted and searched on the server (the search
// reaches run names, ids, errors, inputs, outputs and metadata). The view lives in the URL, so it can be linked,
// saved (per browser) and exported; columns and density are the person's choice; new runs arrive on live hints.
import { call, type Schemas } from '../api/client';
import { ApiError, SessionEnded } from '../api/errors';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { h, saveBlob, setChildren, type Child } from '../lib/dom';
import { fmtDuration, fmtInt, fmtMicros, plural } from '../lib/format';
import { rememberList } from '../lib/listMemory';
import {
  CSV_FIELDS, parseViews, RUN_COLUMNS, runsQuery, runState, shownColumns, stateParams, toCsv, withView,
  type Column, type RunState,
} from '../lib/runsList';
import { fromLocalInput, PRESET_LABELS, PRESETS, toLocalInput, type Preset } from '../lib/timeWindow';
import type { PageContext } from './context';

type Run = Schemas['RunView'];

/** Rows per page, and the most a live re-read asks for (the API's largest page). */
export const RUN_PAGE_SIZE = 50;
export const RUN_REFRESH_MAX = 200;
/** While the live stream is down, the list is re-read this often. */
export const RUN_POLL_MS = 5_000;
/** An export reads the matching runs in pages of 200, up to this many (the rest: an export job, docs/jobs.md). */
export const EXPORT_MAX = 10_000;

const STATUS: Record<string, [string, string]> = {
  running: ['Running', 'accent live'], succeeded: ['Succeeded', 'success'], failed: ['Failed', 'danger'], cancelled: ['Cancelled', 'neutral'],
};
const SORTS = [
  { value: 'started_at:desc', label: 'Newest first' }, { value: 'started_at:asc', label: 'Oldest first' },
  { value: 'cost:desc', label: 'Most expensive first' }, { value: 'cost:asc', label: 'Cheapest first' },
  { value: 'duration:desc', label: 'Longest first' }, { value: 'duration:asc', label: 'Shortest first' },
];
const FILTER_LABELS: Record<string, string> = {
  q: 'Search', agent: 'Agent', status: 'Status', from: 'Started from', to: 'Started before', min_cost_usd: 'Cost at least', model: 'Model', tag: 'Tag',
  sort: 'Sort', order: 'Order', limit: 'Page size', cursor: 'Page',
};
const MORE_FILTERS = ['from', 'to', 'min_cost_usd', 'model', 'tag'] as const;

const store = {
  get: (key: string): string | null => { try { return localStorage.getItem(key); } catch { return null; } },
  set: (key: string, value: string) => { try { localStorage.setItem(key, value); } catch { /* storage refused: the choice lasts the page */ } },
};
const COLUMNS_KEY = 'agentops.runs.columns';
const DENSITY_KEY = 'agentops.runs.density';
const VIEWS_KEY = 'agentops.runs.views';
const LIVE_KEY = 'agentops.runs.live';

const started = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
const startedYear = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

function ago(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(seconds, 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}


export function viewRuns(main: HTMLElement, ctx: PageContext): void {
  const state: RunState = runState(ctx.params);
  let columns = shownColumns(parseList(store.get(COLUMNS_KEY)));
  let compact = store.get(DENSITY_KEY) === 'compact';
  let views = parseViews(store.get(VIEWS_KEY));
  let runs: Run[] = [];
  let agents: Schemas['AgentView'][] = [];
  let cursor: string | null = null;
  let token = 0;
  let fresh = new Set<string>();
  let signature = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let exporting: AbortController | null = null;
  rememberList('runs', location.hash || '#/runs');

  // The filters
  const q = h('input', { type: 'search', value: state.q, autocomplete: 'off', maxlength: 200, placeholder: 'Name, id, error, input, output or metadata', 'aria-label': 'Search runs' });
  const agent = select([{ value: '', label: 'All agents' }], '');
  const status = select([{ value: '', label: 'Any status' }, ...Object.entries(STATUS).map(([value, [label]]) => ({ value, label }))], state.status);
  const sortValue = () => `${state.sort || 'started_at'}:${state.order || 'desc'}`;
  const sort = select(SORTS, SORTS.some((s) => s.value === sortValue()) ? sortValue() : SORTS[0]!.value);
  const local = (iso: string) => (Number.isFinite(Date.parse(iso)) ? toLocalInput(new Date(iso)) : '');
  const from = h('input', { type: 'datetime-local', value: local(state.from) });
  const to = h('input', { type: 'datetime-local', value: local(state.to) });
  const minCost = h('input', { type: 'number', min: '0', step: 'any', inputmode: 'decimal', value: state.min_cost_usd, placeholder: '0.05' });
  const model = h('input', { type: 'search', value: state.model, autocomplete: 'off', spellcheck: 'false', list: 'runs-models', placeholder: 'gpt-4o' });
  const modelList = h('datalist', { id: 'runs-models' });
  const tag = h('input', { type: 'search', value: state.tag, autocomplete: 'off', spellcheck: 'false' });
  const moreCount = h('span', { class: 'badge accent', hidden: true });
  // "Any time" and the presets; a custom from–to (More filters, or a drag across an overview chart) presses none.
  const rangeButtons = ['', ...Object.keys(PRESETS)].map((range) => h('button', {
    type: 'button', class: 'segment', dataset: { range },
    onclick: () => { state.range = range; from.value = ''; to.value = ''; apply(); },
  }, range ? PRESET_LABELS[range as Preset] : 'Any time'));
  const pressRange = () => { for (const b of rangeButtons) b.setAttribute('aria-pressed', String(b.dataset.range === state.range && !state.from && !state.to)); };
  pressRange();
  const ranges = h('div', { class: 'time-picker', role: 'group', 'aria-label': 'Started within' }, rangeButtons);
  const problem = h('div', { class: 'problem-slot' });
  const live = h('input', { type: 'checkbox', id: 'runs-live', checked: store.get(LIVE_KEY) !== 'off' });
  const liveNote = h('span', { class: 'muted small live-note' });
  const clear = h('button', { type: 'button', class: 'btn ghost small', onclick: () => clearFilters() }, 'Clear filters');
  const countLine = h('p', { class: 'muted toolbar-count' });
  const announcer = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const field = (label: string, control: HTMLElement, grow = false) => h('label', { class: `toolbar-field${grow ? ' grow' : ''}` }, h('span', {}, label), control);
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter runs', onsubmit: (e: Event) => { e.preventDefault(); apply(); } },
    problem,
    h('div', { class: 'toolbar' }, field('Search', q, true), field('Agent', agent), field('Status', status), field('Sort', sort)),
    h('div', { class: 'toolbar' }, h('div', { class: 'toolbar-field' }, h('span', {}, 'Started within'), ranges)),
    h('details', { class: 'disclosure more-filters', open: MORE_FILTERS.some((k) => state[k]) },
      h('summary', {}, 'More filters ', moreCount),
      h('div', { class: 'toolbar' }, field('Started from', from), field('Started before', to), field('Cost at least (USD)', minCost), field('Model', model), modelList, field('Tag', tag))),
    h('div', { class: 'toolbar toolbar-meta' },
      h('div', { class: 'checkbox' }, live, h('label', { for: live.id }, 'Live')), liveNote, clear, countLine));

  // The view's tools: saved views, columns, density, export
  const viewsSlot = h('div', { class: 'saved-views' });
  const columnsMenu = h('details', { class: 'menu' }, h('summary', { class: 'btn secondary small' }, 'Columns'), h('div', { class: 'menu-body', role: 'group', 'aria-label': 'Columns shown' }));
  const density = h('button', { type: 'button', class: 'btn secondary small', 'aria-pressed': String(compact), onclick: () => {
    compact = !compact;
    store.set(DENSITY_KEY, compact ? 'compact' : 'comfortable');
    density.setAttribute('aria-pressed', String(compact));
    draw();
  } }, 'Compact');
  const exportMenu = h('details', { class: 'menu' }, h('summary', { class: 'btn secondary small' }, 'Export'),
    h('div', { class: 'menu-body' },
      h('button', { type: 'button', class: 'btn ghost small', onclick: () => void exportRuns('csv') }, 'CSV (spreadsheets)'),
      h('button', { type: 'button', class: 'btn ghost small', onclick: () => void exportRuns('json') }, 'JSON (every field)'),
      h('p', { class: 'muted small' }, `The runs that match the filters, up to ${fmtInt(EXPORT_MAX)}.`)));
  const exportProgress = h('div', { class: 'export-progress', hidden: true });
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading runs…'));
  const more = h('div', { class: 'load-more' });
  main.append(
    pageHeader('Runs', 'What your agents did: every run with its cost, tokens and outcome. New runs appear within seconds.',
      h('div', { class: 'page-actions-inner center runs-tools' }, viewsSlot, columnsMenu, density, exportMenu)),
    filters, exportProgress, announcer, list, more);
  drawViews();
  drawColumnsMenu();

  for (const control of [agent, status, sort, from, to, minCost]) control.addEventListener('change', () => apply());
  let typing: ReturnType<typeof setTimeout> | undefined;
  for (const input of [q, model, tag]) input.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(apply, 400); });
  live.addEventListener('change', () => {
    store.set(LIVE_KEY, live.checked ? 'on' : 'off');
    liveNote.textContent = '';
    if (live.checked) void refresh(true); else clearTimeout(timer);
  });
  ctx.live(['runs'], () => void refresh(true));

  function readControls(): void {
    const [sortKey, order] = sort.value.split(':');
    Object.assign(state, {
      q: q.value.trim(), agent: agent.value, status: status.value,
      // Kept to the second when untouched (a drag across a chart), else read from the minute-precise input.
      from: from.value === local(state.from) ? state.from : fromLocalInput(from.value)?.toISOString() ?? '',
      to: to.value === local(state.to) ? state.to : fromLocalInput(to.value)?.toISOString() ?? '',
      min_cost_usd: minCost.value.trim(), model: model.value.trim(), tag: tag.value.trim(),
      sort: sortKey === 'started_at' ? '' : sortKey, order: sortKey === 'started_at' && order === 'desc' ? '' : order,
    });
    if (state.from || state.to) state.range = '';
  }

  const filtered = () => ['q', 'agent', 'status', 'range', ...MORE_FILTERS].some((k) => state[k as keyof RunState]);

  /** The view as changed in the controls: into the URL (replacing, so Back leaves the list) and read again. */
  function apply(): void {
    readControls();
    const qs = stateParams(state).toString();
    const hash = `#/runs${qs ? `?${qs}` : ''}`;
    rememberList('runs', hash);
    history.replaceState(null, '', hash);
    pressRange();
    drawViews();
    void load();
  }

  function clearFilters(): void {
    for (const input of [q, from, to, minCost, model, tag]) input.value = '';
    agent.value = '';
    status.value = '';
    state.range = '';
    apply();
  }

  /**
   * The "now" a rolling preset (last 24 h) is counted back from: fixed for a sequence of pages (the first page and its
   * "Load more"s, an export), so that later pages do not read a window that has moved on.
   */
  let anchor = new Date();

  function query(extra: Record<string, string | number | null>, at: Date = anchor): Record<string, string | number> {
    const result: Record<string, string | number> = { ...runsQuery(state, at) };
    for (const [k, v] of Object.entries(extra)) if (v !== null && v !== '') result[k] = v;
    return result;
  }

  async function load(append = false): Promise<void> {
    const mine = ++token;
    clearTimeout(timer);
    if (!append) {
      anchor = new Date();
      fresh = new Set();
      if (list.querySelector('table')) list.setAttribute('aria-busy', 'true'); else setChildren(list, loadingPanel('Loading runs…'));
    }
    const button = more.querySelector('button');
    if (button) button.disabled = true;
    try {
      const page = await call(ctx.transport, 'listRuns', { query: query({ limit: RUN_PAGE_SIZE, cursor: append ? cursor : null }) });
      if (!ctx.alive() || mine !== token) return;
      list.removeAttribute('aria-busy');
      setChildren(problem);
      cursor = page.next_cursor;
      const known = new Set(runs.map((r) => r.id));
      runs = append ? [...runs, ...page.items.filter((r) => !known.has(r.id))] : page.items;
      signature = signatureOf(runs);
      draw();
      schedule();
    } catch (error) {
      if (!ctx.alive() || mine !== token) return;
      list.removeAttribute('aria-busy');
      if (button) button.disabled = false;
      if (error instanceof ApiError && (error.status === 400 || error.status === 422)) {
        runs = [];
        cursor = null;
        setChildren(more);
        countLine.textContent = '';
        setChildren(problem, h('div', { class: 'alert error', role: 'alert' }, h('p', { class: 'strong' }, error.detail),
          error.errors && h('ul', {}, Object.entries(error.errors).map(([key, messages]) =>
            h('li', {}, `${FILTER_LABELS[key.replace(/^\$\./, '')] ?? key}: ${messages.join(' ')}`)))));
        setChildren(list, emptyState('Check the filters.', 'The runs could not be listed with these filters.'));
        return;
      }
      setChildren(list, errorPanel(error, () => void load(append), ctx.onForbidden));
    }
  }

  const signatureOf = (items: readonly Run[]) => items.map((r) => `${r.id}|${r.status}|${r.event_count}|${r.cost_micros}|${r.last_event_at}`).join('\n');

  function schedule(): void {
    clearTimeout(timer);
    if (ctx.alive() && live.checked) timer = setTimeout(() => void refresh(false), RUN_POLL_MS);
  }

  /**
   * Re-reads the rows shown (up to the API's largest page) and shows new and changed runs in place: at once on a live
   * hint, by the timer only while the live stream is down. Waits while the tab is hidden or a page is loading.
   */
  async function refresh(hinted: boolean): Promise<void> {
    clearTimeout(timer);
    if (!ctx.alive() || !live.checked || exporting) return;
    if ((!hinted && ctx.isLive()) || document.visibilityState !== 'visible' || more.querySelector('button:disabled')) { schedule(); return; }
    const mine = token;
    try {
      const at = new Date();
      const page = await call(ctx.transport, 'listRuns', { query: query({ limit: Math.min(RUN_REFRESH_MAX, Math.max(RUN_PAGE_SIZE, runs.length)) }, at) });
      if (!ctx.alive() || mine !== token) return;
      const known = new Set(runs.map((r) => r.id));
      const added = page.items.filter((r) => !known.has(r.id));
      // Rows below the re-read (loaded with "Load more") stay.
      const seen = new Set(page.items.map((r) => r.id));
      const next = runs.length <= RUN_REFRESH_MAX ? page.items : [...page.items, ...runs.slice(RUN_REFRESH_MAX).filter((r) => !seen.has(r.id))];
      if (runs.length <= RUN_REFRESH_MAX) { cursor = page.next_cursor; anchor = at; }
      liveNote.textContent = `Updated ${timeOfDay.format(new Date())}`;
      const sig = signatureOf(next);
      if (sig !== signature) {
        runs = next;
        signature = sig;
        fresh = new Set(added.map((r) => r.id));
        const focused = document.activeElement instanceof HTMLElement && list.contains(document.activeElement) ? document.activeElement.dataset.focus : undefined;
        draw();
        if (focused) list.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
        if (added.length) announcer.textContent = `${plural(added.length, 'new run')}.`;
      }
    } catch (error) {
      if (error instanceof SessionEnded || !ctx.alive()) return;
      liveNote.textContent = `Live update failed: ${error instanceof ApiError ? error.detail : 'unexpected error.'} Retrying.`;
    }
    schedule();
  }

  async function loadAgents(): Promise<void> {
    try {
      for (let next: string | null = null, first = true; first || next; first = false) {
        const page: Schemas['PageOfAgentView'] = await call(ctx.transport, 'listAgents', { query: { limit: 200, ...(next ? { cursor: next } : {}) } });
        agents.push(...page.items);
        next = agents.length < 5000 ? page.next_cursor : null;
      }
    } catch {
      agents = []; // the filter still works with the id from the link
    }
    if (!ctx.alive()) return;
    const byName = agents.find((a) => a.name === state.agent);
    if (byName) state.agent = byName.id;
    const options = [{ value: '', label: 'All agents' },
      ...agents.slice().sort((a, b) => a.name.localeCompare(b.name)).map((a) => ({ value: a.id, label: a.status === 'archived' ? `${a.name} (archived)` : a.name }))];
    if (state.agent && !options.some((o) => o.value === state.agent)) options.push({ value: state.agent, label: state.agent });
    setChildren(agent, options.map((o) => h('option', { value: o.value, selected: o.value === state.agent }, o.label)));
  }

  function draw(): void {
    const active = MORE_FILTERS.filter((k) => state[k]).length;
    moreCount.hidden = !active;
    moreCount.textContent = String(active);
    clear.hidden = !filtered();
    countLine.textContent = runs.length ? `${plural(runs.length, 'run')} shown${cursor ? ', more below' : ''}` : '';
    setChildren(modelList, [...new Set(runs.flatMap((r) => r.models))].sort().map((m) => h('option', { value: m })));
    setChildren(more, cursor ? h('button', { type: 'button', class: 'btn secondary', onclick: () => void load(true) }, 'Load more') : null);
    if (!runs.length) {
      setChildren(list, filtered()
        ? emptyState('No run matches these filters.', live.checked ? 'Matching runs appear here as they arrive.' : null,
          h('button', { type: 'button', class: 'btn secondary', onclick: () => clearFilters() }, 'Clear filters'))
        : emptyState('No runs yet', 'Runs appear here seconds after agents send events to POST /api/v1/ingest with an API key that has the Ingest scope.',
          ctx.holds('api_keys_write') ? h('a', { href: '#/api-keys', class: 'btn secondary' }, 'Create an API key') : null));
      return;
    }
    const [sortKey, order] = sort.value.split(':');
    const head = (c: Column) => {
      const key = ({ started: 'started_at', duration: 'duration', cost: 'cost' } as Record<string, string>)[c.id];
      if (!key) return h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label);
      const on = sortKey === key;
      const nextOrder = on && order === 'desc' ? 'asc' : 'desc';
      return h('th', { scope: 'col', class: c.num ? 'num' : null, 'aria-sort': on ? (order === 'desc' ? 'descending' : 'ascending') : null },
        h('button', { type: 'button', class: `sort-btn${on ? ' on' : ''}`, onclick: () => { sort.value = `${key}:${nextOrder}`; apply(); },
          title: `Sort by ${c.label.toLowerCase()}, ${nextOrder === 'desc' ? 'highest or newest first' : 'lowest or oldest first'}` },
        c.label, h('span', { class: 'sort-arrow', 'aria-hidden': 'true' }, on ? (order === 'desc' ? '↓' : '↑') : '↕')));
    };
    setChildren(list, h('div', { class: 'table-wrap runs-scroll' }, h('table', { class: `table dense runs-table${compact ? ' compact' : ''}` },
      h('caption', { class: 'sr-only' }, `Runs, ${SORTS.find((s) => s.value === sort.value)?.label.toLowerCase()}`),
      h('thead', {}, h('tr', {}, columns.map(head))),
      h('tbody', {}, runs.map((r) => h('tr', { class: fresh.has(r.id) ? 'fresh' : null }, columns.map((c) => cellOf(c, r))))))));
  }

  function cellOf(c: Column, r: Run): HTMLElement {
    const td = (...content: Child[]) => h('td', { 'data-label': c.label, class: c.num ? 'num' : null }, h('div', { class: 'cell' }, content));
    const muted = (text = '—') => h('span', { class: 'muted' }, text);
    switch (c.id) {
      case 'started': {
        const date = new Date(r.started_at);
        return td(h('time', { datetime: r.started_at, title: date.toISOString() }, (date.getFullYear() === new Date().getFullYear() ? started : startedYear).format(date)),
          !compact && h('span', { class: 'muted small block' }, ago(r.started_at)));
      }
      case 'run': return td(h('a', { href: `#/runs/${encodeURIComponent(r.id)}`, class: 'mono run-id', title: r.id, dataset: { focus: `run:${r.id}` } }, r.id));
      case 'agent': return td(r.agent_name
        ? h('a', { href: `#/agents/${encodeURIComponent(r.agent_id)}`, title: `${r.agent_name}: status, trends and runs`, dataset: { focus: `agent:${r.id}` } }, r.agent_name)
        : h('span', { class: 'muted mono small', title: 'The agent was deleted' }, r.agent_id));
      case 'name': return td(r.name ?? muted(), r.error && !compact && h('span', { class: 'small block danger-text clamp', title: r.error }, r.error));
      case 'status': {
        const [label, kind] = STATUS[r.status] ?? [r.status, 'neutral'];
        return td(badge(label, kind, r.error), r.error_count > 0 && !compact && h('span', { class: 'muted small block' }, plural(r.error_count, 'error')));
      }
      case 'duration': return td(r.duration_ms !== null
        ? fmtDuration(r.duration_ms)
        : r.status === 'running' ? h('span', { class: 'muted', title: 'Still running' }, `${fmtDuration(Math.max(0, Date.now() - Date.parse(r.started_at)))} so far`) : muted());
      case 'events': return td(fmtInt(r.event_count));
      case 'llm': return td(fmtInt(r.llm_calls));
      case 'tools': return td(fmtInt(r.tool_calls));
      case 'tokens': return td(h('span', { title: `${fmtInt(r.tokens_in)} in (${fmtInt(r.tokens_cached)} cached), ${fmtInt(r.tokens_out)} out` }, `${fmtInt(r.tokens_in)} / ${fmtInt(r.tokens_out)}`));
      case 'cost': return td(fmtMicros(r.cost_micros), r.unpriced_calls > 0 && h('a', {
        class: 'small warning-text block', href: `#/prices${r.models[0] ? `?model=${encodeURIComponent(r.models[0])}` : ''}`,
        title: 'LLM calls whose model has no price: not included in the cost. Add the price.',
      }, `+${r.unpriced_calls} unpriced`));
      case 'models': return td(r.models.length ? r.models.join(', ') : muted());
      case 'tags': return td(r.tags.length ? h('span', { class: 'chips' }, r.tags.map((t) => h('span', { class: 'chip' }, t))) : muted());
      case 'environment': return td(r.environment ?? muted());
      default: return td(muted());
    }
  }

  function drawColumnsMenu(): void {
    const body = columnsMenu.querySelector('.menu-body')!;
    setChildren(body, RUN_COLUMNS.map((c) => {
      const box = h('input', { type: 'checkbox', id: `runs-col-${c.id}`, checked: columns.some((s) => s.id === c.id), disabled: !!c.fixed });
      box.addEventListener('change', () => {
        const ids = RUN_COLUMNS.filter((x) => (x.id === c.id ? box.checked : columns.some((s) => s.id === x.id))).map((x) => x.id);
        store.set(COLUMNS_KEY, JSON.stringify(ids));
        columns = shownColumns(ids);
        draw();
      });
      return h('div', { class: 'checkbox' }, box, h('label', { for: box.id }, c.label));
    }), h('button', { type: 'button', class: 'btn ghost small', onclick: () => { store.set(COLUMNS_KEY, '[]'); columns = shownColumns(null); drawColumnsMenu(); draw(); } }, 'Reset'));
  }

  /** Saved views: a select that opens one, Save (names the current view) and Delete. Kept in this browser. */
  function drawViews(): void {
    const current = stateParams(state).toString();
    const match = views.find((v) => v.query === current);
    const picker = select([{ value: '', label: views.length ? 'Saved views…' : 'No saved views' }, ...views.map((v) => ({ value: v.name, label: v.name }))], match?.name ?? '');
    picker.setAttribute('aria-label', 'Saved views');
    picker.disabled = !views.length;
    picker.addEventListener('change', () => {
      const view = views.find((v) => v.name === picker.value);
      if (view) ctx.go('/runs', Object.fromEntries(new URLSearchParams(view.query)));
    });
    const save = h('button', { type: 'button', class: 'btn secondary small', onclick: () => saveView() }, 'Save view');
    const remove = match && h('button', { type: 'button', class: 'btn ghost small', title: `Delete the saved view “${match.name}”`, onclick: () => {
      views = views.filter((v) => v !== match);
      store.set(VIEWS_KEY, JSON.stringify(views));
      drawViews();
    } }, 'Delete view');
    setChildren(viewsSlot, picker, save, remove);
  }

  function saveView(): void {
    const name = h('input', { type: 'text', maxlength: 60, 'aria-label': 'View name', placeholder: 'Failed runs this week', required: true });
    const error = h('p', { class: 'field-error', role: 'alert' });
    const form = h('form', { class: 'inline-form', onsubmit: (e: Event) => {
      e.preventDefault();
      const next = withView(views, { name: name.value, query: stateParams(state).toString() });
      if (!Array.isArray(next)) { error.textContent = next.error; return; }
      views = next;
      store.set(VIEWS_KEY, JSON.stringify(views));
      drawViews();
    } }, name, h('button', { type: 'submit', class: 'btn primary small' }, 'Save'),
    h('button', { type: 'button', class: 'btn ghost small', onclick: () => drawViews() }, 'Cancel'), error);
    setChildren(viewsSlot, form);
    name.focus();
  }

  /** Every matching run, page by page (200 at a time), with progress and a Cancel, saved as a file. */
  async function exportRuns(format: 'csv' | 'json'): Promise<void> {
    exportMenu.open = false;
    if (exporting) return;
    const abort = new AbortController();
    exporting = abort;
    const bar = h('progress', { max: EXPORT_MAX, value: 0, 'aria-label': 'Export progress' });
    const note = h('span', { class: 'small' }, 'Exporting…');
    setChildren(exportProgress, bar, note, h('button', { type: 'button', class: 'btn ghost small', onclick: () => abort.abort() }, 'Cancel'));
    exportProgress.hidden = false;
    const rows: Run[] = [];
    const at = new Date();
    try {
      let next: string | null = null;
      do {
        const page: Schemas['RunsPage'] = await call(ctx.transport, 'listRuns', { query: query({ limit: RUN_REFRESH_MAX, cursor: next }, at) });
        if (abort.signal.aborted || !ctx.alive()) return;
        rows.push(...page.items);
        next = page.next_cursor;
        bar.value = rows.length;
        note.textContent = `${fmtInt(rows.length)} runs read${next ? '…' : ''}`;
      } while (next && rows.length < EXPORT_MAX);
      const cut = rows.slice(0, EXPORT_MAX);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const blob = format === 'csv'
        ? new Blob([toCsv(cut as unknown as Record<string, unknown>[], CSV_FIELDS)], { type: 'text/csv;charset=utf-8' })
        : new Blob([JSON.stringify(cut, null, 2)], { type: 'application/json' });
      saveBlob(blob, `runs-${stamp}.${format}`);
      setChildren(exportProgress, h('span', { class: 'small', role: 'status' },
        `Exported ${plural(cut.length, 'run')}${next || rows.length > EXPORT_MAX ? ` (the first ${fmtInt(EXPORT_MAX)}; narrow the filters, or use an export job, for the rest)` : ''}.`));
    } catch (error) {
      if (error instanceof SessionEnded || !ctx.alive()) return;
      setChildren(exportProgress, h('span', { class: 'small danger-text', role: 'alert' }, `The export stopped: ${error instanceof ApiError ? error.detail : 'unexpected error.'}`));
    } finally {
      exporting = null;
      if (abort.signal.aborted) exportProgress.hidden = true;
    }
  }

  void loadAgents().then(() => { if (ctx.alive()) void load(); });
}

function select(options: readonly { value: string; label: string }[], selected: string): HTMLSelectElement {
  return h('select', {}, options.map((o) => h('option', { value: o.value, selected: o.value === selected }, o.label)));
}

function parseList(text: string | null): string[] | null {
  try {
    const value: unknown = JSON.parse(text ?? 'null');
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : null;
  } catch {
    return null;
  }
}
