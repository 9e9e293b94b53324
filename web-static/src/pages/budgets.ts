// Budgets: spending limits for the organization, a team or one agent, per day, week, month or rolling window
// (BudgetsApi.cs). The list shows this period's spend against the maximum; a budget's dialog shows its daily spend and
// the alerts it fired; admins (budgets_write) create, change and delete them in a form.
import { call, type Schemas } from '../api/client';
import { ApiError, SessionEnded } from '../api/errors';
import { LIST_PAGE_SIZE, readAll } from '../api/paging';
import { dailyChart } from '../components/dailyChart';
import { confirmDelete, openDialog } from '../components/dialog';
import { field, formText, handleSubmit, selectControl, type SelectOption } from '../components/forms';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { actionsCell, cell, numCell } from '../components/table';
import { timeEl } from '../components/time';
import { toast } from '../components/toast';
import { addDays, dayRange } from '../lib/days';
import { append, focusTarget, h, nextId, setChildren, withFocusKept, type Child } from '../lib/dom';
import { fmtInt, fmtPercent, fmtUsd, plural } from '../lib/format';
import { costsHref } from '../lib/href';
import type { PageContext } from './context';

type Budget = Schemas['BudgetView'];
type BudgetStatus = Schemas['BudgetStatus'];
type Agent = Schemas['AgentView'];

const BUDGET_STATE: Record<string, { label: string; kind: string; help: string }> = {
  ok: { label: 'On track', kind: 'success', help: 'No threshold reached this period.' },
  warning: { label: 'Warning', kind: 'warning', help: 'A threshold has been reached this period.' },
  exceeded: { label: 'Exceeded', kind: 'danger', help: 'Spend has reached the maximum this period.' },
};
const BUDGET_SCOPES: readonly SelectOption[] = [
  { value: 'org', label: 'The whole organization' },
  { value: 'team', label: 'A team' },
  { value: 'agent', label: 'One agent' },
];
const BUDGET_PERIODS: readonly SelectOption[] = [
  { value: 'daily', label: 'Daily' },
  { value: 'weekly', label: 'Weekly (Monday to Sunday)' },
  { value: 'monthly', label: 'Monthly (calendar month)' },
  { value: 'rolling', label: 'Rolling (the last N days)' },
];
export const BUDGET_DEFAULT_THRESHOLDS = [50, 80, 100]; // BudgetRules.DefaultThresholds
export const BUDGET_MAX_PERCENT = 1000; // BudgetRules.MaxPercent

export function periodLabel(b: Pick<Budget, 'period' | 'rolling_days'>): string {
  if (b.period === 'rolling') return `Rolling, last ${plural(b.rolling_days ?? 0, 'day')}`;
  return ({ daily: 'Daily', weekly: 'Weekly', monthly: 'Monthly' } as Record<string, string>)[b.period] ?? b.period;
}

/** The days the status covers (period_end is exclusive). */
export const budgetWindow = (s: Pick<BudgetStatus, 'period_start' | 'period_end'>): string => dayRange(s.period_start, addDays(s.period_end, -1));

/** 17.5 (the API's percent) as "17.5%". */
export const percentOf = (p: number): string => fmtPercent(Number(p) / 100);

/** "3 budgets · 1 exceeded" ('' when there are none). */
export function budgetsCount(budgets: readonly Budget[]): string {
  const over = budgets.filter((b) => b.status?.state === 'exceeded').length;
  return budgets.length ? `${plural(budgets.length, 'budget')}${over ? ` · ${fmtInt(over)} exceeded` : ''}` : '';
}

export interface MeterMark {
  percent: number;
  kind: string;
  label: string;
}

/**
 * Where the meter's markers go: the thresholds (reached or not), the maximum when the scale runs past it and no
 * threshold sits there, and the auto-pause point. The scale reaches the highest of them (at least 100 %).
 */
