// API keys: what agents, SDKs and CI call the API with (ApiKeysApi.cs). Members and above read and create them
// (api_keys_read, api_keys_write) with the scopes they may grant (ApiKeyRules.Grantable); a key is revoked by its
// creator or an admin (ApiKeyRules.MayRevoke). A key's secret is shown once, in the dialog that created it, and wiped
// from the page when that dialog closes.
import { call, type Schemas } from '../api/client';
import { LIST_PAGE_SIZE, readAll } from '../api/paging';
import { copyField } from '../components/copyField';
import { confirmDelete, openDialog, type Dialog } from '../components/dialog';
import { field, formText, handleSubmit, selectControl, validationFailed } from '../components/forms';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { actionsCell, cell } from '../components/table';
import { timeEl } from '../components/time';
import { h, nextId, setChildren } from '../lib/dom';
import { plural } from '../lib/format';
import type { PageContext } from './context';

type ApiKey = Schemas['ApiKeyView'];

const DAY_MS = 86400_000;

export const SCOPES: readonly { id: string; label: string; help: string }[] = [
  { id: 'ingest', label: 'Ingest', help: 'Send runs, spans and events from SDKs, exporters and the gateway.' },
  { id: 'read', label: 'Read', help: 'Read data and configuration.' },
  { id: 'write', label: 'Write', help: 'Change configuration. Includes read.' },
  { id: 'admin', label: 'Admin', help: 'Manage the organization, members and API keys. Includes write and read.' },
];

export const EXPIRY_CHOICES: readonly { id: string; label: string; days?: number }[] = [
  { id: 'never', label: 'Never expires' },
  { id: '7', label: '7 days', days: 7 },
  { id: '30', label: '30 days', days: 30 },
  { id: '90', label: '90 days', days: 90 },
  { id: '365', label: '1 year', days: 365 },
  { id: 'custom', label: 'On a date…' },
];

/** A key's status as its badge shows it: an active key that expires within 7 days says so. */
export function keyStatusOf(k: Pick<ApiKey, 'status' | 'expires_at'>, now: number): { label: string; kind: string } {
  if (k.status === 'active') {
    const soon = !!k.expires_at && new Date(k.expires_at).getTime() - now < 7 * DAY_MS;
    return soon ? { label: 'Expires soon', kind: 'warning' } : { label: 'Active', kind: 'success' };
  }
  if (k.status === 'revoked') return { label: 'Revoked', kind: 'neutral' };
  if (k.status === 'expired') return { label: 'Expired', kind: 'danger' };
  return { label: k.status, kind: 'neutral' };
}

/** The rows shown: the active keys, or every key; active first, then the newest first. */
export function shownKeys<K extends Pick<ApiKey, 'status' | 'created_at'>>(keys: readonly K[], showInactive: boolean): K[] {
  return keys.filter((k) => showInactive || k.status === 'active').sort((a, b) =>
    (a.status === b.status ? 0 : a.status === 'active' ? -1 : 1) || b.created_at.localeCompare(a.created_at));
}

/** "2 active keys · 1 revoked or expired (hidden)". */
export function keyCountText(keys: readonly Pick<ApiKey, 'status'>[], showInactive: boolean): string {
  const active = keys.filter((k) => k.status === 'active').length;
  const hidden = keys.length - active;
  return `${plural(active, 'active key')}${hidden ? ` · ${hidden} revoked or expired${showInactive ? '' : ' (hidden)'}` : ''}`;
}

/** Who created what, by id: the members' emails by user id, and "key <name>" by key id (a key made by a key). */
export function keyCreators(members: readonly Pick<Schemas['MemberView'], 'user_id' | 'email'>[], keys: readonly Pick<ApiKey, 'id' | 'name'>[]): Map<string, string> {
  const creators = new Map<string, string>();
  for (const m of members) if (m.user_id) creators.set(m.user_id, m.email);
  for (const k of keys) if (!creators.has(k.id)) creators.set(k.id, `key ${k.name}`);
  return creators;
}

