// One agent: its status (pause and resume), what it is, the budgets over it, its trends over the picked window, its
// recent runs and the recent control actions on it.
import { call, type Schemas } from '../api/client';
import { ApiError } from '../api/errors';
import { latencyChart } from '../components/latencyChart';
import { badge, emptyState, errorPanel, loadingPanel } from '../components/panels';
import { timeChart } from '../components/timeChart';
import { timePicker } from '../components/timePicker';
import { h, setChildren, type Child } from '../lib/dom';
import { fmtCompact, fmtDuration, fmtMicros, fmtPercent } from '../lib/format';
import { bucketStarts, runsAndErrors, type Point } from '../lib/series';
import { bucketFor, describeWindow, resolveWindow, selectedWindow, windowParams, windowQuery } from '../lib/timeWindow';
import type { PageContext } from './context';

/** Rows in the recent lists (runs, control actions). */
export const AGENT_RECENT_ROWS = 10;
/** Live hints re-read the page at most this often (each read runs the agent's series and latency queries). */
export const AGENT_LIVE_MIN_MS = 30_000;

type Agent = Schemas['AgentView'];
type Budget = Schemas['BudgetView'];

const STATUS_KIND: Record<string, string> = { active: 'success', paused: 'warning', archived: 'neutral' };
const at = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The budgets that cover the agent: the organization's, its team's and its own. */
export function budgetsOver(agent: Pick<Agent, 'id' | 'team'>, budgets: readonly Budget[]): Budget[] {
  return budgets.filter((b) => b.scope === 'org' || (b.scope === 'team' && !!agent.team && b.team === agent.team) || (b.scope === 'agent' && b.agent_id === agent.id));
}

