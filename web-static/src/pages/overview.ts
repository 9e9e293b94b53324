// The home page: what the agents did in the picked window against the window before, and what needs attention now.
import { call, type Schemas } from '../api/client';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { latencyChart } from '../components/latencyChart';
import { timeChart } from '../components/timeChart';
import { timePicker } from '../components/timePicker';
import { h, setChildren, type Child } from '../lib/dom';
import { delta, fmtCompact, fmtDuration, fmtInt, fmtMicros, fmtPercent, type Delta } from '../lib/format';
import { bucketStarts, costByKey, runsAndErrors } from '../lib/series';
import { bucketFor, describeWindow, previousWindow, resolveWindow, selectedWindow, windowParams, windowQuery, type TimeWindow } from '../lib/timeWindow';
import type { PageContext } from './context';

/** With the live stream up, hints re-read the overview at most this often (a busy ingest hints every 250 ms). */
export const OVERVIEW_LIVE_MIN_MS = 10_000;
/** Without it (the fallback), a visible overview reads again once a minute. */
export const OVERVIEW_REFRESH_MS = 60_000;
/** Rows in the attention lists (top agents, failed runs, budgets at risk). */
export const OVERVIEW_LIST_ROWS = 5;

type Summary = Schemas['AnalyticsSummaryResponse'];
type Run = Schemas['RunView'];
type Budget = Schemas['BudgetView'];

const CHART_COLORS = ['--chart-1', '--chart-2', '--chart-3', '--chart-4', '--chart-5', '--chart-6'];

export function viewOverview(main: HTMLElement, ctx: PageContext): void {
  let window = resolveWindow(ctx.params, new Date());
  const picker = timePicker(window, (w) => ctx.go('/overview', windowParams(w)));
  const desc = h('p', { class: 'page-desc' });
  const header = pageHeader('Overview', null, picker);
  header.firstElementChild?.append(desc);

  const now = h('section', { class: 'overview-now', 'aria-label': 'Needs attention' });
  const kpis = h('section', { class: 'kpis', 'aria-label': 'Key figures' }, loadingPanel('Loading figures…'));
  const activity = chartCard('ov-activity', 'Runs and errors', 'Drag across the chart to see those runs.');
  const cost = chartCard('ov-cost', 'Cost by model', null);
  const latency = chartCard('ov-latency', 'Latency', 'Run duration: p50, p95 and p99 of the runs that started in each bucket.');
  const top = listCard('ov-top', 'Top agents by cost');
  const failed = listCard('ov-failed', 'Latest failed runs');
  const updated = h('p', { class: 'muted live-note', role: 'status' });
  main.append(header, updated, now, kpis, h('div', { class: 'overview-charts' }, activity.card, cost.card, latency.card), h('div', { class: 'overview-lists' }, top.card, failed.card));

  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!ctx.alive()) return;
      if (document.visibilityState === 'visible' && !ctx.isLive()) void load(); else schedule();
    }, OVERVIEW_REFRESH_MS);
  };
  ctx.live(['runs', 'approvals', 'controls'], () => void load(), OVERVIEW_LIVE_MIN_MS);

  async function load(): Promise<void> {
    // A preset moves with the clock; a custom window stays where it was put.
    if (window.preset !== 'custom') window = resolveWindow(new URLSearchParams(windowParams(window)), new Date());
    desc.textContent = `What your agents did in ${describeWindow(window)}, against the period before.`;
    const query = windowQuery(window);
    const prev = previousWindow(window);
    const t = ctx.transport;
    const [summary, previous, byModel, latencies, control, pending, budgets, failedRuns] = await Promise.allSettled([
      call(t, 'getAnalyticsSummary', { query }),
      call(t, 'getAnalyticsSummary', { query: { from: prev.from.toISOString(), to: prev.to.toISOString(), bucket: query.bucket } }),
      call(t, 'getAnalyticsTimeseries', { query: { ...query, by: 'model' } }),
      call(t, 'getAnalyticsLatency', { query }),
      call(t, 'getControlStatus'),
      ctx.holds('approvals_read') ? call(t, 'countPendingApprovals') : Promise.resolve(null),
      call(t, 'listBudgets', { query: { active: true, limit: 200 } }),
      call(t, 'listRuns', { query: { status: 'failed', from: query.from, to: query.to, sort: 'started_at', order: 'desc', limit: OVERVIEW_LIST_ROWS } }),
    ]);
    if (!ctx.alive()) return;
    const fail = (reason: unknown) => errorPanel(reason, () => void load(), ctx.onForbidden);

    setChildren(now,
      settled(control, fail, (c) => killSwitchTile(c)),
      settled(pending, fail, (p) => (p ? pendingTile(p) : null)),
      settled(budgets, fail, (b) => budgetsTile(b.items)));
    setChildren(kpis, settled(summary, fail, (s) => kpiCards(s, previous.status === 'fulfilled' ? previous.value : null, window)));
    const x = bucketStarts(window.from, window.to, bucketFor(window));
    setChildren(activity.body, settled(summary, fail, (s) => s.totals.runs === 0
      ? emptyState('No runs in this window', 'Runs appear here as agents report them.')
      : timeChart({
        title: 'Runs and errors',
        x,
        series: runsAndErrors(s.series, x).series.map((series, i) => ({ ...series, color: i === 0 ? '--chart-1' : '--danger' })),
        kind: 'bars',
        format: fmtCompact,
        onSelect: (from, to) => {
          const picked = selectedWindow(from, to, bucketFor(window));
          if (picked) ctx.go('/runs', { from: picked.from.toISOString(), to: picked.to.toISOString() });
        },
      })));
    setChildren(cost.body, settled(byModel, fail, (series) => {
      const columns = costByKey(series.points, x);
      return columns.series.length === 0
        ? emptyState('No cost in this window', 'LLM calls with a model and a price add up here.')
        : timeChart({
          title: 'Cost by model (USD)',
          x,
          series: columns.series.map((s, i) => ({ ...s, color: CHART_COLORS[i % CHART_COLORS.length]! })),
          kind: 'stacked',
          format: (v) => fmtMicros(Math.round(v * 1_000_000)),
        });
    }));
    setChildren(latency.body, settled(latencies, fail, (l) => latencyChart(l.points, x, 'Latency')));
    setChildren(top.body, settled(summary, fail, (s) => topAgents(s.top_agents)));
    setChildren(failed.body, settled(failedRuns, fail, (r) => failedList(r.items, window)));
    // Drawn: the charts draw in a resize callback, before the next paint. Marked for the dashboard bench and for tests.
    const loaded = performance.now();
    requestAnimationFrame(() => requestAnimationFrame(() => {
      header.dataset.renderedAt = String(performance.now());
      header.dataset.loadedAt = String(loaded);
    }));
    updated.textContent = `Updated ${new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' }).format(new Date())}; ${
      ctx.isLive() ? 'live.' : 'refreshes every minute.'}`;
    schedule();
  }

  void load();
}