/** "by you", "by ada@example.com", or "by a former member" when the creator is no longer in the organization. */
export function createdByText(k: Pick<ApiKey, 'created_by'>, creators: ReadonlyMap<string, string>, meId: string | null): string {
  const creator = creators.get(k.created_by);
  return k.created_by === meId ? 'by you' : creator ? `by ${creator}` : 'by a former member';
}

/** Whether the person may revoke the key: with api_keys_write, an admin any key, anyone else the keys they created. */
export function mayRevokeKey(k: Pick<ApiKey, 'created_by'>, me: { id: string; role: string } | null, holdsKeysWrite: boolean): boolean {
  return holdsKeysWrite && (me?.role === 'admin' || (!!me && k.created_by === me.id));
}

/**
 * The expires_at the create form asks for: null for never, `days` from now, or the end of the chosen day in the
 * browser's time zone; '' when a date is needed and there is no valid one.
 */
export function expiryToIso(choice: string, customDate: string, now: number = Date.now()): string | null {
  const option = EXPIRY_CHOICES.find((c) => c.id === choice);
  if (!option || option.id === 'never') return null;
  if (option.days) return new Date(now + option.days * DAY_MS).toISOString();
  if (!customDate) return '';
  const end = new Date(`${customDate}T23:59:59`);
  return Number.isNaN(end.getTime()) ? '' : end.toISOString();
}

