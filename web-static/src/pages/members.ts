// Members: the people of the organization and its open invitations (MembersApi.cs). Admins invite, change and remove
// anyone but the last active admin; a team lead does so for the members and viewers of their own team only
// (MemberRules.cs, which the server enforces whatever is offered here). An invitation's token is shown once: there is
// no "resend", only a new link that replaces the old one.
import { call, type Schemas } from '../api/client';
import { ApiError } from '../api/errors';
import { LIST_PAGE_SIZE, readAll } from '../api/paging';
import { copyField } from '../components/copyField';
import { confirmAction, KEEP_OPEN, openDialog, type Dialog } from '../components/dialog';
import { field, formText, handleSubmit, selectControl } from '../components/forms';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { ROLE_LABELS, roleBadge, roleLabel } from '../components/roles';
import { actionsCell, cell } from '../components/table';
import { timeEl } from '../components/time';
import { toast } from '../components/toast';
import { h, nextId, setChildren } from '../lib/dom';
import { plural } from '../lib/format';
import type { PageContext } from './context';

type Member = Schemas['MemberView'];
type Me = NonNullable<ReturnType<PageContext['me']>>;

export const ROLE_HELP: Record<string, string> = {
  admin: 'Full control: organization profile, every member and every API key.',
  team_lead: 'Manages members and viewers of their own team; creates API keys.',
  member: 'Uses the platform and creates API keys (ingest, read, write).',
  viewer: 'Read-only access.',
};

export type MemberStatusFilter = 'all' | 'active' | 'invited';

/** A member's status: active, invited (with the invitation's expiry), its invitation expired, or as the API says it. */
export type MemberStatus =
  | { key: 'active' }
  | { key: 'invited'; expiresAt: string | null }
  | { key: 'expired' }
  | { key: 'other'; status: string };

export function memberStatusOf(m: Pick<Member, 'status' | 'invite_expires_at'>, now: number): MemberStatus {
  if (m.status === 'active') return { key: 'active' };
  if (m.status === 'invited') {
    const expired = !!m.invite_expires_at && new Date(m.invite_expires_at).getTime() <= now;
    return expired ? { key: 'expired' } : { key: 'invited', expiresAt: m.invite_expires_at };
  }
  return { key: 'other', status: m.status };
}

function memberStatusNode(status: MemberStatus): HTMLElement {
  switch (status.key) {
    case 'active': return badge('Active', 'success');
    case 'expired': return badge('Invitation expired', 'danger');
    case 'invited':
      return h('span', { class: 'status-stack' }, badge('Invited', 'warning'),
        status.expiresAt && h('span', { class: 'muted small' }, 'expires ', timeEl(status.expiresAt, { rel: true })));
    case 'other': return badge(status.status, 'neutral');
  }
}

/**
 * The rows shown: those of the status (invitations: invited, expired or not) whose email, name, team or role contains
 * the search text (any case); active members first, then by email.
 */
export function filterMembers<M extends Pick<Member, 'email' | 'name' | 'team' | 'role' | 'status'>>(members: readonly M[], search: string, status: MemberStatusFilter): M[] {
  const q = search.trim().toLowerCase();
  return members
    .filter((m) => status === 'all' || (status === 'active' ? m.status === 'active' : m.status === 'invited'))
    .filter((m) => !q || [m.email, m.name, m.team, ROLE_LABELS[m.role]].some((v) => v && v.toLowerCase().includes(q)))
    .sort((a, b) => (a.status === b.status ? 0 : a.status === 'active' ? -1 : 1) || a.email.localeCompare(b.email));
}

/** "3 members · 1 open invitation", and how many the filter shows when it hides some. */
export function memberCountText(members: readonly Pick<Member, 'status'>[], shown: number): string {
  const active = members.filter((m) => m.status === 'active').length;
  return `${plural(active, 'member')} · ${plural(members.length - active, 'open invitation')}${shown !== members.length ? ` · ${shown} shown` : ''}`;
}

