// Approvals: actions a require_approval policy holds until a person decides (ApprovalsApi.cs, docs/control-plane.md).
// The pending queue (oldest first, with countdowns) is re-read on live hints, and polled while the live stream is down;
// the other tabs (?status=approved|rejected|expired) list the decided requests, newest first. Who may decide is the
// server's rule, shown beforehand: approvals_decide, a role the request names, and never whoever asked.
import { call, type Schemas } from '../api/client';
import { ApiError, SessionEnded } from '../api/errors';
import { actorTypeLabel, loadActorNames } from '../components/actors';
import { openDialog } from '../components/dialog';
import { field, formText, handleSubmit } from '../components/forms';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { payloadPre } from '../components/payload';
import { roleBadge, roleLabel } from '../components/roles';
import { cell } from '../components/table';
import { exactTime, relative, timeEl, timeOfDay } from '../components/time';
import { actionFailed, toast } from '../components/toast';
import { focusTarget, h, nextId, setChildren, withFocusKept } from '../lib/dom';
import { fmtCount, fmtInt, plural } from '../lib/format';
import { hashHref, runsHref } from '../lib/href';
import { isPlainObject } from '../lib/json';
import type { PageContext } from './context';
import { snippet } from './run';

type Approval = Schemas['ApprovalView'];
type Me = Pick<NonNullable<ReturnType<PageContext['me']>>, 'id' | 'role'>;

const APPROVAL_REFRESH_MS = 5000;
const APPROVAL_HISTORY_MAX = 2000;
const APPROVALS_PAGE_MAX = 200; // the API's largest page (the page shows one of the queue)
const APPROVAL_TABS = [
  { id: 'pending', label: 'Pending' },
  { id: 'approved', label: 'Approved' },
  { id: 'rejected', label: 'Rejected' },
  { id: 'expired', label: 'Expired' },
] as const;
type Tab = (typeof APPROVAL_TABS)[number]['id'];

const APPROVAL_STATUS: Record<string, { label: string; kind: string; help?: string }> = {
  pending: { label: 'Pending', kind: 'warning' },
  approved: { label: 'Approved', kind: 'success' },
  rejected: { label: 'Rejected', kind: 'danger' },
  expired: { label: 'Expired', kind: 'neutral', help: 'Nobody decided in time: the agent was told no.' },
};
// Why a request ended without a person: pausing its agent, the kill switch, or its expiry.
const DECISION_REASONS: Record<string, string> = {
  agent_paused: 'Rejected when its agent was paused',
  org_killed: 'Rejected by the kill switch',
  expired: 'Nobody decided in time',
};
// Refusals that no retry of the same decision can change: the dialog says so and offers nothing more to submit.
const APPROVAL_FINAL: Record<string, string> = {
  approval_self_forbidden: 'You asked for this action.',
  approval_role_required: 'Your role may not decide this request.',
  approval_decided: 'Someone has already decided this request.',
  approval_expired: 'The request expired.',
  not_found: 'The request no longer exists.',
};
const EXPIRED_TEXT = 'Nobody decided in time: the agent was told no.';

/** The tab a URL names (?status=), pending by default. */
export const tabOf = (params: URLSearchParams): Tab => APPROVAL_TABS.find((t) => t.id === params.get('status'))?.id ?? 'pending';

/** A status as a badge shows it: label, colour and help. */
export const approvalStatus = (status: string): { label: string; kind: string; help: string | null } => {
  const s = APPROVAL_STATUS[status];
  return s ? { label: s.label, kind: s.kind, help: s.help ?? null } : { label: status, kind: 'neutral', help: null };
};

/** Why the system ended a request ('' when it does not say). */
export const decisionReasonText = (reason: string | null): string => (reason ? DECISION_REASONS[reason] ?? reason : '');

/** What a refusal of a decision means for good (null: it may be retried, or corrected in the form). */
export function finalRefusal(e: unknown): string | null {
  return e instanceof ApiError && (e.status === 403 || e.status === 404 || e.status === 409) ? APPROVAL_FINAL[e.code] ?? null : null;
}

/** "Admin", "Admin or Team lead", "Admin, Team lead or Member" ("nobody" for none). */
export function roleNames(roles: readonly string[]): string {
  const names = roles.map(roleLabel);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? 'nobody');
}

/** The action the agent asked for (context.action), as sent. */
export const approvalAction = (a: Pick<Approval, 'context'>): Record<string, unknown> => {
  const action = isPlainObject(a.context) ? a.context['action'] : undefined;
  return isPlainObject(action) ? action : {};
};

