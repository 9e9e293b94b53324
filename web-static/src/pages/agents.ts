// Agents: every agent of the organization with its last 24 hours and a sparkline of its runs per day over the week
// (?status=&environment=&tag=). Pause and resume go through the controls API (controls permission), with a reason;
// register, archive and restore through the agents API (agents_write). The detail page is pages/agent.ts.
import { call, type Schemas } from '../api/client';
import { ApiError } from '../api/errors';
import { confirmDelete, openDialog, type Dialog } from '../components/dialog';
import { field, formText, handleSubmit, selectControl, toolbarField } from '../components/forms';
import { pagedList } from '../components/pagedList';
import { badge, emptyState, loadingPanel, pageHeader } from '../components/panels';
import { sparkline } from '../components/sparkline';
import { actionsCell, cell, numCell } from '../components/table';
import { actionFailed, toast } from '../components/toast';
import { focusTarget, h, nextId, setChildren, withFocusKept } from '../lib/dom';
import { fmtElapsed, fmtInt, fmtPercent, fmtUsd, plural } from '../lib/format';
import { runsHref } from '../lib/href';
import { bucketStarts, countsByKey } from '../lib/series';
import type { PageContext } from './context';

type Agent = Schemas['AgentView'];
type AgentStats = Schemas['AgentStats'];

const AGENT_STATUS: Record<string, { label: string; kind: string; help: string | null }> = {
  active: { label: 'Active', kind: 'success', help: null },
  paused: { label: 'Paused', kind: 'warning', help: 'Events sent while the agent is paused are refused (agent_paused).' },
  archived: { label: 'Archived', kind: 'neutral', help: 'Archived: its events are refused; its runs stay.' },
};
const AGENT_PAGE_SIZE = 100;
const FILTER_DELAY_MS = 400;
// Reasons given for pauses made from this tab: the agents list does not carry them (only the controls API answers do).
const knownPauseReasons = new Map<string, string>();

export interface AgentFilters { status: string; environment: string; tag: string }

/** A status as a badge shows it. */
export const agentStatusOf = (status: string): { label: string; kind: string; help: string | null } =>
  AGENT_STATUS[status] ?? { label: status, kind: 'neutral', help: null };

/** The filters as URL parameters (empty ones left out), in the page's order. */
export function agentParams(filters: AgentFilters): URLSearchParams {
  return new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
}

/** The page's hash for the filters. */
export function agentsHash(filters: AgentFilters): string {
  const qs = agentParams(filters).toString();
  return `#/agents${qs ? `?${qs}` : ''}`;
}

/** "3 agents", "100 agents loaded, more available". */
export const agentCountText = (count: number, more: boolean): string => `${plural(count, 'agent')}${more ? ' loaded, more available' : ''}`;

/** The distinct values for a suggestion list, sorted, empty ones left out. */
export const distinctSorted = (values: readonly (string | null | undefined)[]): string[] =>
  [...new Set(values.filter((v): v is string => !!v))].sort();

/** The tags field of the register form: separated by commas, trimmed, empty ones left out. */
export const parseTags = (text: string): string[] => text.split(',').map((t) => t.trim()).filter(Boolean);

/** The week of the sparklines: from midnight UTC six days ago to now (whole seconds). */
export function sparkWeek(now: number): { from: Date; to: Date } {
  const to = new Date(Math.floor(now / 1000) * 1000);
  return { from: new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate() - 6)), to };
}

/** PATCH and the controls API answer the agent without its stats: keep the ones shown. */
export const replaceKeepingStats = (agents: readonly Agent[], updated: Pick<Agent, 'id'> & Partial<Agent>): Agent[] =>
  agents.map((a) => (a.id === updated.id ? { ...a, ...updated, stats: a.stats } : a));

function agentStatusBadge(status: string): HTMLElement {
  const s = agentStatusOf(status);
  return badge(s.label, s.kind, s.help);
}