export function meterMarks(b: Pick<Budget, 'thresholds' | 'auto_pause_at_percent'>, reachedThresholds: readonly number[]): { scale: number; marks: MeterMark[] } {
  const scale = Math.max(100, ...b.thresholds, b.auto_pause_at_percent ?? 0);
  const reached = new Set(reachedThresholds);
  const marks: MeterMark[] = b.thresholds.map((t) => ({ percent: t, kind: reached.has(t) ? 'reached' : '', label: `Alert at ${t} %${reached.has(t) ? ' (reached)' : ''}` }));
  if (scale > 100 && !b.thresholds.includes(100)) marks.push({ percent: 100, kind: 'max', label: 'The maximum' });
  if (b.auto_pause_at_percent) marks.push({ percent: b.auto_pause_at_percent, kind: 'pause', label: `Agents pause at ${b.auto_pause_at_percent} %` });
  return { scale, marks };
}

/** The teams the agents name, for the form's suggestions. */
export function teamsOf(agents: readonly Pick<Agent, 'team'>[]): string[] {
  return [...new Set(agents.map((a) => a.team).filter((t): t is string => !!t))].sort();
}

/** The form's values as typed (trimmed text). */
export interface BudgetForm {
  name: string;
  scope: string;
  team: string;
  agentId: string;
  period: string;
  rollingDays: string;
  maxAmount: string;
  thresholds: string;
  autoPause: string;
}

/** What the form sends: the fields of both the create (BudgetRequest) and the change (UpdateBudgetRequest). */
export interface BudgetBody {
  name: string;
  scope: string;
  team: string | null;
  agent_id: string | null;
  period: string;
  rolling_days: number | null;
  max_amount_usd: number | null;
  thresholds: number[];
  auto_pause_at_percent: number | null;
}

/**
 * The request for the form, and the errors found before asking the API (by JSON path, as the API names them; the
 * API checks the rest). Only what the scope and period use is sent. A change (PATCH) cannot leave the maximum empty:
 * an absent field there keeps the old one.
 */
export function budgetRequest(form: BudgetForm, editing: boolean): { body: BudgetBody; errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  const whole = (value: string, path: string): number | null => {
    if (value === '') return null;
    if (!/^\d+$/.test(value)) { errors[path] = ['must be a whole number.']; return null; }
    return Number(value);
  };
  const thresholds = form.thresholds.split(/[\s,;]+/).map((t) => t.replace(/%$/, '')).filter(Boolean);
  if (!thresholds.length) errors['$.thresholds'] = ['needs at least one percentage, e.g. 50, 80, 100.'];
  else if (thresholds.some((t) => !/^\d+$/.test(t))) errors['$.thresholds'] = ['must be whole percentages separated by commas, e.g. 50, 80, 100.'];
  const rolling = form.period === 'rolling';
  const body: BudgetBody = {
    name: form.name,
    scope: form.scope,
    team: form.scope === 'team' ? form.team : null,
    agent_id: form.scope === 'agent' ? (form.agentId || null) : null,
    period: form.period,
    rolling_days: rolling ? whole(form.rollingDays, '$.rolling_days') : null,
    max_amount_usd: form.maxAmount === '' ? null : Number(form.maxAmount),
    thresholds: thresholds.map(Number),
    auto_pause_at_percent: whole(form.autoPause, '$.auto_pause_at_percent'),
  };
  if (rolling && body.rolling_days === null && !errors['$.rolling_days']) errors['$.rolling_days'] = ['is required for a rolling budget.'];
  if (editing && body.max_amount_usd === null) errors['$.max_amount_usd'] = ['is required.'];
  return { body, errors };
}

function budgetScope(b: Budget, agentNames: ReadonlyMap<string, string>, { links = true } = {}): HTMLElement {
  if (b.scope === 'org') return h('span', {}, 'Organization');
  if (b.scope === 'team') {
    const team = b.team ?? '';
    return h('span', {}, 'Team ', links ? h('a', { href: costsHref({ team }), class: 'strong', title: `Costs of the team ${team}` }, team) : h('span', { class: 'strong' }, team));
  }
  const id = b.agent_id ?? '';
  const name = agentNames.get(id);
  return h('span', {}, 'Agent ', name
    ? (links ? h('a', { href: costsHref({ agent: id }), class: 'strong', title: `Costs of ${name}` }, name) : h('span', { class: 'strong' }, name))
    : h('code', { class: 'id-clip', title: id }, id));
}

