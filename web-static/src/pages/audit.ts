// Audit log: every change in the organization, hash-chained (AuditApi.cs). Filters live in the URL (?actor=&action=
// &entity_type=&entity_id=&from=&to=); a row opens to its state before and after, with the changed keys marked; the
// chain is verified on demand, and a broken chain leads to its row. Only audit_read may read it.
import { call, operationUrl, type Schemas } from '../api/client';
import { ApiError, SessionEnded } from '../api/errors';
import { OPERATIONS } from '../api/operations';
import { actorLabel, actorTypeLabel, loadActorNames } from '../components/actors';
import { copyField } from '../components/copyField';
import { showProblem, toolbarField } from '../components/forms';
import { pagedList } from '../components/pagedList';
import { emptyState, loadingPanel, pageHeader } from '../components/panels';
import { cell } from '../components/table';
import { exactTime, timeOfDay } from '../components/time';
import { actionFailed, toast } from '../components/toast';
import { append, h, nextId, saveBlob, setChildren, withFocusKept } from '../lib/dom';
import { fmtInt, plural } from '../lib/format';
import { hashHref } from '../lib/href';
import { isPlainObject, textProp } from '../lib/json';
import { fromLocalInput, toLocalInput } from '../lib/timeWindow';
import type { PageContext } from './context';

type AuditRow = Schemas['AuditView'];
type Verdict = Schemas['Verdict'];

/** The filters, in the order the URL names them. */
export const AUDIT_FILTERS = ['actor', 'action', 'entity_type', 'entity_id', 'from', 'to'] as const;
export type AuditFilters = Record<(typeof AUDIT_FILTERS)[number], string>;

const AUDIT_PAGE_SIZE = 100;
const AUDIT_CSV_MAX = 100_000; // AuditApi.MaxCsvRows
const AUDIT_ACTIONS = [
  'agent.*', 'agent.created', 'agent.registered', 'agent.updated', 'agent.paused', 'agent.resumed', 'agent.archived',
  'api_key.*', 'api_key.created', 'api_key.revoked',
  'auth.*', 'auth.login', 'auth.logout', 'auth.token_refreshed', 'auth.refresh_token_reused',
  'budget.*', 'budget.created', 'budget.updated', 'budget.deleted', 'budget.threshold_reached',
  'control.*', 'control.agent_paused', 'control.agent_resumed', 'control.kill_switch', 'control.resume_all',
  'member.*', 'member.invited', 'member.joined', 'member.updated', 'member.removed',
  'model_price.*', 'model_price.created', 'model_price.deleted',
  'org.*', 'org.created', 'org.updated',
];
const AUDIT_ENTITY_TYPES = ['agent', 'api_key', 'budget', 'member', 'model_price', 'organization', 'session'];

/** The filters a URL names ('' for those it does not). */
export const auditFilters = (params: URLSearchParams): AuditFilters =>
  Object.fromEntries(AUDIT_FILTERS.map((k) => [k, params.get(k) ?? ''])) as AuditFilters;

/** The filters set, in URL order (a query for the API, or the page's own URL). */
export const filterQuery = (f: AuditFilters): Partial<AuditFilters> =>
  Object.fromEntries(AUDIT_FILTERS.filter((k) => f[k]).map((k) => [k, f[k]]));

/** The page's URL for the filters. */
export const auditHref = (f: AuditFilters): string => hashHref('/audit', f);

/** A datetime-local value for an ISO time in the URL ('' for one that is not a time). */
export function isoToLocalInput(iso: string): string {
  const d = new Date(iso);
  return iso && !Number.isNaN(d.getTime()) ? toLocalInput(d) : '';
}

/** Top-level keys whose values differ; none when a side is missing (a creation or a removal shows one side only). */
export function changedKeys(before: unknown, after: unknown): Set<string> {
  if (!isPlainObject(before) || !isPlainObject(after)) return new Set();
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return new Set([...keys].filter((k) => !(k in before) || !(k in after) || JSON.stringify(before[k]) !== JSON.stringify(after[k])));
}

/** What a row did to its entity, in a sentence. */
export function diffSummary(before: unknown, after: unknown, changed: ReadonlySet<string>): string {
  if (before == null && after == null) return 'No snapshot: the action changes no stored state.';
  if (before == null) return 'Created: there is no state before.';
  if (after == null) return 'Removed: there is no state after.';
  return changed.size ? `Changed: ${[...changed].join(', ')}.` : 'No top-level value changed.';
}

