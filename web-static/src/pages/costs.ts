// Costs: what LLM calls cost over a range of the organization's calendar days (the daily cost rollup: CostsApi.cs),
// for the organization, one team (?team=) or one agent (?agent=): totals, a daily chart, breakdowns by agent, team
// and model, and a CSV export. The range is ?from=&to= (both days included); without it the server reports the month
// so far.
import { call, operationUrl, type Schemas } from '../api/client';
import { ApiError } from '../api/errors';
import { OPERATIONS } from '../api/operations';
import { dailyChart } from '../components/dailyChart';
import { clearProblem, showProblem, toolbarField } from '../components/forms';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { cell, numCell } from '../components/table';
import { actionFailed, toast } from '../components/toast';
import { addDays, dayRange, todayIn } from '../lib/days';
import { append, h, nextId, saveBlob, setChildren, type Child } from '../lib/dom';
import { fmtInt, fmtPercent, fmtUsd, plural } from '../lib/format';
import { costsHref, runsHref } from '../lib/href';
import type { PageContext } from './context';

type Report = Schemas['CostReport'];
type Totals = Schemas['Totals'];
type Budget = Schemas['BudgetView'];

export const COST_MAX_DAYS = 366; // CostsApi.MaxDays
export const UNPRICED_HELP = 'LLM calls with no price known for the model: their cost is not included.';

export const COST_PRESETS = [
  { id: 'month', label: 'This month', days: null },
  { id: '7', label: 'Last 7 days', days: 7 },
  { id: '30', label: 'Last 30 days', days: 30 },
] as const;

export interface DayRange {
  from: string;
  to: string;
}

/** A quick range ending today: the last N days, or the month so far (also for an unknown id). */
export function presetRange(id: string | undefined, today: string): DayRange {
  const days = COST_PRESETS.find((p) => p.id === id)?.days;
  return days ? { from: addDays(today, 1 - days), to: today } : { from: `${today.slice(0, 8)}01`, to: today };
}

/** Whose costs the page shows: ?agent= wins over ?team=; neither is the whole organization. */
export type CostScope = { kind: 'org' } | { kind: 'agent'; id: string } | { kind: 'team'; name: string };

export function costScope(params: URLSearchParams): CostScope {
  const agent = params.get('agent');
  if (agent) return { kind: 'agent', id: agent };
  const team = params.get('team');
  return team ? { kind: 'team', name: team } : { kind: 'org' };
}

/** The CSV export of the scope and range (the report's own operation with format=csv; empty days left out). */
export function costsCsvUrl(scope: CostScope, range: DayRange): string {
  const query = { from: range.from, to: range.to, format: 'csv' };
  if (scope.kind === 'agent') return operationUrl(OPERATIONS.getAgentCosts.path, { id: scope.id }, query);
  if (scope.kind === 'team') return operationUrl(OPERATIONS.getTeamCosts.path, { name: scope.name }, query);
  return operationUrl(OPERATIONS.getCostSummary.path, {}, query);
}

/** A day's average, in cents once it is a cent or more: "$0.17 a day" rather than "$0.1705". */
export function dailyAverage(totalUsd: number, days: number): number {
  const v = Number(totalUsd) / days;
  return v >= 0.01 ? Math.round(v * 100) / 100 : v;
}

/** The active budgets in a line: how many exceeded, past a threshold, on track, and the alert's kind. */
export function budgetsLine(budgets: readonly Budget[]): { kind: 'error' | 'warning' | 'info'; text: string } {
  const count = (state: string) => budgets.filter((b) => b.status?.state === state).length;
  const exceeded = count('exceeded');
  const warning = count('warning');
  const parts = [exceeded && `${fmtInt(exceeded)} exceeded`, warning && `${fmtInt(warning)} past a threshold`, `${fmtInt(budgets.length - exceeded - warning)} on track`];
  return {
    kind: exceeded ? 'error' : warning ? 'warning' : 'info',
    text: `${plural(budgets.length, 'active budget')}: ${parts.filter(Boolean).join(', ')}`,
  };
}

/** What one read answers, by scope (the agent's name and team; the organization's active budgets). */
type Loaded =
  | { kind: 'org'; report: Report; budgets: Budget[] }
  | { kind: 'team'; report: Report }
  | { kind: 'agent'; report: Report; agentId: string; name: string; team: string | null };

const NUMERIC = new Set(['Cost', 'Share', 'Calls', 'Tokens', 'Unpriced']);