/** The organization's teams, for the team field's suggestions: distinct, sorted. */
export const teamsOf = (members: readonly Pick<Member, 'team'>[]): string[] =>
  [...new Set(members.map((m) => m.team).filter((t): t is string => !!t))].sort();

export const activeAdminCount = (members: readonly Pick<Member, 'role' | 'status'>[]): number =>
  members.filter((m) => m.role === 'admin' && m.status === 'active').length;

/** The only active admin: their role stays admin and they cannot be removed (MemberRules: last_admin). */
export const isLastAdmin = (m: Pick<Member, 'role' | 'status'>, activeAdmins: number): boolean =>
  m.role === 'admin' && m.status === 'active' && activeAdmins <= 1;

/**
 * Whether the person may edit or remove the member: with members_write, an admin anyone, a team lead with a team the
 * members and viewers of that team (MemberRules.cs).
 */
export function mayManageMember(m: Pick<Member, 'role' | 'team'>, me: Pick<Me, 'role' | 'team'> | null, holdsMembersWrite: boolean): boolean {
  if (!holdsMembersWrite || !me) return false;
  if (me.role === 'admin') return true;
  return me.role === 'team_lead' && !!me.team && (m.role === 'member' || m.role === 'viewer') && m.team === me.team;
}

/**
 * What the page tells a team lead: that without a team they can change nothing yet ('no-team', once the permissions
 * are read: a team lead holds members_write), or which team they manage ('team').
 */
export function leadNote(me: Pick<Me, 'role' | 'team'> | null, holdsMembersWrite: boolean): 'no-team' | 'team' | null {
  if (me?.role !== 'team_lead') return null;
  if (me.team) return 'team';
  return holdsMembersWrite ? 'no-team' : null;
}

/** Whether the person's own row says another role or team than their session: changed by someone else meanwhile. */
export function selfChanged(members: readonly Pick<Member, 'user_id' | 'role' | 'team'>[], me: Pick<Me, 'id' | 'role' | 'team'> | null): boolean {
  const self = me ? members.find((m) => m.user_id === me.id) : undefined;
  return !!self && !!me && (self.role !== me.role || (self.team ?? null) !== me.team);
}

/** The role the invitation form starts with: member when it may be given, else the first that may. */
export const defaultInviteRole = (roles: readonly string[]): string => (roles.includes('member') ? 'member' : roles[0] ?? '');

/**
 * The change the edit form asks for (empty: none). `role` is null when the field is disabled (the last admin keeps
 * the role); a fixed team (a team lead's) is never sent; an empty team clears it.
 */
export function memberPatch(m: Pick<Member, 'role' | 'team'>, form: { role: string | null; team: string }, teamFixed: boolean): { role?: string; team?: string | null } {
  const patch: { role?: string; team?: string | null } = {};
  const role = form.role ?? m.role;
  const team = form.team || null;
  if (role !== m.role) patch.role = role;
  if (!teamFixed && team !== (m.team ?? null)) patch.team = team;
  return patch;
}

/** The link that opens the accept form with the token filled in (the page then takes it out of the address bar). */
export const invitationLink = (base: string, token: string): string => `${base}#/accept-invite?token=${encodeURIComponent(token)}`;

function roleSelect(roles: readonly string[], selected: string): HTMLSelectElement {
  return selectControl(roles.map((r) => ({ value: r, label: roleLabel(r) })), selected);
}

/** Keeps the hint under a role select saying what the chosen role may do. */
function roleHint(select: HTMLSelectElement): HTMLParagraphElement {
  const hint = h('p', { class: 'hint' });
  const update = (): void => { hint.textContent = ROLE_HELP[select.value] ?? ''; };
  select.addEventListener('change', update);
  update();
  return hint;
}

function teamField({ value, teams, fixed }: { value: string | null; teams: readonly string[]; fixed: boolean }): HTMLDivElement {
  const listId = nextId('teams');
  return field({
    label: 'Team', name: 'team', value: value ?? '', optional: !fixed, autocomplete: 'off',
    hint: fixed ? 'Team leads add people to their own team only.' : 'Leave empty for no team.',
    attrs: { list: listId, readOnly: fixed },
    after: h('datalist', { id: listId }, teams.map((t) => h('option', { value: t }))),
  });
}