/** A snapshot's lines, one per top-level key (the changed ones marked); null for a value that is not an object. */
export function snapshotLines(value: unknown, changed: ReadonlySet<string>): { text: string; changed: string | null }[] | null {
  if (!isPlainObject(value)) return null;
  const keys = Object.keys(value);
  return [
    { text: '{', changed: null },
    ...keys.map((k, i) => ({
      text: `  ${JSON.stringify(k)}: ${JSON.stringify(value[k], null, 2).replace(/\n/g, '\n  ')}${i < keys.length - 1 ? ',' : ''}`,
      changed: changed.has(k) ? k : null,
    })),
    { text: '}', changed: null },
  ];
}

/** The entity's name as its snapshot says (name, else email). */
export function entityName(r: Pick<AuditRow, 'before' | 'after'>): string | null {
  const subject = r.after ?? r.before;
  return textProp(subject, 'name') || textProp(subject, 'email') || null;
}

/** What the verification found, and when (`at`: the time of day it was checked). */
export function verdictText(v: Verdict, at: string): { title: string; text: string } {
  if (v.intact) {
    return v.rows
      ? { title: 'Chain intact', text: `All ${plural(v.rows, 'row')} verified at ${at}: each row’s hash matches its content and links to the row before it, with no gap.` }
      : { title: 'Nothing to verify yet', text: `The organization has no audit rows yet (checked at ${at}).` };
  }
  const n = v.broken_at ?? 0;
  return {
    title: `Chain broken at row ${fmtInt(n)}`,
    text: n > 1 ? `Rows 1 to ${fmtInt(n - 1)} link up correctly; verification stopped at row ${fmtInt(n)} (checked at ${at}).` : `Verification stopped at the first row (checked at ${at}).`,
  };
}

/** The CSV's name when the server suggests none: audit-20250602-120000.csv. */
export const csvName = (now: Date): string => `audit-${now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}.csv`;

const auditTimeFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' });
const auditTimeYearFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** "Nov 22, 2:43:31 AM" (with the year when it is not this one): the audit table is wide. */
export function auditTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  return (date.getFullYear() === now.getFullYear() ? auditTimeFormat : auditTimeYearFormat).format(date);
}

/** A snapshot pretty-printed, one line per top-level key so that changed keys can be marked. */
function snapshotBlock(label: string, value: unknown, changed: ReadonlySet<string>): HTMLElement {
  if (value === null || value === undefined) {
    return h('div', { class: 'payload-block' }, h('h3', {}, label),
      h('p', { class: 'snapshot-none muted small' }, label === 'Before' ? 'None: the entity did not exist yet, or the action has no state.' : 'None: the entity is gone, or the action has no state.'));
  }
  const pre = h('pre', { class: 'payload snapshot', tabindex: '0', role: 'region', 'aria-label': `${label} snapshot` });
  const lines = snapshotLines(value, changed);
  if (lines) append(pre, lines.map((l) => h('span', { class: `json-line${l.changed ? ' changed' : ''}`, title: l.changed ? `${l.changed} changed` : null }, l.text)));
  else pre.textContent = JSON.stringify(value, null, 2);
  return h('div', { class: 'payload-block' }, h('h3', {}, label), pre);
}