export function viewAgent(main: HTMLElement, ctx: PageContext, id: string): void {
  const window = resolveWindow(ctx.params, new Date());
  const title = h('h1', { id: 'page-title', tabindex: '-1' }, 'Agent');
  const status = h('span', { class: 'agent-status' });
  const actions = h('div', { class: 'page-actions-inner' });
  const header = h('div', { class: 'page-header' },
    h('div', {}, h('p', { class: 'crumbs' }, h('a', { href: '#/agents' }, 'Agents')), h('div', { class: 'title-row' }, title, status)),
    h('div', { class: 'page-actions' }, actions, timePicker(window, (w) => ctx.go(`/agents/${encodeURIComponent(id)}`, windowParams(w)))));
  const facts = h('section', { class: 'card', 'aria-labelledby': 'ag-facts' }, h('h2', { id: 'ag-facts' }, 'About'), loadingPanel('Loading…'));
  const trends = h('section', { class: 'card chart-card', 'aria-labelledby': 'ag-trends' }, h('h2', { id: 'ag-trends' }, `Runs and errors in ${describeWindow(window)}`), loadingPanel('Loading…'));
  const latencyTrend = h('section', { class: 'card chart-card', 'aria-labelledby': 'ag-latency' }, h('h2', { id: 'ag-latency' }, 'Latency'), loadingPanel('Loading…'));
  const budgets = h('section', { class: 'card list-card', 'aria-labelledby': 'ag-budgets' }, h('h2', { id: 'ag-budgets' }, 'Budgets over this agent'), loadingPanel('Loading…'));
  const runs = h('section', { class: 'card list-card', 'aria-labelledby': 'ag-runs' }, h('h2', { id: 'ag-runs' }, 'Recent runs'), loadingPanel('Loading…'));
  const audit = ctx.holds('audit_read')
    ? h('section', { class: 'card list-card', 'aria-labelledby': 'ag-audit' }, h('h2', { id: 'ag-audit' }, 'Recent control actions'), loadingPanel('Loading…'))
    : null;
  main.append(header, h('div', { class: 'overview-lists' }, facts, trends), h('div', { class: 'overview-lists' }, latencyTrend, budgets), h('div', { class: 'overview-lists' }, runs, audit ?? ''));

  const fail = (error: unknown) => errorPanel(error, () => void load(), ctx.onForbidden);
  const body = (section: HTMLElement, ...content: Child[]) => setChildren(section, section.firstElementChild, ...content);

  async function load(): Promise<void> {
    const t = ctx.transport;
    let agent: Agent;
    try {
      agent = await call(t, 'getAgent', { path: { id } });
    } catch (error) {
      if (!ctx.alive()) return;
      if (error instanceof ApiError && error.status === 404) {
        title.textContent = 'Agent not found';
        setChildren(main, header, emptyState('No agent with this id in your organization', 'It may have been archived and deleted, or the link is wrong.',
          h('a', { href: '#/agents', class: 'btn secondary' }, 'All agents')));
        return;
      }
      setChildren(main, header, fail(error));
      return;
    }
    if (!ctx.alive()) return;
    document.title = `${agent.name} · Agents · AgentOps`;
    title.textContent = agent.name;
    setChildren(status, badge(agent.status[0]!.toUpperCase() + agent.status.slice(1), STATUS_KIND[agent.status] ?? 'neutral'),
      agent.paused_by_kill_switch ? badge('Kill switch', 'danger', 'Paused by the organization\'s kill switch') : null);
    // Redrawn only when the agent changed, and never under a half-typed reason: a hint re-reads the page every so often.
    const version = `${agent.updated_at}|${agent.status}|${agent.paused_by_kill_switch}`;
    if (facts.dataset.version !== version) { body(facts, aboutAgent(agent)); facts.dataset.version = version; }

    const query = windowQuery(window);
    const [series, latencies, budgetPage, runPage, control, auditPage, members] = await Promise.allSettled([
      call(t, 'getAnalyticsTimeseries', { query: { ...query, agent: id } }),
      call(t, 'getAnalyticsLatency', { query: { ...query, agent: id } }),
      call(t, 'listBudgets', { query: { active: true, limit: 200 } }),
      call(t, 'listRuns', { query: { agent: id, sort: 'started_at', order: 'desc', limit: AGENT_RECENT_ROWS } }),
      call(t, 'getControlStatus'),
      audit ? call(t, 'listAuditLog', { query: { entity_type: 'agent', entity_id: id, limit: AGENT_RECENT_ROWS } }) : Promise.resolve(null),
      // Who acted, by name: the audit log keeps ids.
      audit ? call(t, 'listMembers', { query: { limit: 200 } }) : Promise.resolve(null),
    ]);
    if (!ctx.alive()) return;
    if (!actions.querySelector('form:not([hidden])')) setChildren(actions, control.status === 'fulfilled' ? controlButtons(agent, control.value.killed) : null);
    body(trends, series.status === 'fulfilled' ? agentTrends(agent, series.value.points) : fail(series.reason));
    body(latencyTrend, latencies.status === 'fulfilled' ? latencyChart(latencies.value.points, bucketStarts(window.from, window.to, bucketFor(window)), `Latency of ${agent.name}`)
      : fail(latencies.reason));
    body(budgets, budgetPage.status === 'fulfilled' ? budgetList(budgetsOver(agent, budgetPage.value.items)) : fail(budgetPage.reason));
    body(runs, runPage.status === 'fulfilled' ? runList(runPage.value.items, id) : fail(runPage.reason));
    if (audit) {
      const names = new Map((members.status === 'fulfilled' ? members.value?.items ?? [] : []).map((m) => [m.user_id, m.name || m.email]));
      body(audit, auditPage.status === 'fulfilled' && auditPage.value ? auditList(auditPage.value.items, names) : fail(auditPage.status === 'rejected' ? auditPage.reason : null));
    }
  }

  function agentTrends(agent: Agent, points: Point[]): HTMLElement {
    const x = bucketStarts(window.from, window.to, bucketFor(window));
    const totals = points.reduce((a, p) => ({ runs: a.runs + p.count, errors: a.errors + p.errors, cost: a.cost + p.cost_micros }), { runs: 0, errors: 0, cost: 0 });
    const s = agent.stats;
    return h('div', {},
      h('dl', { class: 'kpi-grid' },
        h('div', { class: 'kpi' }, h('dt', {}, 'Runs'), h('dd', { class: 'kpi-value' }, fmtCompact(totals.runs))),
        h('div', { class: 'kpi' }, h('dt', {}, 'Error rate'), h('dd', { class: 'kpi-value' }, fmtPercent(totals.runs ? totals.errors / totals.runs : null))),
        h('div', { class: 'kpi' }, h('dt', {}, 'Cost'), h('dd', { class: 'kpi-value' }, fmtMicros(totals.cost))),
        h('div', { class: 'kpi', title: 'Over the last 24 hours' }, h('dt', {}, 'p95 latency (24 h)'), h('dd', { class: 'kpi-value' }, fmtDuration(s?.p95_latency_ms)))),
      totals.runs === 0
        ? emptyState('No runs in this window', null)
        : timeChart({
          title: `Runs and errors of ${agent.name}`, x, kind: 'bars', format: fmtCompact,
          series: runsAndErrors(points, x).series.map((series, i) => ({ ...series, color: i === 0 ? '--chart-1' : '--danger' })),
          onSelect: (from, to) => {
            const picked = selectedWindow(from, to, bucketFor(window));
            if (picked) ctx.go('/runs', { agent: agent.id, from: picked.from.toISOString(), to: picked.to.toISOString() });
          },
        }));
  }

  /** Pause and resume, for those who hold the controls; resume is not offered while the kill switch is on. */
  function controlButtons(agent: Agent, killed: boolean): Child {
    if (!ctx.holds('controls') || agent.status === 'archived') return null;
    if (agent.status === 'paused' && killed) {
      return h('span', { class: 'muted small' }, 'The kill switch is on: ', h('a', { href: '#/controls' }, 'lift it'), ' to resume agents.');
    }
    const pausing = agent.status === 'active';
    const reason = h('input', { type: 'text', maxlength: 500, placeholder: pausing ? 'Why (kept in the audit log)' : 'Optional note', 'aria-label': 'Reason' });
    const problem = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const confirm = h('form', {
      class: 'inline-confirm', hidden: true,
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const submit = confirm.querySelector('button[type=submit]') as HTMLButtonElement;
        submit.disabled = true;
        try {
          const body = { reason: reason.value.trim() || null };
          await call(ctx.transport, pausing ? 'pauseAgent' : 'resumeAgent', { path: { id: agent.id }, body });
          if (ctx.alive()) await load();
        } catch (error) {
          problem.textContent = error instanceof ApiError ? error.detail : 'Something went wrong.';
          problem.hidden = false;
          submit.disabled = false;
        }
      },
    }, reason, h('button', { type: 'submit', class: pausing ? 'btn danger small' : 'btn primary small' }, pausing ? 'Pause now' : 'Resume now'),
    h('button', { type: 'button', class: 'btn secondary small', onclick: () => { confirm.hidden = true; open.hidden = false; } }, 'Cancel'), problem);
    const open = h('button', {
      type: 'button', class: pausing ? 'btn danger' : 'btn primary',
      onclick: () => { open.hidden = true; confirm.hidden = false; reason.focus(); },
    }, pausing ? 'Pause' : 'Resume');
    return [open, confirm];
  }

  ctx.live(['controls', 'runs'], () => void load(), AGENT_LIVE_MIN_MS);
  void load();
}