export function viewAgents(main: HTMLElement, ctx: PageContext): void {
  let agents: Agent[] = [];
  const writable = ctx.holds('agents_write');
  const controllable = ctx.holds('controls');
  const actionable = writable || controllable;
  const killSwitchOn = (): boolean => !!ctx.controlStatus()?.status.killed;
  // Pause/resume go through the controls API (Controls permission); archive/restore through the agents API.
  ctx.onControlStatus((_, { changed }) => { if (changed) load(); });

  const status = selectControl([{ value: '', label: 'Any status' },
    ...Object.entries(AGENT_STATUS).map(([value, s]) => ({ value, label: s.label }))], ctx.params.get('status') ?? '');
  const envListId = nextId('environments');
  const tagListId = nextId('tags');
  const tag = h('input', { type: 'search', value: ctx.params.get('tag') ?? '', autocomplete: 'off', spellcheck: 'false', list: tagListId });
  const environment = h('input', { type: 'search', value: ctx.params.get('environment') ?? '', autocomplete: 'off', spellcheck: 'false', list: envListId });
  const envList = h('datalist', { id: envListId });
  const tagList = h('datalist', { id: tagListId });
  const countLine = h('p', { class: 'muted toolbar-count', 'aria-live': 'polite' });
  const clear = h('button', { type: 'button', class: 'btn ghost small', onclick: () => { status.value = ''; tag.value = ''; environment.value = ''; apply(); } }, 'Clear filters');
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter agents' },
    h('div', { class: 'problem-slot' }),
    h('div', { class: 'toolbar' },
      toolbarField('Status', status, { path: 'status' }),
      toolbarField('Environment', environment, { path: 'environment' }), envList,
      toolbarField('Tag', tag, { path: 'tag' }), tagList,
      h('div', { class: 'toolbar-end' }, clear),
      countLine));
  filters.addEventListener('submit', (event) => { event.preventDefault(); apply(); });
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading agents…'));
  const more = h('div', { class: 'load-more' });
  const current = (): AgentFilters => ({ status: status.value, environment: environment.value.trim(), tag: tag.value.trim() });
  const pager = pagedList<Agent>({
    ctx, list, more, filters, loadingText: 'Loading agents…', rejectedText: 'The agents could not be listed with these filters.',
    fetchPage: (cursor) => {
      const f = current();
      return call(ctx.transport, 'listAgents', {
        query: {
          ...(f.status ? { status: f.status } : {}), ...(f.environment ? { environment: f.environment } : {}), ...(f.tag ? { tag: f.tag } : {}),
          limit: AGENT_PAGE_SIZE, ...(cursor ? { cursor } : {}),
        },
      });
    },
    shown: () => agents, idOf: (a) => a.id,
    onPage: (rows) => { agents = rows; withFocusKept(list, draw); }, // reloads follow the kill switch: keep the focused row action
    onRejected: () => { agents = []; countLine.textContent = ''; },
  });
  // Runs per day over the last week, per agent, for the sparklines: one call for the whole list (the by-agent series).
  let week = new Map<string, number[]>();
  const { from: weekFrom, to: weekTo } = sparkWeek(Date.now());
  call(ctx.transport, 'getAnalyticsTimeseries', { query: { from: weekFrom.toISOString(), to: weekTo.toISOString(), bucket: 'day', by: 'agent' } })
    .then((series) => {
      if (!ctx.alive()) return;
      week = countsByKey(series.points, bucketStarts(weekFrom, weekTo, 'day'));
      if (agents.length) withFocusKept(list, draw);
    })
    .catch(() => { /* the list stands without its sparklines */ });
  const load = (): void => void pager.load();
  const register = writable ? h('button', { type: 'button', class: 'btn primary', onclick: () => openRegisterAgent(agents, load) }, 'Register agent') : null;
  main.append(
    pageHeader('Agents', 'Every agent of the organization with its last 24 hours. Select an agent to see its runs.', register),
    filters, list, more);
  status.addEventListener('change', () => apply());
  let typing: ReturnType<typeof setTimeout> | undefined;
  const typed = (): void => { clearTimeout(typing); typing = setTimeout(() => apply(), FILTER_DELAY_MS); };
  tag.addEventListener('input', typed);
  environment.addEventListener('input', typed);

  const filtered = (): boolean => Object.values(current()).some(Boolean);

  function apply(): void {
    history.replaceState(null, '', agentsHash(current()));
    load();
  }

  function draw(): void {
    clear.hidden = !filtered();
    countLine.textContent = agentCountText(agents.length, !!pager.cursor);
    setChildren(envList, distinctSorted(agents.map((a) => a.environment)).map((v) => h('option', { value: v })));
    setChildren(tagList, distinctSorted(agents.flatMap((a) => a.tags)).map((v) => h('option', { value: v })));
    pager.drawMore('Load more agents');
    if (!agents.length) {
      setChildren(list, filtered()
        ? emptyState('No agent matches these filters.', null, h('button', { type: 'button', class: 'btn secondary', onclick: () => clear.click() }, 'Clear filters'))
        : emptyState('No agents yet',
          'An agent is registered the first time it sends events with a key that has the Write scope, or you can register it here first.',
          writable && h('button', { type: 'button', class: 'btn primary', onclick: () => openRegisterAgent(agents, load) }, 'Register agent')));
      return;
    }
    const table = h('table', { class: 'table dense' },
      h('caption', { class: 'sr-only' }, 'Agents, with runs, error rate, p95 latency, cost and LLM calls over the last 24 hours'),
      h('colgroup', { span: 4 }), h('colgroup', { span: 6, class: 'stats-cols' }), actionable && h('colgroup', { span: 1 }),
      h('thead', {},
        h('tr', {},
          ['Agent and tags', 'Type', 'Status', 'Environment'].map((c) => h('th', { scope: 'col', rowspan: 2 }, c)),
          h('th', { scope: 'colgroup', colspan: 6, class: 'group' }, 'Last 24 hours'),
          actionable && h('th', { scope: 'col', rowspan: 2, class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Actions'))),
        h('tr', {},
          ['Runs', 'Error rate', 'p95 latency', 'Cost', 'LLM calls', 'Unpriced'].map((c) => h('th', { scope: 'col', class: 'num' }, c)))),
      h('tbody', {}, agents.map(agentRow)));
    setChildren(list, h('div', { class: 'table-wrap' }, table));
  }

  function agentRow(a: Agent): HTMLTableRowElement {
    const s: Partial<AgentStats> = a.stats ?? {};
    const buttons: HTMLElement[] = [];
    if (controllable && a.status === 'active') buttons.push(h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Pause ${a.name}`, title: 'Refuse its events until resumed', dataset: { focus: `status:${a.id}` }, onclick: () => openAgentControl(a, 'pause') }, 'Pause'));
    if (controllable && a.status === 'paused') buttons.push(h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Resume ${a.name}`, dataset: { focus: `status:${a.id}` }, onclick: () => openAgentControl(a, 'resume') }, 'Resume'));
    if (writable) {
      if (a.status === 'archived') {
        const restore: HTMLButtonElement = h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Restore ${a.name}`, title: 'Make it active again', dataset: { focus: `status:${a.id}` }, onclick: () => void restoreAgent(a, restore) }, 'Restore');
        buttons.push(restore);
      } else buttons.push(h('button', { type: 'button', class: 'btn ghost small danger-text', 'aria-label': `Archive ${a.name}`, dataset: { focus: `archive:${a.id}` }, onclick: () => archiveAgent(a) }, 'Archive'));
    }
    const days = week.get(a.id) ?? new Array<number>(7).fill(0);
    return h('tr', { class: a.status === 'archived' ? 'inactive' : null },
      cell('Agent', h('div', { class: 'who agent-who' },
        h('a', { href: `#/agents/${encodeURIComponent(a.id)}`, class: 'strong agent-name', title: `${a.name}: status, trends, budgets, recent runs` }, a.name),
        a.tags.length ? h('span', { class: 'chips', 'aria-label': 'Tags' }, a.tags.map((t) => h('span', { class: 'chip' }, t))) : null,
        a.auto_registered && h('span', { class: 'muted small' }, 'Registered by its first events'))),
      cell('Type', h('span', {}, a.type), a.provider && h('span', { class: 'muted small block' }, a.provider)),
      cell('Status', agentStatusBadge(a.status), a.status === 'paused' && pauseReason(a)),
      cell('Environment', a.environment ?? h('span', { class: 'muted' }, '—')),
      numCell('Runs (24 h)', h('span', { class: 'runs-with-spark' },
        week.size ? sparkline(days, `Runs per day, last 7 days: ${days.join(', ')}`) : null,
        h('a', { href: runsHref({ agent: a.id }), title: `Show the runs of ${a.name}` }, fmtInt(s.runs)))),
      numCell('Error rate (24 h)', s.error_rate === null || s.error_rate === undefined
        ? h('span', { class: 'muted', title: 'No runs in the last 24 hours' }, '—')
        : h('span', { class: s.failed_runs ? 'danger-text' : null, title: `${plural(s.failed_runs ?? 0, 'failed run')} of ${fmtInt(s.runs)}` }, fmtPercent(s.error_rate))),
      numCell('p95 latency (24 h)', s.p95_latency_ms === null || s.p95_latency_ms === undefined ? h('span', { class: 'muted' }, '—') : fmtElapsed(s.p95_latency_ms)),
      numCell('Cost (24 h)', fmtUsd(s.cost_usd)),
      numCell('LLM calls (24 h)', fmtInt(s.llm_calls)),
      numCell('Unpriced (24 h)', s.unpriced_calls
        ? h('a', { href: '#/prices', title: 'LLM calls whose model has no price: their cost is not included. Add a price.' }, badge(fmtInt(s.unpriced_calls), 'warning'))
        : h('span', { class: 'muted' }, '0')),
      actionable && actionsCell(buttons.length ? h('div', { class: 'row-actions' }, buttons) : null));
  }

  function pauseReason(a: Agent): HTMLElement | null {
    const reason = a.paused_reason ?? knownPauseReasons.get(a.id);
    return reason ? h('span', { class: 'small muted block clamp', title: `Paused because: ${reason}` }, `Reason: ${reason}`) : null;
  }

  function replaceAgent(updated: Pick<Agent, 'id'> & Partial<Agent>): void {
    agents = replaceKeepingStats(agents, updated);
    draw();
  }

  const statusButton = (a: Agent): HTMLElement | null => focusTarget(list, `status:${a.id}`);

  /** Restoring goes through PATCH, which does not look at the kill switch: while it is on, restore as paused. */
  async function restoreAgent(a: Agent, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    const next = killSwitchOn() ? 'paused' : 'active';
    try {
      const updated = await call(ctx.transport, 'updateAgent', { path: { id: a.id }, body: { status: next } });
      if (!ctx.alive()) return;
      replaceAgent(updated);
      toast(next === 'paused' ? `“${a.name}” restored as paused: the kill switch is on.` : `“${a.name}” restored.`);
      statusButton(a)?.focus();
      ctx.refreshControls();
    } catch (e) {
      if (button.isConnected) button.disabled = false;
      actionFailed(`Could not restore “${a.name}”`, e);
      if (e instanceof ApiError && e.status === 404) load();
    }
  }

  /** Pause or resume through the controls API, with an optional reason (kept on the agent and in the audit log). */
  function openAgentControl(a: Agent, action: 'pause' | 'resume'): void {
    const pausing = action === 'pause';
    const form = h('form', { class: 'stack' },
      h('p', {}, pausing
        ? `Pause “${a.name}”? Within a second, ingest refuses its events (agent_paused) until it is resumed.`
        : `Resume “${a.name}”? Within a second, its events are accepted again.`),
      !pausing && killSwitchOn() && h('div', { class: 'alert error' },
        h('p', { class: 'strong' }, 'The kill switch is on.'),
        h('p', {}, 'Agents cannot be resumed one by one until it is lifted with Resume all on the Controls page.')),
      h('div', { class: 'problem-slot' }),
      field({
        label: 'Reason', name: 'reason', optional: true, control: h('textarea', { rows: 3, maxlength: 500 }),
        hint: pausing ? 'Shown with the agent and kept in the audit log. Up to 500 characters.' : 'Kept in the audit log. Up to 500 characters.',
      }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: `btn ${pausing ? 'danger' : 'primary'}` }, pausing ? 'Pause agent' : 'Resume agent')));
    const dialog = openDialog({ title: `${pausing ? 'Pause' : 'Resume'} ${a.name}`, content: form });
    dialog.returnFocus = () => statusButton(a);
    handleSubmit(form, async (data) => {
      let updated: Schemas['AgentControl'];
      try {
        const args = { path: { id: a.id }, body: { reason: formText(data, 'reason') || null } };
        updated = await (pausing ? call(ctx.transport, 'pauseAgent', args) : call(ctx.transport, 'resumeAgent', args));
      } catch (e) {
        if (e instanceof ApiError && e.code === 'org_killed') {
          ctx.refreshControls();
          resumeRefused(dialog, e, a);
          return;
        }
        if (e instanceof ApiError && (e.status === 404 || e.code === 'agent_archived')) load();
        throw e;
      }
      if (updated.status === 'paused' && updated.paused_reason) knownPauseReasons.set(a.id, updated.paused_reason);
      else knownPauseReasons.delete(a.id);
      if (ctx.alive()) replaceAgent(updated);
      dialog.close(true);
      toast(pausing
        ? `“${a.name}” paused: its events are refused until it is resumed.`
        : `“${a.name}” resumed: its events are accepted again.`);
      ctx.refreshControls();
    });
  }

  /** 409 org_killed: say why, and where the switch is lifted. */
  function resumeRefused(dialog: Dialog, error: ApiError, a: Agent): void {
    const close = h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Close');
    dialog.setTitle('Resume refused: the kill switch is on');
    dialog.setContent(h('div', { class: 'stack' },
      h('div', { class: 'alert error', role: 'alert' },
        h('p', { class: 'strong' }, `“${a.name}” stays paused.`),
        h('p', {}, error.detail)),
      h('p', {}, 'Resume all, on the Controls page, lifts the switch and resumes every agent it paused. Agents paused on purpose stay paused; resume them here afterwards.'),
      h('div', { class: 'form-actions' }, close, h('a', { href: '#/controls', class: 'btn primary' }, 'Open Controls'))));
    close.focus();
  }

  function archiveAgent(a: Agent): void {
    confirmDelete({
      title: 'Archive agent',
      message: `Archive “${a.name}”? From now on its events are refused. Its runs and history stay, and you can restore it later.`,
      details: a.stats?.runs ? h('p', { class: 'muted' }, `It started ${plural(a.stats.runs, 'run')} in the last 24 hours.`) : null,
      confirmLabel: 'Archive agent',
      remove: () => call(ctx.transport, 'archiveAgent', { path: { id: a.id } }),
      done: `“${a.name}” archived.`,
      reload: load,
      after: () => { if (ctx.alive()) replaceAgent({ ...a, status: 'archived' }); },
    });
  }

  /** Registers an agent (POST /agents, which does not look at the kill switch: while it is on, register paused, as ingest does). */
  function openRegisterAgent(known: readonly Agent[], onCreated: () => void): void {
    const suggestions = (values: readonly (string | null)[]): { id: string; list: HTMLDataListElement } => {
      const id = nextId('suggest');
      return { id, list: h('datalist', { id }, distinctSorted(values).map((v) => h('option', { value: v }))) };
    };
    const types = suggestions(['custom', 'langchain', 'langgraph', 'crewai', 'autogen', 'openai-agents', ...known.map((x) => x.type)]);
    const providers = suggestions(['openai', 'anthropic', 'azure-openai', 'google', 'mistral', ...known.map((x) => x.provider)]);
    const environments = suggestions(['production', 'staging', 'development', ...known.map((x) => x.environment)]);
    const killed = killSwitchOn();
    const form = h('form', { class: 'stack' },
      killed && h('div', { class: 'alert error' }, 'The kill switch is on: the agent is registered paused, and stays paused after Resume all.'),
      h('div', { class: 'problem-slot' }),
      field({ label: 'Name', name: 'name', autocomplete: 'off', required: true, attrs: { spellcheck: 'false' },
        hint: 'Unique in the organization. Events name their agent by this name (or by its id).' }),
      h('div', { class: 'field-row' },
        field({ label: 'Type', name: 'type', optional: true, autocomplete: 'off', attrs: { list: types.id, spellcheck: 'false' }, after: types.list,
          hint: 'The framework. Defaults to custom.' }),
        field({ label: 'Provider', name: 'provider', optional: true, autocomplete: 'off', attrs: { list: providers.id, spellcheck: 'false' }, after: providers.list })),
      field({ label: 'Environment', name: 'environment', optional: true, autocomplete: 'off', attrs: { list: environments.id, spellcheck: 'false' }, after: environments.list }),
      field({ label: 'Tags', name: 'tags', optional: true, autocomplete: 'off', attrs: { spellcheck: 'false' }, hint: 'Separated by commas, up to 20, e.g. support, tier-1.' }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, 'Register agent')));
    const dialog = openDialog({ title: 'Register an agent', content: form });
    handleSubmit(form, async (data) => {
      const optional = (name: string): string | null => formText(data, name) || null;
      const agent = await call(ctx.transport, 'createAgent', {
        body: {
          name: formText(data, 'name'),
          type: optional('type'),
          provider: optional('provider'),
          environment: optional('environment'),
          tags: parseTags(formText(data, 'tags')),
          ...(killed ? { status: 'paused' } : {}),
        },
      });
      dialog.close(true);
      toast(`Agent “${agent.name}” registered.`);
      onCreated();
    }, { codePaths: { agent_exists: '$.name' } });
  }

  load();
}
