// Notifications: the in-app channel, read state per person (NotificationsApi.cs, docs/notifications.md). Filtered by
// read state, kind and severity (?unread=true|false&kind=&severity=); a click on an unread notification marks it read.
import { call, type Schemas } from '../api/client';
import { selectControl, toolbarField } from '../components/forms';
import { pagedList } from '../components/pagedList';
import { badge, emptyState, loadingPanel, pageHeader } from '../components/panels';
import { timeEl } from '../components/time';
import { actionFailed, toast } from '../components/toast';
import { h, setChildren, withFocusKept } from '../lib/dom';
import { fmtInt, plural } from '../lib/format';
import type { PageContext } from './context';

type Notice = Schemas['NotificationView'];

// The kinds features publish (webhook.test is reserved for test deliveries and stores no notification).
export const NOTICE_KINDS: readonly { value: string; label: string; help: string }[] = [
  { value: 'approval.requested', label: 'Approval requested', help: 'An agent’s action waits for a person to approve it.' },
  { value: 'budget.threshold', label: 'Budget threshold reached', help: 'A budget reached one of its alert thresholds.' },
  { value: 'budget.auto_paused', label: 'Budget paused agents', help: 'A budget paused its agents, or pulled the kill switch.' },
];
const SEVERITIES: Record<string, { label: string; glyph: string; kind: string }> = {
  info: { label: 'Info', glyph: 'i', kind: 'accent' },
  warning: { label: 'Warning', glyph: '!', kind: 'warning' },
  critical: { label: 'Critical', glyph: '!!', kind: 'danger' },
};
const NOTICE_TARGETS: Record<string, { href: string; label: string; permission?: string }> = {
  budget: { href: '#/budgets', label: 'Open budgets' },
  approval: { href: '#/approvals', label: 'Open approvals' },
  agent: { href: '#/agents', label: 'Open agents' },
  webhook: { href: '#/webhooks', label: 'Open webhooks', permission: 'webhooks_manage' },
};
const NOTICE_FILTERS = ['unread', 'kind', 'severity'] as const;
const NOTICE_PAGE_SIZE = 50;

export type NoticeFilters = Record<(typeof NOTICE_FILTERS)[number], string>;

/** A kind's label ("Approval requested"), or the kind itself when unknown. */
export const noticeKindLabel = (k: string): string => NOTICE_KINDS.find((x) => x.value === k)?.label ?? k;

/** The filters a URL names. */
export const noticeFiltersOf = (params: URLSearchParams): NoticeFilters =>
  ({ unread: params.get('unread') ?? '', kind: params.get('kind') ?? '', severity: params.get('severity') ?? '' });

/** The filters as URL parameters (empty ones left out), in the page's order. */
export function noticeParams(state: NoticeFilters): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of NOTICE_FILTERS) if (state[k]) q.set(k, state[k]);
  return q;
}

/** The page's hash for the filters. */
export function noticesHash(state: NoticeFilters): string {
  const qs = noticeParams(state).toString();
  return `#/notifications${qs ? `?${qs}` : ''}`;
}

/** The filters as listNotifications takes them (unread: true/false; anything else is left out). */
export function noticeQuery(state: NoticeFilters): { unread?: boolean; kind?: string; severity?: string } {
  return {
    ...(state.unread === 'true' ? { unread: true } : state.unread === 'false' ? { unread: false } : {}),
    ...(state.kind ? { kind: state.kind } : {}),
    ...(state.severity ? { severity: state.severity } : {}),
  };
}

/** A severity as shown: label, glyph and badge colour. */
export const severityOf = (severity: string): { label: string; glyph: string; kind: string } =>
  SEVERITIES[severity] ?? { label: severity, glyph: '?', kind: 'neutral' };

/** Where a notification's "Open …" link leads (null: nowhere, or a page the caller may not open). */
export function noticeTarget(entityType: string | null, holds: (permission: string) => boolean): { href: string; label: string } | null {
  const target = entityType ? NOTICE_TARGETS[entityType] : undefined;
  if (!target || (target.permission && !holds(target.permission))) return null;
  return { href: target.href, label: target.label };
}

/** "3 notifications shown · 2 unread, more below" ('' for none). */
export function noticeCountText(items: readonly Pick<Notice, 'read'>[], more: boolean): string {
  if (!items.length) return '';
  const unread = items.filter((n) => n.read === false).length;
  return `${plural(items.length, 'notification')} shown${unread ? ` · ${fmtInt(unread)} unread` : ''}${more ? ', more below' : ''}`;
}