function settled<T>(result: PromiseSettledResult<T>, fail: (reason: unknown) => HTMLElement, render: (value: T) => Child): Child {
  return result.status === 'fulfilled' ? render(result.value) : fail(result.reason);
}

function chartCard(id: string, title: string, hint: string | null) {
  const body = h('div', { class: 'chart-body' }, loadingPanel('Loading…'));
  const card = h('section', { class: 'card chart-card', 'aria-labelledby': id },
    h('div', { class: 'card-title' }, h('h2', { id }, title), hint && h('p', { class: 'muted small' }, hint)), body);
  return { card, body };
}

function listCard(id: string, title: string) {
  const body = h('div', {}, loadingPanel('Loading…'));
  return { card: h('section', { class: 'card list-card', 'aria-labelledby': id }, h('h2', { id }, title), body), body };
}

function kpi(label: string, value: string, change: Delta, previousLabel: string, title?: string): HTMLElement {
  const tone = change.good === null ? 'neutral' : change.good ? 'good' : 'bad';
  return h('div', { class: 'kpi', title },
    h('dt', {}, label),
    h('dd', { class: 'kpi-value' }, value),
    h('dd', { class: `kpi-delta ${change.trend} ${tone}` },
      change.text || '—',
      h('span', { class: 'sr-only' }, change.text ? ` ${change.good === null ? '' : change.good ? '(better) ' : '(worse) '}than ${previousLabel}` : ` no figure for ${previousLabel}`)));
}

function kpiCards(now: Summary, before: Summary | null, window: TimeWindow): HTMLElement {
  const prevLabel = window.preset === 'custom' ? 'the period before' : `the ${describeWindow(window).replace('the last ', 'previous ')}`;
  const t = now.totals;
  const p = before?.totals;
  // With no run before, a rate or a latency has nothing to compare with: the figure is new.
  const fresh: Delta = { trend: 'new', text: 'new', good: null };
  const priorRuns = !!p && p.runs > 0;
  const tokens = (x: typeof t | undefined) => (x ? x.tokens_in + x.tokens_out : null);
  return h('dl', { class: 'kpi-grid' },
    kpi('Runs', fmtCompact(t.runs), delta(t.runs, p?.runs), prevLabel, fmtInt(t.runs)),
    kpi('Error rate', fmtPercent(t.runs ? t.error_rate : null), priorRuns ? delta(t.error_rate, p?.error_rate, { points: true, higherIsBetter: false }) : fresh, prevLabel,
      `${fmtInt(t.failed_runs)} failed of ${fmtInt(t.runs)}`),
    kpi('p50 latency', fmtDuration(now.latency.p50_ms), priorRuns ? delta(now.latency.p50_ms, before?.latency.p50_ms, { higherIsBetter: false }) : fresh, prevLabel),
    kpi('p95 latency', fmtDuration(now.latency.p95_ms), priorRuns ? delta(now.latency.p95_ms, before?.latency.p95_ms, { higherIsBetter: false }) : fresh, prevLabel),
    kpi('Cost', fmtMicros(t.cost_micros), delta(t.cost_micros, p?.cost_micros, { higherIsBetter: false }), prevLabel),
    kpi('Tokens', fmtCompact(tokens(t)), { ...delta(tokens(t), tokens(p)), good: null }, prevLabel, `${fmtInt(t.tokens_in)} in, ${fmtInt(t.tokens_out)} out`),
    unpriced(kpi('Unpriced calls', fmtInt(t.unpriced_calls), delta(t.unpriced_calls, p?.unpriced_calls, { higherIsBetter: false }), prevLabel,
      'LLM calls whose model has no price: their cost counts as 0 until a price is set'), t.unpriced_calls));
}