export function viewAudit(main: HTMLElement, ctx: PageContext): void {
  if (!ctx.holds('audit_read')) {
    main.append(pageHeader('Audit log', null), h('div', { class: 'card' },
      emptyState('Only admins can read the audit log.', 'It records every change made in the organization. Ask an admin for an extract.')));
    return;
  }
  const state = auditFilters(ctx.params);
  let rows: AuditRow[] = [];
  let startBelow: string | null = null; // "show row N": list from row N down (cursor N + 1) rather than from the newest
  let focusRow: number | null = null;
  let names = new Map<string, string>();
  const expanded = new Set<string>();

  const input = (props: Record<string, unknown>) => h('input', { type: 'search', autocomplete: 'off', spellcheck: 'false', ...props });
  const actorListId = nextId('actors');
  const actorList = h('datalist', { id: actorListId });
  const actor = input({ value: state.actor, list: actorListId, placeholder: 'User or key id', class: 'mono' });
  const actionListId = nextId('actions');
  const action = input({ value: state.action, list: actionListId, placeholder: 'member.*' });
  const entityTypeListId = nextId('entity-types');
  const entityType = input({ value: state.entity_type, list: entityTypeListId, placeholder: 'agent' });
  const entityId = input({ value: state.entity_id, class: 'mono' });
  const from = h('input', { type: 'datetime-local', value: isoToLocalInput(state.from) });
  const to = h('input', { type: 'datetime-local', value: isoToLocalInput(state.to) });
  const clear = h('button', { type: 'button', class: 'btn ghost small', onclick: () => clearFilters() }, 'Clear filters');
  const countLine = h('p', { class: 'muted toolbar-count', 'aria-live': 'polite' });
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    h('div', { class: 'problem-slot' }),
    h('div', { class: 'toolbar' },
      toolbarField('Actor id', actor, { path: 'actor', grow: true }), actorList,
      toolbarField('Action', action, { path: 'action', hint: 'Exact, or a prefix ending in * (member.*)' }),
      h('datalist', { id: actionListId }, AUDIT_ACTIONS.map((a) => h('option', { value: a }))),
      toolbarField('Entity type', entityType, { path: 'entity_type' }),
      h('datalist', { id: entityTypeListId }, AUDIT_ENTITY_TYPES.map((t) => h('option', { value: t }))),
      toolbarField('Entity id', entityId, { path: 'entity_id', grow: true }),
      toolbarField('From', from, { path: 'from' }),
      toolbarField('Before', to, { path: 'to' })),
    h('div', { class: 'toolbar toolbar-meta' }, clear, countLine));
  const csv = h('button', { type: 'button', class: 'btn secondary', onclick: () => void downloadCsv() }, 'Download CSV');
  const verifyButton = h('button', { type: 'button', class: 'btn secondary', onclick: () => void verify() }, 'Verify chain');
  const verdict = h('div', { class: 'verdict-slot' });
  const startNote = h('div', {});
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading the audit log…'));
  const more = h('div', { class: 'load-more' });
  const pager = pagedList<AuditRow>({
    ctx, list, more, filters, loadingText: 'Loading the audit log…', rejectedText: 'The audit log could not be read with these filters.',
    fetchPage: (cursor) => call(ctx.transport, 'listAuditLog', { query: { ...filterQuery(state), limit: AUDIT_PAGE_SIZE, cursor: cursor ?? startBelow ?? undefined } }),
    shown: () => rows, idOf: (r) => r.id,
    onPage: (page) => { rows = page; draw(); },
    onRejected: () => { rows = []; countLine.textContent = ''; },
  });
  const load = () => void pager.load();
  main.append(
    pageHeader('Audit log', 'Every change in the organization: who, what, from where, and the state before and after. Rows are hash-chained, so a changed or missing row shows up when the chain is verified.',
      h('div', { class: 'page-actions-inner' }, verifyButton, csv)),
    verdict, filters, startNote, list, more);

  filters.addEventListener('submit', (event) => { event.preventDefault(); apply(); });
  for (const el of [from, to]) el.addEventListener('change', () => apply());
  let typing: ReturnType<typeof setTimeout> | undefined;
  for (const el of [actor, action, entityType, entityId]) el.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(apply, 400); });

  const filtered = () => AUDIT_FILTERS.some((k) => state[k]);

  function readControls(): void {
    Object.assign(state, {
      actor: actor.value.trim(), action: action.value.trim(), entity_type: entityType.value.trim(), entity_id: entityId.value.trim(),
      from: fromLocalInput(from.value)?.toISOString() ?? '', to: fromLocalInput(to.value)?.toISOString() ?? '',
    });
  }

  function apply(): void {
    readControls();
    startBelow = null;
    history.replaceState(null, '', auditHref(state));
    load();
  }

  function setValues(values: Partial<AuditFilters>): void {
    actor.value = values.actor ?? '';
    action.value = values.action ?? '';
    entityType.value = values.entity_type ?? '';
    entityId.value = values.entity_id ?? '';
    from.value = '';
    to.value = '';
    apply();
    document.getElementById('page-title')?.scrollIntoView({ block: 'start' });
  }

  function clearFilters(): void { setValues({}); }

  async function loadNames(): Promise<void> {
    names = await loadActorNames(ctx);
    if (!ctx.alive()) return;
    setChildren(actorList, [...names].sort((a, b) => a[1].localeCompare(b[1])).map(([id, label]) => h('option', { value: id }, label)));
    if (rows.length) withFocusKept(list, draw);
  }

  function draw(): void {
    clear.hidden = !filtered();
    countLine.textContent = rows.length ? `${plural(rows.length, 'entry', 'entries')} shown${pager.cursor ? ', more below' : ''}` : '';
    setChildren(startNote, startBelow ? h('div', { class: 'alert info start-note' },
      h('p', {}, `Showing row ${fmtInt(Number(startBelow) - 1)} and older. `,
        h('button', { type: 'button', class: 'btn ghost small', onclick: () => { startBelow = null; load(); } }, 'Back to the newest'))) : null);
    pager.drawMore();
    if (!rows.length) {
      setChildren(list, filtered()
        ? emptyState('No entry matches these filters.', null, h('button', { type: 'button', class: 'btn secondary', onclick: () => clearFilters() }, 'Clear filters'))
        : emptyState('No entries yet', 'Changes to the organization, its members, keys and agents appear here.'));
      return;
    }
    const table = h('table', { class: 'table dense audit-table' },
      h('caption', { class: 'sr-only' }, 'Audit log, newest first. Select a time to see the state before and after.'),
      h('thead', {}, h('tr', {}, ['Time', 'Actor', 'Action', 'Entity', 'IP', 'User agent'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map(auditRows)));
    setChildren(list, h('div', { class: 'table-wrap' }, table));
    if (focusRow !== null) {
      const toggle = list.querySelector<HTMLElement>(`[data-focus="audit:${focusRow}"]`);
      focusRow = null;
      if (toggle) { toggle.scrollIntoView({ block: 'center' }); toggle.focus(); }
    }
  }

  function auditRows(r: AuditRow): HTMLElement[] {
    const detailId = nextId('audit-detail');
    const toggle = h('button', {
      type: 'button', class: 'tl-toggle audit-toggle', 'aria-expanded': 'false', 'aria-controls': detailId,
      dataset: { focus: `audit:${r.chain_index}` }, title: `${exactTime(r.created_at)} · show the state before and after`,
    }, h('span', {}, auditTime(r.created_at)));
    const name = entityName(r);
    const control = r.action.startsWith('control.');
    const row = h('tr', { class: `audit-row${control ? ' control' : ''}` },
      cell('Time', toggle, h('span', { class: 'muted small block row-no' }, `#${r.chain_index}`)),
      cell('Actor', actorLabel(r, names)),
      cell('Action', h('code', { class: `chip${control ? ' action-control' : ''}` }, r.action)),
      cell('Entity', h('div', { class: 'who' },
        h('span', { class: 'who-line' }, h('span', { class: 'entity-type' }, r.entity_type),
          name && h('span', { class: 'clip-name', title: name }, name)),
        r.entity_id && h('code', { class: 'small muted id-clip', title: r.entity_id }, r.entity_id))),
      cell('IP', r.ip ? h('code', { class: 'ip' }, r.ip) : h('span', { class: 'muted' }, '—')),
      cell('User agent', r.user_agent ? h('span', { class: 'small clamp ua', title: r.user_agent }, r.user_agent) : h('span', { class: 'muted' }, '—')));
    const detail = h('tr', { class: 'tl-detail audit-detail', id: detailId, hidden: true });
    const setOpen = (open: boolean) => {
      toggle.setAttribute('aria-expanded', String(open));
      if (open) expanded.add(r.id); else expanded.delete(r.id);
      if (open && !detail.firstChild) detail.append(h('td', { colspan: 6 }, auditDetail(r)));
      detail.hidden = !open;
    };
    toggle.addEventListener('click', () => setOpen(toggle.getAttribute('aria-expanded') !== 'true'));
    if (expanded.has(r.id) || focusRow === r.chain_index) setOpen(true);
    return [row, detail];
  }

  function auditDetail(r: AuditRow): HTMLElement {
    const changed = changedKeys(r.before, r.after);
    const actorName = r.actor_id ? names.get(r.actor_id) : null;
    return h('div', { class: 'tl-detail-body' },
      h('dl', { class: 'details compact' },
        h('dt', {}, 'Row'), h('dd', {}, `#${r.chain_index} · `, h('code', {}, r.id)),
        h('dt', {}, 'Time'), h('dd', {}, exactTime(r.created_at)),
        h('dt', {}, 'Actor'), h('dd', {}, actorTypeLabel(r.actor_type), r.actor_id ? [' ', h('code', {}, r.actor_id)] : null,
          actorName ? h('span', { class: 'muted' }, ` · ${actorName}`) : null),
        h('dt', {}, 'Entity'), h('dd', {}, r.entity_type, r.entity_id ? [' ', h('code', {}, r.entity_id)] : null),
        h('dt', {}, 'User agent'), h('dd', {}, r.user_agent ?? '—'),
        h('dt', {}, 'Hash'), h('dd', {}, h('code', { class: 'hash' }, r.hash))),
      h('p', { class: `diff-summary${changed.size ? ' has-changes' : ''}` }, diffSummary(r.before, r.after, changed)),
      r.before == null && r.after == null ? null
        : h('div', { class: 'payloads diff' }, snapshotBlock('Before', r.before, changed), snapshotBlock('After', r.after, changed)),
      h('div', { class: 'row-actions' },
        r.actor_id && h('button', { type: 'button', class: 'btn ghost small', onclick: () => setValues({ actor: r.actor_id ?? '' }) }, 'Only this actor'),
        r.entity_id && h('button', { type: 'button', class: 'btn ghost small', onclick: () => setValues({ entity_type: r.entity_type, entity_id: r.entity_id ?? '' }) }, 'History of this entity')));
  }

  async function downloadCsv(): Promise<void> {
    readControls();
    if (auditHref(state) !== location.hash) apply(); // the table follows the filters the file uses
    csv.disabled = true;
    csv.textContent = 'Preparing CSV…';
    try {
      const { blob, filename } = await ctx.download(operationUrl(OPERATIONS.listAuditLog.path, {}, { ...filterQuery(state), format: 'csv' }), 'text/csv');
      saveBlob(blob, filename ?? csvName(new Date()));
      toast(`Audit log saved as CSV (newest first, at most ${fmtInt(AUDIT_CSV_MAX)} rows).`);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 422 || e.status === 400)) showProblem(filters, e);
      else actionFailed('Could not export the audit log', e);
    } finally {
      csv.disabled = false;
      csv.textContent = 'Download CSV';
    }
  }

  async function verify(): Promise<void> {
    verifyButton.disabled = true;
    setChildren(verdict, loadingPanel('Verifying the chain…'));
    try {
      const v = await call(ctx.transport, 'verifyAuditChain');
      if (!ctx.alive()) return;
      setChildren(verdict, verdictPanel(v));
    } catch (e) {
      if (e instanceof SessionEnded || !ctx.alive()) return;
      if (e instanceof ApiError && e.status === 403) ctx.onForbidden();
      setChildren(verdict, h('div', { class: 'alert error', role: 'alert' },
        h('p', { class: 'strong' }, 'The chain could not be verified.'), h('p', {}, e instanceof ApiError ? e.detail : 'Something went wrong in the dashboard.')));
    } finally {
      verifyButton.disabled = false;
    }
    verdict.querySelector<HTMLElement>('.verdict')?.focus();
  }

  function verdictPanel(v: Verdict): HTMLElement {
    const { title, text } = verdictText(v, timeOfDay(new Date()));
    const dismiss = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close the verdict', onclick: () => { setChildren(verdict); verifyButton.focus(); } }, '×');
    if (v.intact) {
      return h('section', { class: 'alert success verdict', role: 'status', tabindex: '-1', 'aria-label': 'Chain verification' },
        h('div', { class: 'verdict-head' }, h('h2', {}, title), dismiss),
        h('p', {}, text),
        v.head_hash && copyField({
          label: `Head hash (row ${fmtInt(v.rows)})`, value: v.head_hash,
          hint: 'Keep it outside AgentOps (a ticket, a log archive). Someone able to rewrite every later row could forge a chain; a stored head hash that no longer matches its row exposes it.',
        }));
    }
    const brokenAt = v.broken_at ?? 0;
    return h('section', { class: 'alert error verdict broken', role: 'alert', tabindex: '-1', 'aria-label': 'Chain verification' },
      h('div', { class: 'verdict-head' }, h('h2', {}, title), dismiss),
      h('p', {}, 'Reason: ', v.reason ?? 'not given', '.'),
      h('p', {}, text),
      h('div', {}, h('button', { type: 'button', class: 'btn secondary small', onclick: () => showRow(brokenAt) }, `Show row ${fmtInt(brokenAt)}`)));
  }

  /** Lists from row n down (all filters off) and opens it. A missing row shows the next older one. */
  function showRow(n: number): void {
    for (const el of [actor, action, entityType, entityId, from, to]) el.value = '';
    readControls();
    history.replaceState(null, '', '#/audit');
    startBelow = String(n + 1);
    focusRow = n;
    load();
  }

  void loadNames();
  load();
}