const formRole = (data: FormData): string | null => {
  const v = data.get('role');
  return typeof v === 'string' ? v : null;
};

export function viewMembers(main: HTMLElement, ctx: PageContext): void {
  let members: Member[] = [];
  let truncated = false;
  const actions = h('div', { class: 'page-actions-inner' });
  const notes = h('div', {});
  const search = h('input', { type: 'search', id: nextId('member-filter'), placeholder: 'Name, email, team or role', autocomplete: 'off' });
  const statusFilter = selectControl([
    { value: 'all', label: 'All' }, { value: 'active', label: 'Active' }, { value: 'invited', label: 'Invitations' },
  ], 'all');
  statusFilter.id = nextId('member-status');
  const count = h('p', { class: 'muted toolbar-count', 'aria-live': 'polite' });
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading members…'));
  const toolbar = h('div', { class: 'toolbar', role: 'search', 'aria-label': 'Filter members' },
    h('div', { class: 'toolbar-field grow' }, h('label', { for: search.id }, 'Filter'), search),
    h('div', { class: 'toolbar-field' }, h('label', { for: statusFilter.id }, 'Status'), statusFilter),
    count);
  main.append(pageHeader('Members', 'People in this organization and open invitations.', actions), notes, toolbar, list);
  search.addEventListener('input', () => draw());
  statusFilter.addEventListener('change', () => draw());

  const reload = (): void => void load();
  const isAdmin = (): boolean => ctx.me()?.role === 'admin';

  async function load(): Promise<void> {
    if (!members.length) setChildren(list, loadingPanel('Loading members…'));
    try {
      const result = await readAll((cursor) => call(ctx.transport, 'listMembers', { query: { limit: LIST_PAGE_SIZE, ...(cursor ? { cursor } : {}) } }));
      if (!ctx.alive()) return;
      members = result.items;
      truncated = result.truncated;
      if (selfChanged(members, ctx.me())) {
        // Changed by someone else: the refresh answer carries the new role, and the permissions are read again.
        await ctx.refreshSession();
        if (!ctx.alive()) return;
      }
      draw();
    } catch (e) {
      if (ctx.alive()) setChildren(list, errorPanel(e, reload, ctx.onForbidden));
    }
  }

  function draw(): void {
    setChildren(actions, ctx.grantable().roles.length > 0
      ? h('button', { type: 'button', class: 'btn primary', onclick: () => openInvite() }, 'Invite member')
      : null);
    const me = ctx.me();
    const note = leadNote(me, ctx.holds('members_write'));
    setChildren(notes,
      note === 'no-team' && h('div', { class: 'alert info' }, 'You are a team lead without a team, so you cannot invite or change members yet. Ask an admin to assign you a team.'),
      note === 'team' && h('p', { class: 'muted note' }, `As team lead of “${me?.team ?? ''}”, you can invite and manage members and viewers of that team.`));
    const activeAdmins = activeAdminCount(members);
    const rows = filterMembers(members, search.value, statusFilter.value as MemberStatusFilter);
    count.textContent = memberCountText(members, rows.length);
    if (!members.length) {
      setChildren(list, emptyState('No members yet', null));
      return;
    }
    if (!rows.length) {
      setChildren(list, emptyState('No member matches this filter.', null,
        h('button', { type: 'button', class: 'btn secondary', onclick: () => { search.value = ''; statusFilter.value = 'all'; draw(); } }, 'Clear filter')));
      return;
    }
    const table = h('table', { class: 'table' },
      h('caption', { class: 'sr-only' }, 'Members and invitations'),
      h('thead', {}, h('tr', {},
        ['Member', 'Role', 'Team', 'Status', 'Added'].map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, rows.map((m) => memberRow(m, activeAdmins))));
    setChildren(list, h('div', { class: 'table-wrap' }, table),
      truncated ? h('p', { class: 'muted pad' }, `Showing the first ${members.length} entries.`) : null);
  }

  function memberRow(m: Member, activeAdmins: number): HTMLTableRowElement {
    const me = ctx.me();
    const isSelf = !!m.user_id && m.user_id === me?.id;
    const lastAdmin = isLastAdmin(m, activeAdmins);
    const buttons: HTMLButtonElement[] = [];
    if (mayManageMember(m, me, ctx.holds('members_write'))) {
      buttons.push(h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Edit ${m.email}`, onclick: () => openEditMember(m, { lastAdmin, isSelf }) }, 'Edit'));
      if (m.status === 'invited') {
        buttons.push(h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Renew invitation for ${m.email}`, onclick: () => renewInvitation(m) }, 'New link'));
        buttons.push(h('button', { type: 'button', class: 'btn ghost small danger-text', 'aria-label': `Withdraw invitation for ${m.email}`, onclick: () => removeMember(m, isSelf) }, 'Withdraw'));
      } else if (!lastAdmin) {
        buttons.push(h('button', { type: 'button', class: 'btn ghost small danger-text', 'aria-label': `Remove ${m.email}`, onclick: () => removeMember(m, isSelf) }, 'Remove'));
      }
    }
    return h('tr', {},
      cell('Member',
        h('div', { class: 'who' },
          h('span', { class: 'who-name' }, m.name || m.email, isSelf && badge('You', 'accent')),
          m.name && h('span', { class: 'muted small' }, m.email))),
      cell('Role', roleBadge(m.role), lastAdmin && h('span', { class: 'muted small block' }, 'Last admin')),
      cell('Team', m.team ?? h('span', { class: 'muted' }, '—')),
      cell('Status', memberStatusNode(memberStatusOf(m, Date.now()))),
      cell('Added', timeEl(m.created_at)),
      actionsCell(buttons.length ? h('div', { class: 'row-actions' }, buttons) : null));
  }

  function openInvite(): void {
    const roles = ctx.grantable().roles;
    const role = roleSelect(roles, defaultInviteRole(roles));
    const fixedTeam = isAdmin() ? null : ctx.me()?.team ?? null;
    const form = h('form', { class: 'stack' },
      h('div', { class: 'problem-slot' }),
      field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'off', required: true }),
      h('div', {}, field({ label: 'Role', name: 'role', control: role }), roleHint(role)),
      teamField({ value: fixedTeam, teams: teamsOf(members), fixed: !!fixedTeam }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, 'Create invitation')));
    const dialog = openDialog({ title: 'Invite a member', content: form });
    handleSubmit(form, async (data) => {
      const team = formText(data, 'team');
      const result = await call(ctx.transport, 'inviteMember', { body: { email: formText(data, 'email'), role: formRole(data), team: team || null } });
      showInvitation(dialog, result);
      reload();
    }, { codePaths: { member_exists: '$.email' } });
  }

  function openEditMember(m: Member, { lastAdmin, isSelf }: { lastAdmin: boolean; isSelf: boolean }): void {
    const role = roleSelect(ctx.grantable().roles, m.role);
    if (lastAdmin) role.disabled = true;
    const fixedTeam = !isAdmin();
    const form = h('form', { class: 'stack' },
      h('p', { class: 'muted' }, m.name ? `${m.name} · ${m.email}` : m.email),
      h('div', { class: 'problem-slot' }),
      h('div', {}, field({ label: 'Role', name: 'role', control: role }), roleHint(role),
        lastAdmin && h('p', { class: 'hint' }, 'This is the only active admin, so the role stays admin. Make someone else admin first.'),
        isSelf && !lastAdmin && isAdmin() && h('p', { class: 'hint warning-text' }, 'This is your own role: lowering it removes your admin rights at once.')),
      teamField({ value: m.team, teams: teamsOf(members), fixed: fixedTeam }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, 'Save')));
    const dialog = openDialog({ title: `Edit ${m.status === 'invited' ? 'invitation' : 'member'}`, content: form });
    handleSubmit(form, async (data) => {
      const patch = memberPatch(m, { role: role.disabled ? null : formRole(data), team: formText(data, 'team') }, fixedTeam);
      if (!Object.keys(patch).length) { dialog.close(true); return; }
      await call(ctx.transport, 'updateMember', { path: { id: m.id }, body: patch });
      dialog.close(true);
      toast(`Updated ${m.email}.`);
      if (isSelf) await ctx.refreshSession();
      reload();
    }, { codePaths: { last_admin: '$.role' }, onError: (e) => { if (e instanceof ApiError && e.status === 404) reload(); } });
  }

  function removeMember(m: Member, isSelf: boolean): void {
    const invited = m.status === 'invited';
    confirmAction({
      title: invited ? 'Withdraw invitation' : 'Remove member',
      message: invited
        ? `Withdraw the invitation for ${m.email}? The invitation link stops working.`
        : isSelf
          ? 'Remove yourself from this organization? You lose access at once and are signed out.'
          : `Remove ${m.name ? `${m.name} (${m.email})` : m.email} from the organization? Their access ends at once and their sessions are signed out. API keys they created keep working until revoked.`,
      confirmLabel: invited ? 'Withdraw invitation' : 'Remove member',
      action: async () => {
        try {
          await call(ctx.transport, 'removeMember', { path: { id: m.id } });
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) reload();
          throw e;
        }
        if (isSelf) { ctx.endSession('You left the organization.'); return; }
        toast(invited ? `Invitation for ${m.email} withdrawn.` : `${m.email} removed.`);
        reload();
      },
    });
  }

  /** There is no "resend": withdraw the invitation and create a new one with the same email, role and team. */
  function renewInvitation(m: Member): void {
    const dialog = confirmAction({
      title: 'Create a new invitation link',
      message: `Create a new link for ${m.email}? The previous link stops working, and the new one is shown once.`,
      confirmLabel: 'Create new link',
      danger: false,
      action: async () => {
        await call(ctx.transport, 'removeMember', { path: { id: m.id } });
        let result: Schemas['InvitationResponse'];
        try {
          result = await call(ctx.transport, 'inviteMember', { body: { email: m.email, role: m.role, team: m.team ?? null } });
        } catch (e) {
          reload();
          if (e instanceof ApiError) {
            throw new ApiError({ ...e, detail: `The old invitation was withdrawn, but a new one could not be created: ${e.detail} Invite ${m.email} again.` });
          }
          throw e;
        }
        reload();
        showInvitation(dialog, result);
        return KEEP_OPEN;
      },
    });
  }

  reload();
}