/**
 * Spent against the maximum: the amounts and the state in words, a bar (decoration: everything it shows is also
 * written) with the thresholds and the auto-pause point as markers.
 */
function budgetMeter(b: Budget, s: BudgetStatus): HTMLElement {
  const state = BUDGET_STATE[s.state] ?? { label: s.state, kind: 'neutral', help: null };
  const { scale, marks } = meterMarks(b, s.thresholds_reached);
  const at = (p: number) => `${(Math.min(Number(p), scale) / scale) * 100}%`;
  const fill = h('span', { class: `meter-fill ${s.state}` });
  fill.style.width = at(s.percent); // CSSOM: allowed under the CSP
  return h('div', { class: 'meter' },
    h('div', { class: 'meter-head' },
      h('span', { class: 'meter-amount' }, h('span', { class: 'strong' }, fmtUsd(s.spent_usd)), ` of ${fmtUsd(b.max_amount_usd)}`),
      badge(`${state.label} · ${percentOf(s.percent)}`, state.kind, state.help)),
    h('span', { class: 'meter-track', 'aria-hidden': 'true' }, fill, marks.map((m) => {
      const el = h('span', { class: `meter-mark ${m.kind}`, title: m.label });
      el.style.left = at(m.percent);
      return el;
    })),
    h('span', { class: 'meter-note' },
      `Alerts at ${b.thresholds.map((t) => `${t} %`).join(', ')}`,
      b.auto_pause_at_percent ? ` · pauses agents at ${b.auto_pause_at_percent} %` : ''));
}