/** The action's type ("an action" when it names none). */
export const approvalActionType = (a: Pick<Approval, 'context'>): string => {
  const type = approvalAction(a)['type'];
  return typeof type === 'string' ? type : 'an action';
};

/** Time left as "8 s", "4 min 05 s" or "1 h 02 min". */
export function timeLeft(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

/** The request was made with this person's credentials (an API key's requests are never a person's own). */
export const requestedByMe = (a: Pick<Approval, 'requested_by'>, me: Me | null): boolean =>
  a.requested_by?.type === 'user' && !!me && a.requested_by.id === me.id;

/** ApprovalsDecide and the target rule (ApprovalRules.cs): a role the request names, and never whoever asked. */
export const mayDecide = (a: Pick<Approval, 'approval_required_from' | 'requested_by'>, me: Me | null, decides: boolean): boolean =>
  decides && !!me && a.approval_required_from.includes(me.role) && !requestedByMe(a, me);

/** Changes when the queue shown changes (which requests, and whether there are more than a page). */
export const queueSignature = (items: readonly Pick<Approval, 'id'>[], more: boolean): string => `${more}|${items.map((a) => a.id).join(',')}`;

const runHref = (id: string): string => hashHref(`/runs/${encodeURIComponent(id)}`);
const policyHref = (id: string): string => hashHref(`/policies/${encodeURIComponent(id)}`);

function approvalStatusBadge(a: Approval): HTMLElement {
  const s = approvalStatus(a.status);
  return badge(s.label, s.kind, s.help);
}

/** Who asked: a person (by name when known) or an API key. */
function requesterLabel(r: Approval['requested_by'] | null, names: ReadonlyMap<string, string>, me: Me | null): HTMLElement {
  if (!r) return h('span', { class: 'muted' }, '—');
  const mine = r.type === 'user' && r.id === me?.id;
  const name = mine ? 'You' : r.id ? names.get(r.id) : null;
  return h('span', { class: 'who-line' },
    h('span', { class: `actor-type actor-${r.type}` }, actorTypeLabel(r.type)),
    name ? h('span', { class: 'clip-name', title: name }, name) : r.id && h('code', { class: 'small muted id-clip', title: r.id }, r.id));
}

function deciderLabel(a: Approval, names: ReadonlyMap<string, string>, me: Me | null): HTMLElement {
  if (a.decided_by) {
    const name = a.decided_by === me?.id ? 'You' : names.get(a.decided_by);
    return name ? h('span', { class: 'clip-name', title: name }, name) : h('code', { class: 'small muted id-clip', title: a.decided_by }, a.decided_by);
  }
  if (a.status === 'pending') return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'who-line' }, h('span', { class: 'actor-type actor-system' }, 'System'),
    h('span', { class: 'muted small' }, decisionReasonText(a.decision_reason)));
}

/** The action and what the policy saw, pretty-printed, behind a disclosure (kept open across refreshes). */
function approvalContext(a: Approval, expanded: Set<string>): HTMLElement {
  const { action, context, ...rest } = isPlainObject(a.context) ? a.context : { action: a.context };
  const details = h('details', { class: 'disclosure approval-context', open: expanded.has(a.id) },
    h('summary', {}, 'Action and context'),
    h('div', { class: 'payloads' },
      h('div', { class: 'payload-block' }, h('h3', {}, 'Action'), payloadPre('Action', action ?? {})),
      h('div', { class: 'payload-block' }, h('h3', {}, 'Context'), context === undefined || context === null
        ? h('p', { class: 'snapshot-none muted small' }, 'None: the check sent no context.')
        : payloadPre('Context', context)),
      Object.keys(rest).length ? h('div', { class: 'payload-block' }, h('h3', {}, 'Agent and run, as the policy saw them'), payloadPre('Agent and run', rest)) : null));
  details.addEventListener('toggle', () => { if (details.open) expanded.add(a.id); else expanded.delete(a.id); });
  return details;
}