/** With unpriced calls, the figure links to the prices page, where a price can be added. */
function unpriced(card: HTMLElement, calls: number): HTMLElement {
  if (calls > 0) card.append(h('dd', { class: 'kpi-link' }, h('a', { href: '#/prices' }, 'Add a price')));
  return card;
}

function killSwitchTile(c: Schemas['ControlStatus']): HTMLElement {
  return h('a', { href: '#/controls', class: `now-tile ${c.killed ? 'alarm' : ''}` },
    h('span', { class: 'now-label' }, 'Kill switch'),
    h('span', { class: 'now-value' }, c.killed ? badge('On', 'danger') : badge('Off', 'success')),
    h('span', { class: 'now-sub' }, c.killed ? (c.killed_reason ?? 'All agents are stopped.') : `${fmtInt(c.active_agents)} active, ${fmtInt(c.paused_agents)} paused`));
}

function pendingTile(p: Schemas['PendingCount']): HTMLElement {
  return h('a', { href: '#/approvals?status=pending', class: `now-tile ${p.pending > 0 ? 'attention' : ''}` },
    h('span', { class: 'now-label' }, 'Pending approvals'),
    h('span', { class: 'now-value' }, `${fmtInt(p.pending)}${p.capped ? '+' : ''}`),
    h('span', { class: 'now-sub' }, p.pending > 0 ? 'Agents are waiting for a decision' : 'Nothing waiting'));
}

/** Active budgets past a threshold, most used first. */
export function budgetsAtRisk(budgets: readonly Budget[]): Budget[] {
  return budgets.filter((b) => b.status && b.status.state !== 'ok').sort((a, b) => (b.status?.percent ?? 0) - (a.status?.percent ?? 0));
}

function budgetsTile(budgets: readonly Budget[]): HTMLElement {
  const risky = budgetsAtRisk(budgets);
  return h('a', { href: '#/budgets', class: `now-tile ${risky.some((b) => b.status?.state === 'exceeded') ? 'alarm' : risky.length ? 'attention' : ''}` },
    h('span', { class: 'now-label' }, 'Budgets at risk'),
    h('span', { class: 'now-value' }, fmtInt(risky.length)),
    h('span', { class: 'now-sub' }, risky.length
      ? risky.slice(0, 2).map((b) => `${b.name} ${fmtPercent((b.status?.percent ?? 0) / 100)}`).join(' · ')
      : `${fmtInt(budgets.length)} active, all within limits`));
}

function topAgents(agents: Summary['top_agents']): HTMLElement {
  if (!agents.length) return emptyState('No agent ran in this window', null);
  return h('table', { class: 'mini-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Agent'), h('th', { scope: 'col', class: 'num' }, 'Runs'),
      h('th', { scope: 'col', class: 'num' }, 'Failed'), h('th', { scope: 'col', class: 'num' }, 'Cost'))),
    h('tbody', {}, agents.slice(0, OVERVIEW_LIST_ROWS).map((a) => h('tr', {},
      h('td', {}, h('a', { href: `#/agents/${encodeURIComponent(a.agent_id)}` }, a.name ?? 'Unnamed agent')),
      h('td', { class: 'num' }, fmtInt(a.runs)),
      h('td', { class: `num ${a.failed_runs ? 'danger-text' : ''}` }, fmtInt(a.failed_runs)),
      h('td', { class: 'num' }, fmtMicros(a.cost_micros))))));
}

function failedList(runs: readonly Run[], window: TimeWindow): HTMLElement {
  if (!runs.length) return emptyState('No failed runs in this window', null);
  const at = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
  return h('div', {},
    h('ul', { class: 'failed-runs' }, runs.map((r) => h('li', {},
      h('a', { href: `#/runs/${encodeURIComponent(r.id)}` }, r.name ?? r.id),
      h('span', { class: 'muted' }, ` ${r.agent_name ?? 'Unnamed agent'} · ${at.format(new Date(r.started_at))}`),
      r.error && h('span', { class: 'failed-error' }, r.error)))),
    h('a', { class: 'more-link', href: `#/runs?status=failed&from=${encodeURIComponent(window.from.toISOString())}&to=${encodeURIComponent(window.to.toISOString())}` }, 'All failed runs in this window'));
}