function aboutAgent(agent: Agent): HTMLElement {
  const config = JSON.stringify(agent.config ?? {}, null, 2);
  return h('div', {},
    h('dl', { class: 'details' },
      h('dt', {}, 'Type'), h('dd', {}, agent.type, agent.provider ? ` · ${agent.provider}` : ''),
      h('dt', {}, 'Team'), h('dd', {}, agent.team ? h('a', { href: `#/costs?team=${encodeURIComponent(agent.team)}` }, agent.team) : h('span', { class: 'muted' }, 'none')),
      h('dt', {}, 'Environment'), h('dd', {}, agent.environment ?? h('span', { class: 'muted' }, '—')),
      h('dt', {}, 'Tags'), h('dd', {}, agent.tags.length ? h('span', { class: 'chips' }, agent.tags.map((t) => h('span', { class: 'chip' }, t))) : h('span', { class: 'muted' }, 'none')),
      agent.status === 'paused' ? [h('dt', {}, 'Paused because'), h('dd', {}, agent.paused_reason ?? h('span', { class: 'muted' }, 'no reason given'))] : null,
      h('dt', {}, 'Registered'), h('dd', {}, at.format(new Date(agent.created_at)), agent.auto_registered ? ' (by its first events)' : '')),
    h('details', { class: 'disclosure' }, h('summary', {}, 'Configuration'), h('pre', { class: 'payload' }, config)));
}