export function viewBudgets(main: HTMLElement, ctx: PageContext): void {
  let budgets: Budget[] = [];
  let agents: Agent[] = [];
  let agentNames = new Map<string, string>();
  let truncated = false;
  const writable = ctx.holds('budgets_write');
  const create = writable ? h('button', { type: 'button', class: 'btn primary', onclick: () => openBudgetForm(null) }, 'Create budget') : null;
  const countLine = h('p', { class: 'muted toolbar-count', 'aria-live': 'polite' });
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading budgets…'));
  append(main, [
    pageHeader('Budgets', 'Spending limits for the organization, a team or one agent. Alerts fire once per period at each threshold, and a budget can pause its agents. Periods follow the organization’s time zone.', create),
    h('div', { class: 'toolbar toolbar-meta' },
      writable ? null : h('p', { class: 'muted' }, 'Only admins can create, change or delete budgets. Ask an admin if a limit should change.'),
      countLine),
    list]);

  const reload = () => { if (ctx.alive()) void load(); };

  async function load(): Promise<void> {
    if (list.querySelector('table')) list.setAttribute('aria-busy', 'true');
    try {
      const [page, agentPage] = await Promise.all([
        readAll((cursor) => call(ctx.transport, 'listBudgets', { query: { limit: LIST_PAGE_SIZE, ...(cursor ? { cursor } : {}) } })),
        // Names only: without them the list shows the agents' ids.
        readAll((cursor) => call(ctx.transport, 'listAgents', { query: { limit: LIST_PAGE_SIZE, ...(cursor ? { cursor } : {}) } }))
          .catch((e: unknown) => { if (e instanceof SessionEnded) throw e; return { items: [] as Agent[], truncated: false }; }),
      ]);
      if (!ctx.alive()) return;
      list.removeAttribute('aria-busy');
      budgets = page.items.sort((a, b) => a.name.localeCompare(b.name));
      truncated = page.truncated;
      agents = agentPage.items;
      agentNames = new Map(agents.map((a) => [a.id, a.name]));
      withFocusKept(list, draw);
    } catch (e) {
      if (!ctx.alive()) return;
      list.removeAttribute('aria-busy');
      setChildren(list, errorPanel(e, () => void load(), ctx.onForbidden));
    }
  }

  function draw(): void {
    countLine.textContent = budgetsCount(budgets);
    if (!budgets.length) {
      setChildren(list, emptyState('No budgets yet',
        writable ? 'Set a maximum spend per day, week, month or rolling window, with alerts as it approaches.' : 'An admin can set spending limits with alerts here.',
        writable && h('button', { type: 'button', class: 'btn primary', onclick: () => openBudgetForm(null) }, 'Create budget')));
      return;
    }
    const table = h('table', { class: 'table dense budget-table' },
      h('caption', { class: 'sr-only' }, 'Budgets with this period’s spend against their maximum. Select a budget for its daily spend and alerts.'),
      h('thead', {}, h('tr', {},
        ['Budget', 'Scope', 'Period', 'Spent this period'].map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col', class: 'num' }, 'Projected'),
        h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, budgets.map(budgetRow)));
    setChildren(list, h('div', { class: 'table-wrap' }, table),
      truncated ? h('p', { class: 'muted pad' }, `Showing the first ${budgets.length} budgets.`) : null);
  }

  function budgetRow(b: Budget): HTMLTableRowElement {
    const s = b.status;
    const buttons = [h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Details of ${b.name}`, dataset: { focus: `details:${b.id}` }, onclick: () => void openBudgetDetail(b) }, 'Details')];
    if (writable) {
      buttons.push(h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Edit ${b.name}`, dataset: { focus: `edit:${b.id}` }, onclick: () => openBudgetForm(b) }, 'Edit'));
      buttons.push(h('button', { type: 'button', class: 'btn ghost small danger-text', 'aria-label': `Delete ${b.name}`, dataset: { focus: `delete:${b.id}` }, onclick: () => deleteBudget(b) }, 'Delete'));
    }
    const over = s && s.projected_usd !== null && Number(s.projected_usd) > Number(b.max_amount_usd);
    return h('tr', { class: b.active ? null : 'inactive' },
      cell('Budget', h('div', { class: 'who budget-who' },
        h('button', { type: 'button', class: 'link-btn strong', dataset: { focus: `name:${b.id}` }, onclick: () => void openBudgetDetail(b) }, b.name),
        h('span', { class: 'chips' },
          s?.auto_paused && badge('Auto-paused', 'danger', 'It paused its agents this period. They stay paused until someone resumes them.'),
          !b.active && badge('Inactive', 'neutral', 'Not tracking spend')))),
      cell('Scope', budgetScope(b, agentNames)),
      cell('Period', h('span', {}, periodLabel(b)), s && h('span', { class: 'muted small block' }, budgetWindow(s))),
      h('td', { 'data-label': 'Spent this period', class: 'meter-col' }, h('div', { class: 'cell' }, s ? budgetMeter(b, s) : h('span', { class: 'muted' }, '—'))),
      numCell('Projected', !s || s.projected_usd === null
        ? h('span', { class: 'muted', title: 'A rolling window has no end to project to.' }, '—')
        : h('span', { class: over ? 'warning-text strong' : null, title: 'At the rate so far, by the end of the period' }, fmtUsd(s.projected_usd)),
        over && h('span', { class: 'small warning-text' }, 'over the maximum')),
      actionsCell(h('div', { class: 'row-actions' }, buttons)));
  }

  /** The row's control to focus when a dialog closes (the list may have been redrawn meanwhile). */
  const returnTo = (key: string) => () => focusTarget(list, key);

  async function openBudgetDetail(b: Budget): Promise<void> {
    const dialog = openDialog({ title: b.name, wide: true, content: loadingPanel('Loading the budget…') });
    dialog.returnFocus = returnTo(`name:${b.id}`);
    let detail: Schemas['BudgetDetail'];
    try {
      detail = await call(ctx.transport, 'getBudget', { path: { id: b.id } });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) void load();
      dialog.setContent(errorPanel(e, null, ctx.onForbidden));
      return;
    }
    const v = detail.budget;
    const s = v.status;
    const stat = (label: string, value: string, sub: Child = null) => h('div', { class: 'stat' },
      h('dt', {}, label), h('dd', {}, h('span', { class: 'stat-value' }, value), sub && h('span', { class: 'stat-sub' }, sub)));
    const alertsId = nextId('alerts');
    const edit = writable && h('button', { type: 'button', class: 'btn secondary', onclick: () => { dialog.close(true); openBudgetForm(v); } }, 'Edit budget');
    dialog.setTitle(v.name);
    dialog.setContent(h('div', { class: 'stack budget-detail' },
      h('p', { class: 'muted' }, budgetScope(v, agentNames, { links: false }), ' · ', periodLabel(v), s && [' · ', budgetWindow(s)],
        s?.auto_paused ? [' · ', badge('Auto-paused', 'danger', 'It paused its agents this period.')] : null),
      s && budgetMeter(v, s),
      s && h('dl', { class: 'stats four' },
        stat('Spent', fmtUsd(s.spent_usd), percentOf(s.percent)),
        stat('Remaining', fmtUsd(s.remaining_usd)),
        stat('Projected', s.projected_usd === null ? '—' : fmtUsd(s.projected_usd), s.projected_usd === null ? 'No end to project to' : 'By the end of the period'),
        stat('Thresholds reached', fmtInt(s.thresholds_reached.length), `of ${fmtInt(v.thresholds.length)}`)),
      h('section', { class: 'stack-sm', 'aria-labelledby': `${alertsId}-daily` },
        h('h3', { id: `${alertsId}-daily` }, 'Daily spend this period'),
        dailyChart(detail.daily, { title: 'Daily spend this period', value: (d) => d.spent_usd, width: dialog.body.clientWidth - 40, height: 200 })),
      h('section', { class: 'stack-sm', 'aria-labelledby': alertsId },
        h('h3', { id: alertsId }, 'Alerts fired'),
        detail.alerts.length
          ? h('div', { class: 'table-wrap bordered' }, h('table', { class: 'table dense' },
            h('caption', { class: 'sr-only' }, 'Alerts this budget fired, newest first'),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Fired'), h('th', { scope: 'col' }, 'Alert'), h('th', { scope: 'col', class: 'num' }, 'Spent then'), h('th', { scope: 'col', class: 'num' }, 'Maximum then'))),
            h('tbody', {}, detail.alerts.map((a) => h('tr', {},
              cell('Fired', timeEl(a.fired_at, { withTime: true })),
              cell('Alert', a.kind === 'auto_pause'
                ? badge(`Agents paused at ${a.threshold} %`, 'danger')
                : badge(`${a.threshold} % reached`, a.threshold >= 100 ? 'danger' : 'warning')),
              numCell('Spent then', fmtUsd(a.spent_usd)),
              numCell('Maximum then', fmtUsd(a.max_amount_usd)))))))
          : h('p', { class: 'muted' }, 'No alert has fired yet.')),
      h('div', { class: 'form-actions' }, edit, h('button', { type: 'button', class: 'btn primary', onclick: () => dialog.close() }, 'Close'))));
  }

  function openBudgetForm(b: Budget | null): void {
    const teams = teamsOf(agents);
    const scope = selectControl(BUDGET_SCOPES, b?.scope ?? 'org');
    const period = selectControl(BUDGET_PERIODS, b?.period ?? 'monthly');
    const agentSelect = selectControl([
      { value: '', label: agents.length ? 'Choose an agent' : 'No agents yet' },
      ...[...agents].sort((x, y) => x.name.localeCompare(y.name)).map((a) => ({ value: a.id, label: a.status === 'archived' ? `${a.name} (archived)` : a.name })),
    ], b?.agent_id ?? '');
    const teamListId = nextId('teams');
    const teamField = field({
      label: 'Team', name: 'team', value: b?.team ?? '', autocomplete: 'off', attrs: { list: teamListId, spellcheck: 'false', maxlength: 100 },
      after: h('datalist', { id: teamListId }, teams.map((t) => h('option', { value: t }))),
      hint: 'Agents whose team has this name, counted by their team when each cost is processed.',
    });
    const agentField = field({ label: 'Agent', name: 'agent_id', control: agentSelect });
    const rollingField = field({
      label: 'Days in the window', name: 'rolling_days', type: 'number', value: b?.rolling_days ?? 30,
      attrs: { min: '1', max: '366', step: '1', inputmode: 'numeric' }, hint: '1 to 366: the last N days, today included.',
    });
    // Only the fields the scope and period use are shown.
    const sync = () => {
      teamField.hidden = scope.value !== 'team';
      agentField.hidden = scope.value !== 'agent';
      rollingField.hidden = period.value !== 'rolling';
    };
    scope.addEventListener('change', sync);
    period.addEventListener('change', sync);
    sync();
    const form = h('form', { class: 'stack' },
      h('div', { class: 'problem-slot' }),
      field({ label: 'Name', name: 'name', value: b?.name ?? '', autocomplete: 'off', required: true, attrs: { maxlength: 200 }, hint: 'Unique in the organization, e.g. “Support team, monthly”.' }),
      h('div', { class: 'field-row' },
        field({ label: 'Applies to', name: 'scope', control: scope }),
        h('div', {}, teamField, agentField)),
      h('div', { class: 'field-row' },
        field({ label: 'Period', name: 'period', control: period, hint: 'In the organization’s time zone.' }),
        rollingField),
      field({
        label: 'Maximum (USD)', name: 'max_amount_usd', type: 'number', value: b?.max_amount_usd ?? '', required: true,
        attrs: { min: '0', step: 'any', inputmode: 'decimal' }, hint: 'The spend allowed per period: more than 0.',
      }),
      field({
        label: 'Alert thresholds (%)', name: 'thresholds', value: (b?.thresholds ?? BUDGET_DEFAULT_THRESHOLDS).join(', '), autocomplete: 'off',
        hint: 'Percentages of the maximum, separated by commas: up to 10, from 1 to 1000. Each fires once per period.',
      }),
      field({
        label: 'Pause agents at (%)', name: 'auto_pause_at_percent', type: 'number', value: b?.auto_pause_at_percent ?? '', optional: true,
        attrs: { min: '1', max: String(BUDGET_MAX_PERCENT), step: '1', inputmode: 'numeric' },
        hint: 'Once spend reaches this percentage, the budget pauses its agents (an organization budget pulls the kill switch). They stay paused until someone resumes them.',
      }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, b ? 'Save' : 'Create budget')));
    const dialog = openDialog({ title: b ? `Edit ${b.name}` : 'Create a budget', content: form });
    if (b) dialog.returnFocus = returnTo(`edit:${b.id}`);
    handleSubmit(form, async (data) => {
      const { body, errors } = budgetRequest({
        name: formText(data, 'name'), scope: scope.value, team: formText(data, 'team'), agentId: agentSelect.value, period: period.value,
        rollingDays: formText(data, 'rolling_days'), maxAmount: formText(data, 'max_amount_usd'), thresholds: formText(data, 'thresholds'),
        autoPause: formText(data, 'auto_pause_at_percent'),
      }, !!b);
      if (Object.keys(errors).length) {
        throw new ApiError({ status: 422, code: 'validation_failed', title: 'Validation failed', detail: 'Please correct the highlighted fields.', errors });
      }
      // budgetRequest refuses an empty maximum for a change, so it is a number here.
      const saved = b
        ? await call(ctx.transport, 'updateBudget', { path: { id: b.id }, body: { ...body, max_amount_usd: body.max_amount_usd ?? undefined } })
        : await call(ctx.transport, 'createBudget', { body });
      dialog.close(true);
      toast(b ? `Budget “${saved.name}” saved.` : `Budget “${saved.name}” created: ${fmtUsd(saved.status?.spent_usd ?? 0)} spent so far this period.`);
      // Created or changed past its auto-pause point, it has just paused agents: the shell's banner shows it.
      if (saved.status?.auto_paused) ctx.refreshControls();
      reload();
    }, {
      codePaths: { budget_exists: '$.name', budget_limit: '$.name' },
      onError: (e) => { if (e instanceof ApiError && e.status === 404) void load(); },
    });
  }

  function deleteBudget(b: Budget): void {
    confirmDelete({
      title: 'Delete budget',
      message: `Delete “${b.name}”? Its spend is no longer tracked and no more alerts fire. Agents it paused stay paused until someone resumes them.`,
      confirmLabel: 'Delete budget',
      remove: () => call(ctx.transport, 'deleteBudget', { path: { id: b.id } }),
      done: `Budget “${b.name}” deleted.`,
      reload,
    });
  }

  void load();
}