/** The first day a custom expiry may be: tomorrow, in the browser's time zone (YYYY-MM-DD). */
export function minExpiryDate(now: number): string {
  const tomorrow = new Date(now + DAY_MS);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() + 1)}-${pad(tomorrow.getDate())}`;
}

/** The scopes the create form offers: each one, whether the person may grant it, and its help (saying why not). */
export function scopeChoices(grantable: readonly string[]): { id: string; label: string; help: string; allowed: boolean }[] {
  return SCOPES.map((s) => {
    const allowed = grantable.includes(s.id);
    return { id: s.id, label: s.label, allowed, help: allowed ? s.help : `${s.help} Only admins can grant it.` };
  });
}

const scopeChips = (scopes: readonly string[]): HTMLElement =>
  h('span', { class: 'chips' }, scopes.map((s) => h('span', { class: `chip scope-${s}` }, s)));

const formString = (data: FormData, name: string): string => {
  const v = data.get(name);
  return typeof v === 'string' ? v : '';
};

export function viewApiKeys(main: HTMLElement, ctx: PageContext): void {
  if (!ctx.holds('api_keys_read')) {
    main.append(pageHeader('API keys', null), h('div', { class: 'card' }, emptyState('You do not have access to API keys.', 'Viewers cannot see or create keys. Ask an admin if you need one.')));
    return;
  }
  let keys: ApiKey[] = [];
  let truncated = false;
  let creators = new Map<string, string>();
  const showInactive = h('input', { type: 'checkbox', id: nextId('show-inactive') });
  const count = h('p', { class: 'muted toolbar-count', 'aria-live': 'polite' });
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading API keys…'));
  const create = ctx.holds('api_keys_write') ? h('button', { type: 'button', class: 'btn primary', onclick: () => openCreateKey() }, 'Create API key') : null;
  main.append(
    pageHeader('API keys', 'Keys let agents, SDKs and CI call the API. A key’s secret is shown once, when it is created.', create),
    h('div', { class: 'toolbar' },
      h('div', { class: 'checkbox' }, showInactive, h('label', { for: showInactive.id }, 'Show revoked and expired keys')),
      count),
    list);
  showInactive.addEventListener('change', () => draw());

  const reload = (): void => void load();

  async function load(): Promise<void> {
    if (!keys.length) setChildren(list, loadingPanel('Loading API keys…'));
    try {
      const [result, people] = await Promise.all([
        readAll((cursor) => call(ctx.transport, 'listApiKeys', { query: { limit: LIST_PAGE_SIZE, ...(cursor ? { cursor } : {}) } })),
        readAll((cursor) => call(ctx.transport, 'listMembers', { query: { limit: LIST_PAGE_SIZE, ...(cursor ? { cursor } : {}) } }))
          .catch(() => ({ items: [] as Schemas['MemberView'][], truncated: false })),
      ]);
      if (!ctx.alive()) return;
      keys = result.items;
      truncated = result.truncated;
      creators = keyCreators(people.items, keys);
      draw();
    } catch (e) {
      if (ctx.alive()) setChildren(list, errorPanel(e, reload, ctx.onForbidden));
    }
  }

  function draw(): void {
    const rows = shownKeys(keys, showInactive.checked);
    count.textContent = keyCountText(keys, showInactive.checked);
    if (!keys.length) {
      setChildren(list, emptyState('No API keys yet', 'Create a key for each agent, service or CI job, with only the scopes it needs.',
        create && h('button', { type: 'button', class: 'btn primary', onclick: () => openCreateKey() }, 'Create API key')));
      return;
    }
    if (!rows.length) {
      setChildren(list, emptyState('No active keys.', 'Revoked and expired keys are hidden.'));
      return;
    }
    const table = h('table', { class: 'table' },
      h('caption', { class: 'sr-only' }, 'API keys'),
      h('thead', {}, h('tr', {},
        ['Name', 'Key', 'Scopes', 'Status', 'Created', 'Last used', 'Expires'].map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, rows.map(keyRow)));
    setChildren(list, h('div', { class: 'table-wrap' }, table),
      truncated ? h('p', { class: 'muted pad' }, `Showing the first ${keys.length} keys.`) : null);
  }

  function keyRow(k: ApiKey): HTMLTableRowElement {
    const status = keyStatusOf(k, Date.now());
    const me = ctx.me();
    return h('tr', { class: k.status === 'active' ? null : 'inactive' },
      cell('Name', h('span', { class: 'strong' }, k.name)),
      cell('Key', h('code', { class: 'prefix', title: 'Key prefix: the rest of the key is secret' }, `${k.prefix}_…`)),
      cell('Scopes', scopeChips(k.scopes)),
      cell('Status', badge(status.label, status.kind), k.status === 'revoked' && k.revoked_at && h('span', { class: 'muted small block' }, timeEl(k.revoked_at))),
      cell('Created', timeEl(k.created_at), h('span', { class: 'muted small block' }, createdByText(k, creators, me?.id ?? null))),
      cell('Last used', k.last_used_at ? timeEl(k.last_used_at, { rel: true }) : h('span', { class: 'muted' }, 'Never')),
      cell('Expires', k.expires_at ? timeEl(k.expires_at, { withTime: true }) : h('span', { class: 'muted' }, 'Never')),
      actionsCell(
        k.status === 'active' && mayRevokeKey(k, me, ctx.holds('api_keys_write'))
          ? h('button', { type: 'button', class: 'btn ghost small danger-text', 'aria-label': `Revoke ${k.name}`, onclick: () => revokeKey(k) }, 'Revoke')
          : null));
  }

  function openCreateKey(): void {
    const scopeBoxes = scopeChoices(ctx.grantable().scopes).map((s) => {
      const id = nextId(`scope-${s.id}`);
      return h('div', { class: `checkbox scope-option${s.allowed ? '' : ' disabled'}` },
        h('input', { type: 'checkbox', id, name: 'scopes', value: s.id, checked: s.id === 'ingest', disabled: !s.allowed, 'aria-describedby': `${id}-help` }),
        h('label', { for: id }, h('span', { class: 'strong' }, s.label),
          h('span', { class: 'muted small block', id: `${id}-help` }, s.help)));
    });
    const scopesError = nextId('scopes-error');
    const scopes = h('fieldset', { class: 'fieldset', 'aria-describedby': scopesError, dataset: { path: '$.scopes', label: 'Scopes' } },
      h('legend', {}, 'Scopes'),
      h('p', { class: 'hint' }, 'Give each key only what it needs. Agents that only send telemetry need Ingest.'),
      scopeBoxes,
      h('p', { class: 'field-error', id: scopesError, hidden: true }));

    const expiry = selectControl(EXPIRY_CHOICES.map((c) => ({ value: c.id, label: c.label })), '90');
    const custom = field({
      label: 'Expiry date', name: 'expires_on', path: '$.expires_at', type: 'date', attrs: { min: minExpiryDate(Date.now()) },
      hint: 'The key stops working at the end of this day (your time zone).',
    });
    custom.hidden = true;
    expiry.addEventListener('change', () => {
      custom.hidden = expiry.value !== 'custom';
      if (!custom.hidden) custom.querySelector('input')?.focus();
    });
    const form = h('form', { class: 'stack' },
      h('div', { class: 'problem-slot' }),
      field({ label: 'Name', name: 'name', autocomplete: 'off', required: true, hint: 'What uses the key, e.g. “support-agent production” or “CI evals”.' }),
      scopes,
      field({ label: 'Expires', name: 'expiry', path: '$.expires_at', control: expiry, hint: 'Expiring keys limit the damage of a leak. The longest allowed is 10 years.' }),
      custom,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, 'Create key')));
    const dialog = openDialog({ title: 'Create an API key', content: form });
    handleSubmit(form, async (data) => {
      const expiresAt = expiryToIso(formString(data, 'expiry'), formString(data, 'expires_on'));
      if (expiresAt === '') throw validationFailed({ '$.expires_at': ['needs a date.'] });
      const body = {
        name: formText(data, 'name'),
        scopes: data.getAll('scopes').filter((s): s is string => typeof s === 'string'),
        expires_at: expiresAt,
      };
      const result = await call(ctx.transport, 'createApiKey', { body });
      showCreatedKey(dialog, result);
      reload();
    }, { codePaths: { scope_not_allowed: '$.scopes' } });
  }

  function revokeKey(k: ApiKey): void {
    confirmDelete({
      title: 'Revoke API key',
      message: `Revoke “${k.name}” (${k.prefix}_…)? Everything using it is refused from now on. This cannot be undone.`,
      details: k.last_used_at ? h('p', { class: 'muted' }, 'Last used ', timeEl(k.last_used_at, { rel: true }), '.') : null,
      confirmLabel: 'Revoke key',
      remove: () => call(ctx.transport, 'revokeApiKey', { path: { id: k.id } }),
      done: `Key “${k.name}” revoked.`,
      reload,
    });
  }

  reload();
}

/** The key's secret, shown once; cleared from the page when the dialog closes. */
function showCreatedKey(dialog: Dialog, result: Schemas['CreatedApiKey']): void {
  let copied = false;
  const keyField = copyField({ label: 'Secret key', value: result.key, secret: true, multiline: true });
  const warning = h('p', { class: 'guard-warning', role: 'alert', hidden: true }, 'You have not copied the key. Close again to discard it: it cannot be shown again.');
  keyField.input.addEventListener('copied', () => { copied = true; warning.hidden = true; });
  dialog.setTitle('API key created');
  dialog.guard = () => {
    if (copied || !warning.hidden) return true;
    warning.hidden = false;
    return false;
  };
  const k = result.api_key;
  dialog.setContent(h('div', { class: 'stack' },
    h('div', { class: 'alert warning' },
      h('p', { class: 'strong' }, 'Copy this key now. You will not be able to see it again.'),
      h('p', {}, 'AgentOps keeps only a hash of it. Store it in your secret manager; if it is lost, revoke the key and create a new one.')),
    keyField,
    h('dl', { class: 'details compact' },
      h('dt', {}, 'Name'), h('dd', {}, k.name),
      h('dt', {}, 'Scopes'), h('dd', {}, scopeChips(k.scopes)),
      h('dt', {}, 'Expires'), h('dd', {}, k.expires_at ? timeEl(k.expires_at, { withTime: true }) : 'Never')),
    h('p', { class: 'muted small' }, 'Send it as ', h('code', {}, 'Authorization: Bearer <key>'), '.'),
    warning,
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => dialog.close() }, 'I have stored the key'))));
  keyField.input.focus();
  const wipe = (): void => { keyField.input.value = ''; };
  dialog.body.closest('dialog')?.addEventListener('close', wipe, { once: true });
}