function budgetList(budgets: readonly Budget[]): HTMLElement {
  if (!budgets.length) return emptyState('No budget covers this agent', null, h('a', { href: '#/budgets' }, 'Budgets'));
  return h('table', { class: 'mini-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Budget'), h('th', { scope: 'col' }, 'Scope'), h('th', { scope: 'col', class: 'num' }, 'Used'))),
    h('tbody', {}, budgets.map((b) => h('tr', {},
      h('td', {}, h('a', { href: '#/budgets' }, b.name)),
      h('td', {}, b.scope === 'team' ? `team ${b.team}` : b.scope === 'agent' ? 'this agent' : 'organization'),
      h('td', { class: `num ${b.status?.state === 'exceeded' ? 'danger-text' : ''}` },
        b.status ? `${fmtPercent(b.status.percent / 100)} of ${fmtMicros(Math.round(b.max_amount_usd * 1_000_000))}` : '—')))));
}

function runList(runs: readonly Schemas['RunView'][], agentId: string): HTMLElement {
  if (!runs.length) return emptyState('No runs yet', 'Runs appear here as the agent reports them.');
  return h('div', {},
    h('table', { class: 'mini-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Run'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Started'),
        h('th', { scope: 'col', class: 'num' }, 'Duration'), h('th', { scope: 'col', class: 'num' }, 'Cost'))),
      h('tbody', {}, runs.map((r) => h('tr', {},
        h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(r.id)}` }, r.name ?? r.id)),
        h('td', { class: r.status === 'failed' ? 'danger-text' : '' }, r.status),
        h('td', {}, at.format(new Date(r.started_at))),
        h('td', { class: 'num' }, fmtDuration(r.duration_ms)),
        h('td', { class: 'num' }, fmtMicros(r.cost_micros)))))),
    h('a', { class: 'more-link', href: `#/runs?agent=${encodeURIComponent(agentId)}` }, 'All runs of this agent'));
}

/** The audit actions on an agent, in words (others show as they are recorded). */
const ACTIONS: Record<string, string> = {
  'control.agent_paused': 'Paused', 'control.agent_resumed': 'Resumed', 'control.kill_switch': 'Paused by the kill switch',
  'control.resume_all': 'Resumed with the kill switch lifted', 'agent.paused': 'Paused (edited)', 'agent.resumed': 'Resumed (edited)',
  'agent.archived': 'Archived', 'agent.created': 'Registered', 'agent.registered': 'Registered by its first events', 'agent.updated': 'Changed',
};

/** Who acted: a member by name, else what kind of actor (an API key, the system: a budget's auto-pause). */
export function actorName(e: Pick<Schemas['AuditView'], 'actor_type' | 'actor_id'>, names: ReadonlyMap<string | null, string>): string {
  if (e.actor_type === 'user') return (e.actor_id && names.get(e.actor_id)) ?? 'a former member';
  return e.actor_type === 'api_key' ? 'an API key' : e.actor_type === 'system' ? 'AgentOps (automatic)' : e.actor_type;
}

function auditList(entries: readonly Schemas['AuditView'][], names: ReadonlyMap<string | null, string>): HTMLElement {
  if (!entries.length) return emptyState('No changes recorded', null);
  return h('ul', { class: 'failed-runs' }, entries.map((e) => h('li', {},
    h('span', { class: 'strong', title: e.action }, ACTIONS[e.action] ?? e.action),
    h('span', { class: 'muted' }, ` by ${actorName(e, names)} · ${at.format(new Date(e.created_at))}`),
    e.after && typeof e.after === 'object' && 'reason' in e.after && e.after.reason ? h('span', { class: 'failed-error muted' }, String(e.after.reason)) : null)));
}