export function viewApprovals(main: HTMLElement, ctx: PageContext): void {
  let tab = tabOf(ctx.params);
  let pending: Approval[] | null = null; // the queue, oldest first, once read
  let pendingMore = false;
  let past: { status: Tab; items: Approval[]; truncated: boolean } | null = null; // the tab's decided requests, newest first
  let names = new Map<string, string>();
  let signature: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let historyToken = 0;
  const expanded = new Set<string>();
  const me = ctx.me();
  const decides = ctx.holds('approvals_decide');

  const panelId = nextId('approvals-panel');
  const pendingCount = h('span', { class: 'tab-count', hidden: true });
  const tabs = APPROVAL_TABS.map((t) => h('button', {
    type: 'button', role: 'tab', id: `${panelId}-${t.id}`, class: 'tab', 'aria-controls': panelId,
    'aria-selected': String(t.id === tab), tabIndex: t.id === tab ? 0 : -1, onclick: () => select(t.id, { focus: false }),
  }, t.label, t.id === 'pending' ? pendingCount : null));
  const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Approval requests by status' }, tabs);
  tablist.addEventListener('keydown', (event) => {
    const i = APPROVAL_TABS.findIndex((t) => t.id === tab);
    const next = ({ ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: APPROVAL_TABS.length - 1 } as Record<string, number>)[event.key];
    if (next === undefined) return;
    event.preventDefault();
    select(APPROVAL_TABS[(next + APPROVAL_TABS.length) % APPROVAL_TABS.length]!.id, { focus: true });
  });
  const refresh = h('button', { type: 'button', class: 'btn secondary', onclick: () => void load({ manual: true }) }, 'Refresh');
  const liveNote = h('span', { class: 'muted small live-note' });
  const countLine = h('p', { class: 'muted toolbar-count' });
  const announcer = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const panel = h('div', { id: panelId, role: 'tabpanel', class: 'approvals-panel', 'aria-labelledby': `${panelId}-${tab}` }, loadingPanel('Loading approval requests…'));
  main.append(
    pageHeader('Approvals', 'Actions that a policy holds until a person with the right role approves them. An agent waits for the answer; a request nobody decides in time expires, and the agent is told no.', refresh),
    tablist,
    h('div', { class: 'toolbar toolbar-meta approvals-meta' }, liveNote, countLine),
    announcer,
    panel);

  function select(id: Tab, { focus }: { focus: boolean }): void {
    if (id === tab) return;
    tab = id;
    for (const [i, t] of APPROVAL_TABS.entries()) {
      tabs[i]!.setAttribute('aria-selected', String(t.id === tab));
      tabs[i]!.tabIndex = t.id === tab ? 0 : -1;
    }
    if (focus) tabs[APPROVAL_TABS.findIndex((t) => t.id === tab)]?.focus();
    panel.setAttribute('aria-labelledby', `${panelId}-${tab}`);
    history.replaceState(null, '', tab === 'pending' ? '#/approvals' : `#/approvals?status=${tab}`);
    draw();
    if (tab !== 'pending') void loadHistory();
  }

  const readPending = () => call(ctx.transport, 'listPendingApprovals', { query: { limit: APPROVALS_PAGE_MAX } });

  /** The pending queue (and names for ids), then the decided requests shown, if any. `manual` says so when done. */
  async function load({ manual = false } = {}): Promise<void> {
    clearTimeout(timer);
    refresh.disabled = true;
    try {
      const [page] = await Promise.all([
        readPending(),
        names.size ? null : loadActorNames(ctx).then((n) => { names = n; }),
      ]);
      if (!ctx.alive()) return;
      takePending(page);
      if (tab !== 'pending') await loadHistory();
      if (manual) toast('Approval requests refreshed.', 'info');
    } catch (e) {
      if (!ctx.alive()) return;
      if (pending === null) setChildren(panel, errorPanel(e, () => void load(), ctx.onForbidden));
      else actionFailed('Could not refresh the approval requests', e);
    } finally {
      refresh.disabled = false;
      schedule();
    }
  }

  function takePending(page: Schemas['PageOfApprovalView']): void {
    const known = new Set((pending ?? []).map((a) => a.id));
    const added = pending === null ? [] : page.items.filter((a) => !known.has(a.id));
    pending = page.items;
    pendingMore = !!page.next_cursor;
    // The whole queue is on this page unless it holds more than a page: then the shell asks the server's count.
    ctx.pendingApprovals(pendingMore ? null : pending.length);
    liveNote.textContent = `Updated ${timeOfDay(new Date())}`;
    const sig = queueSignature(pending, pendingMore);
    if (added.length) announcer.textContent = `${plural(added.length, 'new request')} waiting.`;
    if (sig === signature) return;
    signature = sig;
    pendingCount.hidden = !pending.length;
    pendingCount.textContent = fmtCount(pending.length, pendingMore);
    if (tab === 'pending') withFocusKept(panel, draw);
  }

  /** Every request with the tab's status, newest first (the API lists oldest first, so all pages are read). */
  async function loadHistory(): Promise<void> {
    const status = tab;
    const token = ++historyToken;
    if (past?.status !== status) setChildren(panel, loadingPanel('Loading approval requests…'));
    else panel.setAttribute('aria-busy', 'true');
    try {
      const items: Approval[] = [];
      let cursor: string | null = null;
      do {
        const page: Schemas['PageOfApprovalView'] = await call(ctx.transport, 'listApprovals', { query: { status, limit: APPROVALS_PAGE_MAX, cursor: cursor ?? undefined } });
        items.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor && items.length < APPROVAL_HISTORY_MAX);
      if (!ctx.alive() || token !== historyToken || tab !== status) return;
      past = { status, items: items.reverse(), truncated: !!cursor };
      panel.removeAttribute('aria-busy');
      withFocusKept(panel, draw);
    } catch (e) {
      if (!ctx.alive() || token !== historyToken || tab !== status) return;
      panel.removeAttribute('aria-busy');
      setChildren(panel, errorPanel(e, () => void loadHistory(), ctx.onForbidden));
    }
  }

  function schedule(): void {
    clearTimeout(timer);
    if (ctx.alive()) timer = setTimeout(() => void tick(), APPROVAL_REFRESH_MS);
  }

  let hintPending = false;
  ctx.live(['approvals'], () => void tick({ hinted: true }));

  /**
   * Re-reads the queue while the page is shown (on live hints; polling while the live stream is down); a hidden tab or
   * an open dialog waits for the next round, keeping a hint that came meanwhile.
   */
  async function tick({ hinted = false } = {}): Promise<void> {
    if (!ctx.alive()) return;
    hintPending ||= hinted;
    if (document.visibilityState !== 'visible' || document.querySelector('dialog[open]') || (ctx.isLive() && !hintPending)) { schedule(); return; }
    hintPending = false;
    try {
      const page = await readPending();
      if (!ctx.alive()) return;
      takePending(page);
    } catch (e) {
      if (e instanceof SessionEnded || !ctx.alive()) return;
      liveNote.textContent = `Auto-refresh failed: ${e instanceof ApiError ? e.detail : 'unexpected error.'} Retrying.`;
    }
    schedule();
  }

  // The countdowns, every second; a request whose time is up is greyed and loses its buttons at once.
  const ticker = setInterval(() => {
    if (!ctx.alive()) { clearInterval(ticker); return; }
    let expired = 0;
    for (const card of panel.querySelectorAll<HTMLElement>('.approval-card[data-expires]')) {
      const left = new Date(card.dataset['expires'] ?? '').getTime() - Date.now();
      const clock = card.querySelector('.countdown');
      if (!clock) continue;
      if (left > 0) { clock.textContent = timeLeft(left); continue; }
      if (card.classList.contains('expired')) continue;
      expired += 1;
      card.classList.add('expired');
      clock.textContent = 'Expired';
      const label = card.querySelector('.expiry-label');
      if (label) label.textContent = 'Expired';
      const actions = card.querySelector('.approval-actions');
      if (actions) setChildren(actions, h('p', { class: 'muted' }, EXPIRED_TEXT));
    }
    if (expired) announcer.textContent = `${plural(expired, 'request')} expired.`;
  }, 1000);

  function draw(): void {
    if (tab === 'pending') {
      if (pending === null) return;
      countLine.textContent = pending.length ? `${fmtCount(pending.length, pendingMore)} waiting, oldest first` : '';
      if (!pending.length) {
        setChildren(panel, h('div', { class: 'card' }, emptyState('Nothing waits for a decision',
          'When a policy requires approval for an action, the request appears here within seconds, and its agent waits for the answer.',
          h('a', { href: '#/approvals?status=approved', class: 'btn secondary', onclick: (e: Event) => { e.preventDefault(); select('approved', { focus: true }); } }, 'See decided requests'))));
        return;
      }
      setChildren(panel,
        h('ul', { class: 'approval-list', 'aria-label': 'Pending requests, oldest first' }, pending.map((a) => h('li', {}, pendingCard(a)))),
        pendingMore ? h('p', { class: 'muted pad' }, `Showing the oldest ${APPROVALS_PAGE_MAX} requests: decide some to see the rest.`) : null);
      return;
    }
    if (past?.status !== tab) return;
    const label = (APPROVAL_TABS.find((t) => t.id === tab)?.label ?? tab).toLowerCase();
    countLine.textContent = past.items.length ? `${plural(past.items.length, 'request')} ${label}, newest first` : '';
    if (!past.items.length) {
      setChildren(panel, h('div', { class: 'card' }, emptyState(`No ${label} requests`, tab === 'expired'
        ? 'Requests nobody decides before their policy’s timeout expire, and their agent is told no.'
        : 'Decided requests stay here with who decided, when and why.')));
      return;
    }
    setChildren(panel, h('div', { class: 'card flush' }, historyTable(past.items, label)),
      past.truncated ? h('p', { class: 'muted pad' }, `Showing ${fmtInt(past.items.length)} requests.`) : null);
  }

  function pendingCard(a: Approval): HTMLElement {
    const titleId = nextId('approval');
    const left = new Date(a.expires_at).getTime() - Date.now();
    const { type: _type, ...params } = approvalAction(a);
    const agentName = a.agent_name ?? a.agent_id;
    let actions: HTMLElement;
    if (left <= 0) actions = h('p', { class: 'muted' }, EXPIRED_TEXT);
    else if (mayDecide(a, me, decides)) {
      actions = h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'btn primary', dataset: { focus: `approve:${a.id}` }, 'aria-describedby': titleId, onclick: () => openDecision(a, true) }, 'Approve…'),
        h('button', { type: 'button', class: 'btn danger', dataset: { focus: `reject:${a.id}` }, 'aria-describedby': titleId, onclick: () => openDecision(a, false) }, 'Reject…'));
    } else if (requestedByMe(a, me)) {
      actions = h('p', { class: 'muted' }, `You asked for this action, so someone else must decide it: ${roleNames(a.approval_required_from)}.`);
    } else {
      actions = h('p', { class: 'muted' }, `Only ${roleNames(a.approval_required_from)} may decide this request.`);
    }
    return h('article', { class: `card approval-card${left <= 0 ? ' expired' : ''}`, dataset: { expires: a.expires_at }, 'aria-labelledby': titleId },
      h('div', { class: 'approval-head' },
        h('div', { class: 'approval-title' },
          h('h2', { id: titleId }, h('code', { class: 'approval-type' }, approvalActionType(a)), h('span', { class: 'approval-by' }, ` by ${agentName}`)),
          Object.keys(params).length ? h('p', { class: 'approval-snippet mono small', title: JSON.stringify(params) }, snippet(JSON.stringify(params), 160)) : null),
        h('div', { class: 'approval-expiry', title: `Expires ${exactTime(a.expires_at)}` },
          h('span', { class: 'expiry-label small muted' }, left > 0 ? 'Expires in' : 'Expired'),
          h('span', { class: 'countdown' }, left > 0 ? timeLeft(left) : 'Expired'),
          h('span', { class: 'small muted' }, timeEl(a.expires_at, { withTime: true })))),
      h('dl', { class: 'details approval-facts' },
        h('dt', {}, 'Agent'), h('dd', {}, h('a', { href: runsHref({ agent: a.agent_id }), title: `Runs of ${agentName}` }, agentName)),
        h('dt', {}, 'Run'), h('dd', {}, h('a', { href: runHref(a.run_id), class: 'mono run-id', title: a.run_id, dataset: { focus: `run:${a.id}` } }, a.run_id)),
        // A check that named its step asks once per run and step (a retried check returns this request).
        a.step ? h('dt', {}, 'Step') : null, a.step ? h('dd', { class: 'mono' }, a.step) : null,
        h('dt', {}, 'Policy'), h('dd', {}, h('a', { class: 'strong', href: policyHref(a.policy.id) }, a.policy.name), h('span', { class: 'muted' }, ` · version ${a.policy.version}`)),
        h('dt', {}, 'Requested by'), h('dd', {}, requesterLabel(a.requested_by, names, me), h('span', { class: 'muted small' }, ' · ', timeEl(a.created_at, { rel: true }))),
        h('dt', {}, 'May decide'), h('dd', {}, h('span', { class: 'chips' }, a.approval_required_from.map((r) => roleBadge(r))))),
      approvalContext(a, expanded),
      h('div', { class: 'approval-actions' }, actions));
  }

  function historyTable(items: readonly Approval[], label: string): HTMLElement {
    return h('div', { class: 'table-wrap' }, h('table', { class: 'table dense approval-table' },
      h('caption', { class: 'sr-only' }, `Approval requests ${label}, newest first`),
      h('thead', {}, h('tr', {}, ['Requested', 'Action', 'Run', 'Policy', 'Status', 'Decided', 'Comment'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, items.map((a) => h('tr', { class: a.status === 'expired' ? 'inactive' : null },
        cell('Requested', timeEl(a.created_at, { withTime: true }), h('span', { class: 'small block' }, requesterLabel(a.requested_by, names, me))),
        cell('Action', h('code', {}, approvalActionType(a)), h('span', { class: 'muted small block' }, `by ${a.agent_name ?? a.agent_id}`)),
        cell('Run', h('a', { href: runHref(a.run_id), class: 'mono run-id', title: a.run_id }, a.run_id)),
        cell('Policy', h('a', { href: policyHref(a.policy.id) }, a.policy.name), h('span', { class: 'muted small block' }, `version ${a.policy.version}`)),
        cell('Status', approvalStatusBadge(a)),
        cell('Decided', timeEl(a.decided_at, { withTime: true }), h('span', { class: 'small block' }, deciderLabel(a, names, me))),
        cell('Comment', a.comment ? h('span', { class: 'small clamp', title: a.comment }, a.comment) : h('span', { class: 'muted' }, '—')))))));
  }

  function openDecision(a: Approval, approve: boolean): void {
    const comment = h('textarea', { rows: 3, maxlength: 2000, required: !approve });
    const submit = h('button', { type: 'submit', class: `btn ${approve ? 'primary' : 'danger'}` }, approve ? 'Approve' : 'Reject');
    const agentName = a.agent_name ?? a.agent_id;
    const type = approvalActionType(a);
    const form = h('form', { class: 'stack' },
      h('p', {}, approve
        ? `${agentName} goes ahead with ${type} as soon as you approve.`
        : `${agentName} is told no, with your comment as the reason.`),
      h('dl', { class: 'details compact' },
        h('dt', {}, 'Action'), h('dd', {}, h('code', {}, type)),
        h('dt', {}, 'Run'), h('dd', {}, h('code', {}, a.run_id)),
        h('dt', {}, 'Policy'), h('dd', {}, `${a.policy.name} (version ${a.policy.version})`),
        h('dt', {}, 'Expires'), h('dd', {}, timeEl(a.expires_at, { withTime: true }), h('span', { class: 'muted' }, ` (${relative(a.expires_at)})`))),
      h('div', { class: 'problem-slot' }),
      field({
        label: 'Comment', name: 'comment', optional: approve, control: comment,
        hint: approve ? 'Kept with the decision, on the run and in the audit log. Up to 2,000 characters.' : 'Required: it is the reason the agent is told. Up to 2,000 characters.',
      }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        submit));
    const dialog = openDialog({ title: approve ? 'Approve this action?' : 'Reject this action?', content: form, initialFocus: comment });
    dialog.returnFocus = () => focusTarget(panel, `${approve ? 'approve' : 'reject'}:${a.id}`);
    handleSubmit(form, async (data) => {
      const note = formText(data, 'comment');
      if (!approve && !note) {
        throw new ApiError({ status: 422, code: 'validation_failed', title: 'Validation failed', detail: 'Give a reason.', errors: { '$.comment': ['is required: it is the reason the agent is told.'] } });
      }
      const args = { path: { id: a.id }, body: note ? { comment: note } : {} };
      const decided = await (approve ? call(ctx.transport, 'approveApproval', args) : call(ctx.transport, 'rejectApproval', args));
      dialog.close(true);
      toast(decided.status === 'approved' ? `Approved: ${agentName} may go ahead with ${type}.` : `Rejected: ${agentName} is told no.`);
      ctx.refreshNotifications();
      if (ctx.alive()) {
        pending = (pending ?? []).filter((p) => p.id !== a.id);
        signature = null;
        past = null;
        void load();
      }
    }, {
      onError: (e) => {
        const final = finalRefusal(e);
        if (!final) return;
        // Nothing to retry: say what happened first, and leave only Cancel.
        form.querySelector('.problem')?.prepend(h('p', { class: 'strong' }, final));
        submit.disabled = true;
        submit.hidden = true;
        if (ctx.alive()) { signature = null; void load(); }
      },
    });
  }

  void load();
}