/** Shows the one-time invitation token and accept link (the API never shows it again). */
function showInvitation(dialog: Dialog, result: Schemas['InvitationResponse']): void {
  const link = invitationLink(`${location.origin}${location.pathname}`, result.invite_token);
  let copied = false;
  const linkField = copyField({ label: 'Invitation link', value: link, hint: 'Send this link to the invitee. It opens the accept form with the token filled in.', multiline: true });
  const tokenField = copyField({ label: 'Invitation token', value: result.invite_token, secret: true, multiline: true });
  const warning = h('p', { class: 'guard-warning', role: 'alert', hidden: true }, 'You have not copied the link or token. Close again to discard it; you would need to create a new link.');
  for (const f of [linkField, tokenField]) f.input.addEventListener('copied', () => { copied = true; warning.hidden = true; });
  dialog.setTitle('Invitation created');
  dialog.guard = () => {
    if (copied || !warning.hidden) return true;
    warning.hidden = false;
    return false;
  };
  dialog.setContent(h('div', { class: 'stack' },
    h('div', { class: 'alert warning' },
      h('p', { class: 'strong' }, 'Share this link now: it is shown only once.'),
      h('p', {}, `Anyone with it can join as ${roleLabel(result.member.role)} using ${result.member.email}. It expires `,
        timeEl(result.invite_expires_at, { withTime: true }), ' (', timeEl(result.invite_expires_at, { rel: true }), ').')),
    linkField,
    tokenField,
    warning,
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => dialog.close() }, 'Done'))));
  linkField.input.focus();
}
