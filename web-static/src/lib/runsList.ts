// The runs list's pure parts: its filters as URL parameters and API query, its columns, saved views and the CSV export.

import { PRESETS, type Preset } from './timeWindow';

/** The URL parameters a runs view is made of (and a saved view stores). */
export const RUN_FILTERS = ['q', 'agent', 'status', 'range', 'from', 'to', 'min_cost_usd', 'model', 'tag', 'sort', 'order'] as const;
export type RunFilter = (typeof RUN_FILTERS)[number];
export type RunState = Record<RunFilter, string>;

/** The API's query for a view at `now`: a preset range ("range=24h") is a rolling window, so new runs keep arriving. */
export function runsQuery(state: RunState, now: Date): Record<string, string> {
  const query: Record<string, string> = {};
  for (const key of RUN_FILTERS) if (state[key] && key !== 'range') query[key] = state[key];
  const range = state.range as Preset;
  if (range && Object.hasOwn(PRESETS, range)) {
    query.from = new Date(Math.floor((now.getTime() - PRESETS[range]) / 1000) * 1000).toISOString();
    delete query.to;
  }
  return query;
}

/** The state a hash's parameters describe (unknown parameters dropped, a range wins over from/to). */
export function runState(params: URLSearchParams): RunState {
  const state = Object.fromEntries(RUN_FILTERS.map((k) => [k, params.get(k)?.trim() ?? ''])) as RunState;
  if (state.range && !Object.hasOwn(PRESETS, state.range)) state.range = '';
  if (state.range) { state.from = ''; state.to = ''; }
  return state;
}

/** The hash parameters of a state, without empty ones, in a stable order (so equal views have equal links). */
export function stateParams(state: Partial<RunState>): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of RUN_FILTERS) if (state[key]) params.set(key, state[key]!);
  return params;
}

export interface Column {
  id: string;
  label: string;
  /** Shown unless the person hides it. */
  initial: boolean;
  /** Cannot be hidden (the run's link). */
  fixed?: boolean;
  num?: boolean;
}

export const RUN_COLUMNS: readonly Column[] = [
  { id: 'started', label: 'Started', initial: true },
  { id: 'run', label: 'Run', initial: true, fixed: true },
  { id: 'agent', label: 'Agent', initial: true },
  { id: 'name', label: 'Name', initial: true },
  { id: 'status', label: 'Status', initial: true },
  { id: 'duration', label: 'Duration', initial: true, num: true },
  { id: 'events', label: 'Events', initial: true, num: true },
  { id: 'llm', label: 'LLM calls', initial: true, num: true },
  { id: 'tokens', label: 'Tokens in / out', initial: true, num: true },
  { id: 'cost', label: 'Cost', initial: true, num: true },
  { id: 'models', label: 'Models', initial: false },
  { id: 'tags', label: 'Tags', initial: false },
  { id: 'environment', label: 'Environment', initial: false },
  { id: 'tools', label: 'Tool calls', initial: false, num: true },
];

/** The columns shown: the stored choice (ids) when it names known columns, else the initial set; fixed ones always. */
export function shownColumns(stored: readonly string[] | null): Column[] {
  const known = stored?.filter((id) => RUN_COLUMNS.some((c) => c.id === id));
  const chosen = new Set(known && known.length ? known : RUN_COLUMNS.filter((c) => c.initial).map((c) => c.id));
  return RUN_COLUMNS.filter((c) => c.fixed || chosen.has(c.id));
}

export interface SavedView {
  name: string;
  /** The hash's query string (stateParams). */
  query: string;
}

/** Saved views kept per browser: at most this many, names at most SAVED_VIEW_NAME_MAX characters. */
export const SAVED_VIEWS_MAX = 20;
export const SAVED_VIEW_NAME_MAX = 60;

/** The views after saving one: a view of the same name (case-insensitive) is replaced; the newest first. */
export function withView(views: readonly SavedView[], view: SavedView): SavedView[] | { error: string } {
  const name = view.name.trim();
  if (!name) return { error: 'Name the view.' };
  if (name.length > SAVED_VIEW_NAME_MAX) return { error: `At most ${SAVED_VIEW_NAME_MAX} characters.` };
  const rest = views.filter((v) => v.name.toLowerCase() !== name.toLowerCase());
  if (rest.length >= SAVED_VIEWS_MAX) return { error: `At most ${SAVED_VIEWS_MAX} saved views: delete one first.` };
  return [{ name, query: view.query }, ...rest];
}

/** Stored views, as far as they are well-formed. */
export function parseViews(text: string | null): SavedView[] {
  try {
    const value: unknown = JSON.parse(text ?? '[]');
    return Array.isArray(value)
      ? value.filter((v): v is SavedView => !!v && typeof v.name === 'string' && typeof v.query === 'string').slice(0, SAVED_VIEWS_MAX)
      : [];
  } catch {
    return [];
  }
}

/** The fields of a run in the CSV export, in order. */
export const CSV_FIELDS = ['id', 'agent_id', 'agent_name', 'name', 'status', 'started_at', 'ended_at', 'duration_ms', 'event_count', 'llm_calls',
  'tool_calls', 'error_count', 'tokens_in', 'tokens_out', 'tokens_cached', 'cost_usd', 'unpriced_calls', 'models', 'tags', 'environment', 'error'] as const;

/**
 * RFC 4180 CSV (CRLF, quotes doubled) of the rows. A cell that a spreadsheet would run as a formula (=, +, -, @, tab,
 * CR) gets a leading apostrophe, whatever it was made from (text, a list of tags): names, errors and tags come from
 * agents, so they are not trusted. Numbers are left as they are (a negative cost is a number, not a formula).
 */
export function toCsv(rows: readonly Record<string, unknown>[], fields: readonly string[] = CSV_FIELDS): string {
  const cell = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    let text = Array.isArray(value) ? value.join(' ') : typeof value === 'object' ? JSON.stringify(value) : String(value);
    if (typeof value !== 'number' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [fields.join(','), ...rows.map((r) => fields.map((f) => cell(r[f])).join(','))].join('\r\n') + '\r\n';
}
