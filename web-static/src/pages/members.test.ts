import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import {
  activeAdminCount, defaultInviteRole, filterMembers, invitationLink, isLastAdmin, leadNote, mayManageMember, memberCountText, memberPatch,
  memberStatusOf, selfChanged, teamsOf,
} from './members';

const member = (over: Partial<Schemas['MemberView']>): Schemas['MemberView'] => ({
  created_at: '2026-01-01T00:00:00Z', email: 'a@example.com', id: 'm1', invite_expires_at: null, name: null, role: 'member', status: 'active',
  team: null, updated_at: '2026-01-01T00:00:00Z', user_id: 'u1', ...over,
});

const NOW = Date.parse('2026-03-10T12:00:00Z');

describe('members', () => {
  it('tells active members, open invitations and expired ones apart', () => {
    expect(memberStatusOf(member({ status: 'active' }), NOW)).toEqual({ key: 'active' });
    expect(memberStatusOf(member({ status: 'invited', invite_expires_at: '2026-03-11T12:00:00Z' }), NOW))
      .toEqual({ key: 'invited', expiresAt: '2026-03-11T12:00:00Z' });
    expect(memberStatusOf(member({ status: 'invited', invite_expires_at: '2026-03-10T12:00:00Z' }), NOW)).toEqual({ key: 'expired' });
    expect(memberStatusOf(member({ status: 'invited', invite_expires_at: null }), NOW)).toEqual({ key: 'invited', expiresAt: null });
    expect(memberStatusOf(member({ status: 'suspended' }), NOW)).toEqual({ key: 'other', status: 'suspended' });
  });

  it('filters by status and by text in the email, name, team or role label, active first then by email', () => {
    const people = [
      member({ id: '1', email: 'zoe@x.io', status: 'active', role: 'viewer' }),
      member({ id: '2', email: 'bob@x.io', status: 'invited', team: 'Support' }),
      member({ id: '3', email: 'amy@x.io', status: 'active', name: 'Amy Pond', role: 'team_lead', team: 'Support' }),
      member({ id: '4', email: 'cal@x.io', status: 'invited', role: 'admin' }),
    ];
    expect(filterMembers(people, '', 'all').map((m) => m.id)).toEqual(['3', '1', '2', '4']);
    expect(filterMembers(people, '', 'active').map((m) => m.id)).toEqual(['3', '1']);
    expect(filterMembers(people, '', 'invited').map((m) => m.id)).toEqual(['2', '4']);
    expect(filterMembers(people, '  SUPPORT ', 'all').map((m) => m.id)).toEqual(['3', '2']);
    expect(filterMembers(people, 'pond', 'all').map((m) => m.id)).toEqual(['3']);
    expect(filterMembers(people, 'team lead', 'all').map((m) => m.id)).toEqual(['3']); // the label, not team_lead
    expect(filterMembers(people, 'team_lead', 'all')).toEqual([]);
    expect(filterMembers(people, 'nobody', 'all')).toEqual([]);
    expect(people.map((m) => m.id)).toEqual(['1', '2', '3', '4']); // the list itself stays as it was
  });

  it('counts members and open invitations, and how many are shown', () => {
    const people = [member({ status: 'active' }), member({ status: 'active' }), member({ status: 'invited' })];
    expect(memberCountText(people, 3)).toBe('2 members · 1 open invitation');
    expect(memberCountText(people, 1)).toBe('2 members · 1 open invitation · 1 shown');
    expect(memberCountText([member({ status: 'active' })], 1)).toBe('1 member · 0 open invitations');
  });

  it('suggests the distinct teams, sorted', () => {
    expect(teamsOf([member({ team: 'ops' }), member({ team: null }), member({ team: 'billing' }), member({ team: 'ops' })])).toEqual(['billing', 'ops']);
  });

  it('keeps the last active admin', () => {
    const admins = [member({ role: 'admin' }), member({ role: 'admin', status: 'invited' }), member({ role: 'member' })];
    expect(activeAdminCount(admins)).toBe(1);
    expect(isLastAdmin(member({ role: 'admin' }), 1)).toBe(true);
    expect(isLastAdmin(member({ role: 'admin' }), 2)).toBe(false);
    expect(isLastAdmin(member({ role: 'admin', status: 'invited' }), 1)).toBe(false);
    expect(isLastAdmin(member({ role: 'member' }), 1)).toBe(false);
  });

  it('lets an admin manage anyone, a team lead the members and viewers of their own team', () => {
    const admin = { role: 'admin', team: null };
    const lead = { role: 'team_lead', team: 'ops' };
    expect(mayManageMember(member({ role: 'admin' }), admin, true)).toBe(true);
    expect(mayManageMember(member({ role: 'admin' }), admin, false)).toBe(false);
    expect(mayManageMember(member({ role: 'member', team: 'ops' }), lead, true)).toBe(true);
    expect(mayManageMember(member({ role: 'viewer', team: 'ops' }), lead, true)).toBe(true);
    expect(mayManageMember(member({ role: 'member', team: 'billing' }), lead, true)).toBe(false);
    expect(mayManageMember(member({ role: 'team_lead', team: 'ops' }), lead, true)).toBe(false);
    expect(mayManageMember(member({ role: 'member', team: null }), { role: 'team_lead', team: null }, true)).toBe(false);
    expect(mayManageMember(member({ role: 'viewer' }), { role: 'member', team: null }, true)).toBe(false);
    expect(mayManageMember(member({}), null, true)).toBe(false);
  });

  it('tells a team lead which team they manage, or that they have none once the permissions are read', () => {
    expect(leadNote({ role: 'team_lead', team: 'ops' }, true)).toBe('team');
    expect(leadNote({ role: 'team_lead', team: null }, true)).toBe('no-team');
    expect(leadNote({ role: 'team_lead', team: null }, false)).toBeNull();
    expect(leadNote({ role: 'admin', team: null }, true)).toBeNull();
    expect(leadNote(null, false)).toBeNull();
  });

  it('notices when the own row says another role or team than the session', () => {
    const me = { id: 'u1', role: 'admin', team: null };
    expect(selfChanged([member({ user_id: 'u1', role: 'admin' })], me)).toBe(false);
    expect(selfChanged([member({ user_id: 'u1', role: 'member' })], me)).toBe(true);
    expect(selfChanged([member({ user_id: 'u1', role: 'admin', team: 'ops' })], me)).toBe(true);
    expect(selfChanged([member({ user_id: 'u2', role: 'viewer' })], me)).toBe(false);
    expect(selfChanged([member({ user_id: null, role: 'viewer' })], null)).toBe(false);
  });

  it('invites as member when it may, else with the first role offered', () => {
    expect(defaultInviteRole(['admin', 'team_lead', 'member', 'viewer'])).toBe('member');
    expect(defaultInviteRole(['viewer'])).toBe('viewer');
    expect(defaultInviteRole([])).toBe('');
  });

  it('sends only what the edit form changed', () => {
    const m = member({ role: 'member', team: 'ops' });
    expect(memberPatch(m, { role: 'member', team: 'ops' }, false)).toEqual({});
    expect(memberPatch(m, { role: 'viewer', team: 'ops' }, false)).toEqual({ role: 'viewer' });
    expect(memberPatch(m, { role: 'member', team: '' }, false)).toEqual({ team: null });
    expect(memberPatch(m, { role: 'member', team: 'billing' }, true)).toEqual({}); // a team lead's team is fixed
    expect(memberPatch(member({ role: 'admin', team: null }), { role: null, team: '' }, false)).toEqual({}); // the last admin's disabled role
    expect(memberPatch(member({ team: null }), { role: 'member', team: 'new' }, false)).toEqual({ team: 'new' });
  });

  it('links to the accept form with the token encoded', () => {
    expect(invitationLink('https://ops.example.com/', 'aoi_a+b/c')).toBe('https://ops.example.com/#/accept-invite?token=aoi_a%2Bb%2Fc');
  });
});