export function viewNotifications(main: HTMLElement, ctx: PageContext): void {
  const state = noticeFiltersOf(ctx.params);
  let items: Notice[] = [];

  const show = selectControl([
    { value: '', label: 'All' }, { value: 'true', label: 'Unread only' }, { value: 'false', label: 'Read only' },
  ], state.unread);
  const kindOptions = [{ value: '', label: 'Any kind' }, ...NOTICE_KINDS.map((k) => ({ value: k.value, label: k.label }))];
  if (state.kind && !kindOptions.some((o) => o.value === state.kind)) kindOptions.push({ value: state.kind, label: state.kind });
  const kind = selectControl(kindOptions, state.kind);
  const severity = selectControl([{ value: '', label: 'Any severity' },
    ...Object.entries(SEVERITIES).map(([value, s]) => ({ value, label: s.label }))], state.severity);
  const clear = h('button', { type: 'button', class: 'btn ghost small', onclick: () => clearFilters() }, 'Clear filters');
  const countLine = h('p', { class: 'muted toolbar-count', 'aria-live': 'polite' });
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter notifications' },
    h('div', { class: 'problem-slot' }),
    h('div', { class: 'toolbar' },
      toolbarField('Show', show, { path: 'unread' }),
      toolbarField('Kind', kind, { path: 'kind' }),
      toolbarField('Severity', severity, { path: 'severity' }),
      clear,
      countLine));
  const markAll = h('button', { type: 'button', class: 'btn secondary', onclick: () => void markAllRead() }, 'Mark all read');
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading notifications…'));
  const more = h('div', { class: 'load-more' });
  const pager = pagedList<Notice>({
    ctx, list, more, filters, loadingText: 'Loading notifications…', rejectedText: 'The notifications could not be listed with these filters.',
    fetchPage: (cursor) => call(ctx.transport, 'listNotifications', { query: { ...noticeQuery(state), limit: NOTICE_PAGE_SIZE, ...(cursor ? { cursor } : {}) } }),
    shown: () => items, idOf: (n) => n.id,
    onPage: (rows) => { items = rows; withFocusKept(list, draw); },
    onRejected: () => { items = []; countLine.textContent = ''; },
  });
  const load = (): void => void pager.load();
  main.append(
    pageHeader('Notifications', 'What the organization’s features have to tell you: approvals waiting, budgets reaching their thresholds. Read marks are yours alone.', markAll),
    filters, list, more);

  filters.addEventListener('submit', (event) => { event.preventDefault(); apply(); });
  for (const select of [show, kind, severity]) select.addEventListener('change', () => apply());

  const filtered = (): boolean => NOTICE_FILTERS.some((k) => state[k]);

  function apply(): void {
    Object.assign(state, { unread: show.value, kind: kind.value, severity: severity.value });
    history.replaceState(null, '', noticesHash(state));
    load();
  }

  function clearFilters(): void {
    for (const select of [show, kind, severity]) select.value = '';
    apply();
  }

  function draw(): void {
    clear.hidden = !filtered();
    countLine.textContent = noticeCountText(items, !!pager.cursor);
    pager.drawMore();
    if (!items.length) {
      setChildren(list, filtered()
        ? emptyState('No notification matches these filters.', null, h('button', { type: 'button', class: 'btn secondary', onclick: () => clearFilters() }, 'Clear filters'))
        : emptyState('No notifications yet', 'Approvals waiting for a decision and budgets reaching their thresholds are announced here.'));
      return;
    }
    setChildren(list, h('ul', { class: 'notice-list', 'aria-label': 'Notifications, newest first' }, items.map(noticeItem)));
  }

  function noticeItem(n: Notice): HTMLLIElement {
    const sev = severityOf(n.severity);
    const target = noticeTarget(n.entity_type, ctx.holds);
    const unread = n.read === false;
    const link = target
      ? h('a', { href: target.href, dataset: { focus: `open:${n.id}` }, onclick: () => { if (n.read === false) void markRead(n); } }, target.label)
      : null;
    return h('li', {
      class: `notice ${n.severity}${unread ? ' unread' : ''}`,
      // A click anywhere on an unread notification marks it read; "Mark read" is the keyboard's way.
      onclick: (event: MouseEvent) => {
        if (n.read === false && !(event.target instanceof Element && event.target.closest('a, button'))) void markRead(n);
      },
    },
    h('span', { class: `sev-icon ${n.severity}`, 'aria-hidden': 'true' }, sev.glyph),
    h('div', { class: 'notice-main' },
      h('div', { class: 'notice-head' },
        badge(sev.label, sev.kind),
        h('h2', { class: 'notice-title' }, unread ? h('span', { class: 'sr-only' }, 'Unread: ') : null, n.title)),
      n.body && h('p', { class: 'notice-text' }, n.body),
      h('p', { class: 'notice-meta muted small' },
        timeEl(n.created_at, { rel: true }), ' · ', h('code', {}, n.kind), link ? [' · ', link] : null)),
    h('div', { class: 'notice-actions' }, unread
      ? h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Mark read: ${n.title}`, dataset: { focus: `read:${n.id}` }, onclick: () => void markRead(n) }, 'Mark read')
      : h('span', { class: 'muted small', tabindex: '-1', dataset: { focus: `read:${n.id}` } }, n.read ? 'Read' : '')));
  }

  async function markRead(n: Notice): Promise<void> {
    n.read = true; // at once: the request is idempotent (focus stays on the item: its button becomes "Read")
    withFocusKept(list, draw);
    try {
      await call(ctx.transport, 'markNotificationRead', { path: { id: n.id } });
    } catch (e) {
      n.read = false;
      if (ctx.alive()) withFocusKept(list, draw);
      actionFailed('Could not mark the notification read', e);
    }
    ctx.refreshNotifications();
  }

  async function markAllRead(): Promise<void> {
    markAll.disabled = true;
    try {
      const { marked } = await call(ctx.transport, 'markAllNotificationsRead');
      toast(marked ? `${plural(marked, 'notification')} marked read.` : 'Everything was already read.');
      if (ctx.alive()) {
        ctx.refreshNotifications(0);
        load();
      }
    } catch (e) {
      actionFailed('Could not mark the notifications read', e);
    } finally {
      markAll.disabled = false;
    }
    ctx.refreshNotifications();
  }

  load();
}