export function viewCosts(main: HTMLElement, ctx: PageContext): void {
  const scope = costScope(ctx.params);
  const agentId = scope.kind === 'agent' ? scope.id : null;
  const team = scope.kind === 'team' ? scope.name : null;
  const range: DayRange = { from: ctx.params.get('from') ?? '', to: ctx.params.get('to') ?? '' };
  const orgToday = () => todayIn(ctx.org()?.timezone);
  let loadToken = 0;
  let loaded = false;

  const from = h('input', { type: 'date', value: range.from, max: orgToday() });
  const to = h('input', { type: 'date', value: range.to, max: orgToday() });
  const presets = COST_PRESETS.map((p) => h('button', { type: 'button', class: 'btn secondary small', 'aria-pressed': 'false', dataset: { preset: p.id }, onclick: () => usePreset(p.id) }, p.label));
  const rangeNote = h('p', { class: 'muted small toolbar-count' });
  const filters = h('form', { class: 'filters', 'aria-label': 'Date range' },
    h('div', { class: 'problem-slot' }),
    h('div', { class: 'toolbar' },
      toolbarField('From', from, { path: 'from' }),
      toolbarField('To', to, { path: 'to' }),
      h('div', { class: 'toolbar-end range-presets', role: 'group', 'aria-label': 'Quick ranges' }, presets),
      rangeNote));
  filters.addEventListener('submit', (event) => { event.preventDefault(); apply(); });
  for (const input of [from, to]) input.addEventListener('change', () => apply());

  const csv = h('button', { type: 'button', class: 'btn secondary', onclick: () => void downloadCsv() }, 'Download CSV');
  const header = pageHeader(agentId ? 'Agent costs' : team ? `Team costs: ${team}` : 'Costs',
    agentId || team
      ? 'Daily cost and the models used, from the cost rollup.'
      : 'What LLM calls cost, per day, agent, team and model. Days follow the organization’s time zone.',
    csv);
  const announcer = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const body = h('div', { class: 'stack-lg' }, loadingPanel('Loading costs…'));
  const back = agentId || team ? h('a', { href: costsHref({ ...range }) }, '← All costs') : null;
  append(main, [back && h('p', { class: 'back' }, back), header, filters, announcer, body]);

  function usePreset(id: string): void {
    Object.assign(range, presetRange(id, orgToday()));
    from.value = range.from;
    to.value = range.to;
    apply();
  }

  function apply(): void {
    range.from = from.value;
    range.to = to.value;
    // The URL keeps the range (a reload or a shared link shows the same days) without a new history entry.
    history.replaceState(null, '', costsHref({ agent: agentId, team, ...range }));
    if (back) back.href = costsHref({ ...range });
    void load();
  }

  function markPreset(): void {
    const today = orgToday();
    for (const button of presets) {
      const r = presetRange(button.dataset.preset, today);
      button.setAttribute('aria-pressed', String(r.from === from.value && r.to === to.value));
    }
  }

  async function read(): Promise<Loaded> {
    const query = { from: range.from, to: range.to };
    if (scope.kind === 'agent') {
      const data = await call(ctx.transport, 'getAgentCosts', { path: { id: scope.id }, query });
      return { kind: 'agent', report: data.report, agentId: data.agent_id, name: data.name, team: data.team };
    }
    if (scope.kind === 'team') return { kind: 'team', report: (await call(ctx.transport, 'getTeamCosts', { path: { name: scope.name }, query })).report };
    const data = await call(ctx.transport, 'getCostSummary', { query });
    return { kind: 'org', report: data.report, budgets: data.budgets ?? [] };
  }

  async function load(): Promise<void> {
    const token = ++loadToken;
    if (loaded) body.setAttribute('aria-busy', 'true'); else setChildren(body, loadingPanel('Loading costs…'));
    try {
      const data = await read();
      if (!ctx.alive() || token !== loadToken) return;
      body.removeAttribute('aria-busy');
      clearProblem(filters);
      loaded = true;
      draw(data);
    } catch (e) {
      if (!ctx.alive() || token !== loadToken) return;
      body.removeAttribute('aria-busy');
      // The dates were refused (a reversed or too long range): shown at the fields, not as a failed page.
      if (e instanceof ApiError && (e.status === 422 || e.status === 400)) {
        loaded = false;
        showProblem(filters, e);
        setChildren(body, h('div', { class: 'card' }, emptyState('Check the dates.', `A range runs from a day to the same or a later day, at most ${fmtInt(COST_MAX_DAYS)} days.`)));
        announcer.textContent = 'The costs could not be read for these dates.';
        return;
      }
      setChildren(body, errorPanel(e, () => void load(), ctx.onForbidden));
    }
  }

  function draw(data: Loaded): void {
    const report = data.report;
    // The server fills in the default range (the month so far): show it.
    from.value = report.from;
    to.value = report.to;
    markPreset();
    rangeNote.textContent = `${dayRange(report.from, report.to)} · ${plural(report.daily.length, 'day')} · time zone ${report.timezone}`;
    const subject = data.kind === 'agent' ? data.name : team;
    if (data.kind === 'agent') {
      const title = header.querySelector('h1');
      if (title) title.textContent = `Agent costs: ${data.name}`;
      document.title = `Costs of ${data.name} · ${ctx.org()?.name ?? ''} · AgentOps`;
    }
    announcer.textContent = `${subject ? `${subject}: ` : ''}${fmtUsd(report.total.cost_usd)} from ${dayRange(report.from, report.to)}.`;
    setChildren(body,
      data.kind === 'agent' && agentLinks(data),
      statsCard(report),
      data.kind === 'org' && budgetsNote(data.budgets),
      h('section', { class: 'card cost-card', 'aria-labelledby': 'cost-daily-title' },
        h('div', { class: 'card-title' },
          h('h2', { id: 'cost-daily-title' }, 'Daily cost'),
          h('p', { class: 'muted small' }, 'Hover a bar for the day’s amount. Days without cost are gaps.')),
        dailyChart(report.daily, { title: 'Daily cost', value: (d) => d.cost_usd, width: body.clientWidth - 42, details: (d) => plural(d.calls, 'call') })),
      data.kind === 'agent' ? null : agentsCard(report),
      data.kind === 'org' ? h('div', { class: 'cost-grid' }, teamsCard(report), modelsCard(report)) : modelsCard(report));
  }

  function agentLinks(data: Extract<Loaded, { kind: 'agent' }>): HTMLElement {
    const runs = h('a', { href: runsHref({ agent: data.agentId }) }, 'Runs of this agent');
    return h('p', { class: 'muted' }, data.team
      ? ['Team ', h('a', { href: costsHref({ team: data.team, ...range }) }, data.team), ' · ', runs]
      : ['No team · ', runs]);
  }

  function statsCard(report: Report): HTMLElement {
    const t = report.total;
    const stat = (label: string, value: string, sub: Child = null) => h('div', { class: 'stat' },
      h('dt', {}, label), h('dd', {}, h('span', { class: 'stat-value' }, value), sub && h('span', { class: 'stat-sub' }, sub)));
    const days = report.daily.length;
    return h('dl', { class: 'stats four cost-stats', 'aria-label': 'Totals for the range' },
      stat('Total cost', fmtUsd(t.cost_usd), days > 1 ? `${fmtUsd(dailyAverage(t.cost_usd, days))} a day on average` : null),
      stat('LLM calls', fmtInt(t.calls)),
      stat('Tokens', fmtInt(t.tokens_in + t.tokens_out), `${fmtInt(t.tokens_in)} in · ${fmtInt(t.tokens_out)} out`),
      stat('Unpriced calls', fmtInt(t.unpriced_calls),
        t.unpriced_calls
          ? h('a', { class: 'warning-text', href: '#/prices', title: UNPRICED_HELP }, 'No price known for the model, so not in the total: add one')
          : h('span', { title: UNPRICED_HELP }, 'No price known for the model, so not in the total')));
  }

  function budgetsNote(budgets: readonly Budget[]): HTMLElement | null {
    if (!budgets.length) return null;
    const line = budgetsLine(budgets);
    return h('div', { class: `alert ${line.kind} budgets-note` }, h('p', {}, line.text, '. ', h('a', { href: '#/budgets' }, 'Open Budgets')));
  }

  function breakdown(titleText: string, caption: string, columns: readonly string[], rows: HTMLTableRowElement[], empty: string): HTMLElement {
    const titleId = nextId('breakdown');
    return h('section', { class: 'card flush cost-card', 'aria-labelledby': titleId },
      h('div', { class: 'card-head' }, h('h2', { id: titleId }, titleText)),
      rows.length
        ? h('div', { class: 'table-wrap' }, h('table', { class: 'table dense cost-table' },
          h('caption', { class: 'sr-only' }, caption),
          h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: NUMERIC.has(c) ? 'num' : null }, c)))),
          h('tbody', {}, rows)))
        : emptyState(empty, null));
  }

  function agentsCard(report: Report): HTMLElement {
    const whole = report.total.cost_micros;
    return breakdown('By agent', `Cost by agent, ${dayRange(report.from, report.to)}, highest first. Select an agent for its daily cost and models.`,
      ['Agent', 'Team', 'Cost', 'Share', 'Calls', 'Tokens', 'Unpriced'],
      report.by_agent.map((a) => h('tr', {},
        cell('Agent', h('a', { href: costsHref({ agent: a.agent_id, ...range }), class: 'strong', title: `Daily cost and models of ${a.name}` }, a.name)),
        cell('Team', a.team
          ? (team ? a.team : h('a', { href: costsHref({ team: a.team, ...range }) }, a.team))
          : h('span', { class: 'muted' }, '—')),
        numCell('Cost', fmtUsd(a.totals.cost_usd)),
        shareCell(a.totals.cost_micros, whole),
        numCell('Calls', fmtInt(a.totals.calls)),
        tokensCell(a.totals),
        unpricedCell(a.totals.unpriced_calls))),
      'No agent has costs in this range.');
  }

  function teamsCard(report: Report): HTMLElement {
    const whole = report.total.cost_micros;
    return breakdown('By team', `Cost by team, ${dayRange(report.from, report.to)}, highest first. Select a team for its agents and models.`,
      ['Team', 'Cost', 'Share', 'Calls', 'Unpriced'],
      report.by_team.map((t) => h('tr', {},
        cell('Team', t.team
          ? h('a', { href: costsHref({ team: t.team, ...range }), class: 'strong', title: `Costs of the team ${t.team}` }, t.team)
          : h('span', { class: 'muted', title: 'Agents without a team' }, 'No team')),
        numCell('Cost', fmtUsd(t.totals.cost_usd)),
        shareCell(t.totals.cost_micros, whole),
        numCell('Calls', fmtInt(t.totals.calls)),
        unpricedCell(t.totals.unpriced_calls))),
      'No team has costs in this range.');
  }

  function modelsCard(report: Report): HTMLElement {
    const whole = report.total.cost_micros;
    return breakdown('By model', `Cost by model, ${dayRange(report.from, report.to)}, highest first`,
      ['Model', 'Cost', 'Share', 'Calls', 'Tokens', 'Unpriced'],
      report.by_model.map((m) => h('tr', {},
        cell('Model', m.model ? h('code', { class: 'model-name' }, m.model) : h('span', { class: 'muted' }, 'Not named')),
        numCell('Cost', fmtUsd(m.totals.cost_usd)),
        shareCell(m.totals.cost_micros, whole),
        numCell('Calls', fmtInt(m.totals.calls)),
        tokensCell(m.totals),
        unpricedCell(m.totals.unpriced_calls))),
      'No model was called in this range.');
  }

  async function downloadCsv(): Promise<void> {
    range.from = from.value;
    range.to = to.value;
    csv.disabled = true;
    csv.textContent = 'Preparing CSV…';
    try {
      const { blob, filename } = await ctx.download(costsCsvUrl(scope, range), 'text/csv');
      saveBlob(blob, filename ?? `costs-${from.value || 'month'}-${to.value || 'today'}.csv`);
      toast('Costs saved as CSV: one row per day, agent and model.');
    } catch (e) {
      if (e instanceof ApiError && (e.status === 422 || e.status === 400)) showProblem(filters, e);
      else actionFailed('Could not export the costs', e);
    } finally {
      csv.disabled = false;
      csv.textContent = 'Download CSV';
    }
  }

  void load();
}

/** A share of a total: a small bar (decoration) and the percentage as text. */
function shareCell(part: number, whole: number): HTMLTableCellElement {
  const share = whole > 0 ? part / whole : 0;
  const fill = h('span', { class: 'share-fill' });
  fill.style.width = `${Math.min(100, share * 100)}%`; // CSSOM: allowed under the CSP
  return h('td', { 'data-label': 'Share', class: 'num share-col' },
    h('div', { class: 'cell' }, h('span', { class: 'share' }, h('span', { class: 'share-bar', 'aria-hidden': 'true' }, fill), fmtPercent(share))));
}

function unpricedCell(n: number): HTMLTableCellElement {
  return numCell('Unpriced', n ? h('a', { href: '#/prices', title: `${UNPRICED_HELP} Add a price.` }, badge(fmtInt(n), 'warning')) : h('span', { class: 'muted' }, '0'));
}

function tokensCell(t: Totals): HTMLTableCellElement {
  return numCell('Tokens', h('span', { title: `${fmtInt(t.tokens_in)} in (${fmtInt(t.tokens_cached)} cached) · ${fmtInt(t.tokens_out)} out` }, fmtInt(t.tokens_in + t.tokens_out)));
}
