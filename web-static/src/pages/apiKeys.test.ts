import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import { createdByText, EXPIRY_CHOICES, expiryToIso, keyCountText, keyCreators, keyStatusOf, mayRevokeKey, minExpiryDate, scopeChoices, shownKeys } from './apiKeys';

const key = (over: Partial<Schemas['ApiKeyView']>): Schemas['ApiKeyView'] => ({
  created_at: '2026-01-01T00:00:00Z', created_by: 'u1', expires_at: null, id: 'k1', last_used_at: null, name: 'ci', prefix: 'aok_abc',
  revoked_at: null, scopes: ['ingest'], status: 'active', ...over,
});

const NOW = Date.parse('2026-03-10T12:00:00Z');
const DAY = 86400_000;

describe('API keys', () => {
  it('shows a key expiring within a week as expiring soon', () => {
    expect(keyStatusOf(key({ status: 'active' }), NOW)).toEqual({ label: 'Active', kind: 'success' });
    expect(keyStatusOf(key({ status: 'active', expires_at: new Date(NOW + 8 * DAY).toISOString() }), NOW)).toEqual({ label: 'Active', kind: 'success' });
    expect(keyStatusOf(key({ status: 'active', expires_at: new Date(NOW + 6 * DAY).toISOString() }), NOW)).toEqual({ label: 'Expires soon', kind: 'warning' });
    expect(keyStatusOf(key({ status: 'revoked' }), NOW)).toEqual({ label: 'Revoked', kind: 'neutral' });
    expect(keyStatusOf(key({ status: 'expired' }), NOW)).toEqual({ label: 'Expired', kind: 'danger' });
    expect(keyStatusOf(key({ status: 'odd' }), NOW)).toEqual({ label: 'odd', kind: 'neutral' });
  });

  it('shows the active keys, newest first, and the others after them when asked', () => {
    const keys = [
      key({ id: 'old', created_at: '2026-01-01T00:00:00Z' }),
      key({ id: 'revoked', status: 'revoked', created_at: '2026-03-01T00:00:00Z' }),
      key({ id: 'new', created_at: '2026-02-01T00:00:00Z' }),
      key({ id: 'expired', status: 'expired', created_at: '2026-02-15T00:00:00Z' }),
    ];
    expect(shownKeys(keys, false).map((k) => k.id)).toEqual(['new', 'old']);
    expect(shownKeys(keys, true).map((k) => k.id)).toEqual(['new', 'old', 'revoked', 'expired']);
    expect(keys.map((k) => k.id)).toEqual(['old', 'revoked', 'new', 'expired']);
  });

  it('counts the active keys and the hidden ones', () => {
    const keys = [key({}), key({ status: 'revoked' }), key({ status: 'expired' })];
    expect(keyCountText(keys, false)).toBe('1 active key · 2 revoked or expired (hidden)');
    expect(keyCountText(keys, true)).toBe('1 active key · 2 revoked or expired');
    expect(keyCountText([key({}), key({})], false)).toBe('2 active keys');
    expect(keyCountText([], false)).toBe('0 active keys');
  });

  it('names who created a key', () => {
    const creators = keyCreators(
      [{ user_id: 'u1', email: 'ada@x.io' }, { user_id: null, email: 'invited@x.io' }],
      [key({ id: 'k1', name: 'parent' })]);
    expect(creators).toEqual(new Map([['u1', 'ada@x.io'], ['k1', 'key parent']]));
    expect(createdByText(key({ created_by: 'u1' }), creators, 'u1')).toBe('by you');
    expect(createdByText(key({ created_by: 'u1' }), creators, 'u2')).toBe('by ada@x.io');
    expect(createdByText(key({ created_by: 'k1' }), creators, 'u2')).toBe('by key parent');
    expect(createdByText(key({ created_by: 'gone' }), creators, null)).toBe('by a former member');
  });

  it('lets an admin revoke any key, anyone else with api_keys_write their own', () => {
    expect(mayRevokeKey(key({ created_by: 'u2' }), { id: 'u1', role: 'admin' }, true)).toBe(true);
    expect(mayRevokeKey(key({ created_by: 'u1' }), { id: 'u1', role: 'member' }, true)).toBe(true);
    expect(mayRevokeKey(key({ created_by: 'u2' }), { id: 'u1', role: 'member' }, true)).toBe(false);
    expect(mayRevokeKey(key({ created_by: 'u1' }), { id: 'u1', role: 'member' }, false)).toBe(false);
    expect(mayRevokeKey(key({ created_by: 'u1' }), null, true)).toBe(false);
  });

  it('turns the expiry choice into expires_at', () => {
    expect(expiryToIso('never', '', NOW)).toBeNull();
    expect(expiryToIso('unknown', '', NOW)).toBeNull();
    expect(expiryToIso('7', '', NOW)).toBe('2026-03-17T12:00:00.000Z');
    expect(expiryToIso('365', '', NOW)).toBe(new Date(NOW + 365 * DAY).toISOString());
    expect(expiryToIso('custom', '', NOW)).toBe('');
    expect(expiryToIso('custom', 'not a date', NOW)).toBe('');
    // The end of the chosen day in the browser's time zone.
    expect(expiryToIso('custom', '2026-05-01', NOW)).toBe(new Date(2026, 4, 1, 23, 59, 59).toISOString());
    expect(EXPIRY_CHOICES.map((c) => c.id)).toEqual(['never', '7', '30', '90', '365', 'custom']);
  });

  it('starts custom dates tomorrow', () => {
    const evening = new Date(2026, 11, 31, 20, 0, 0).getTime();
    expect(minExpiryDate(evening)).toBe('2027-01-01');
    expect(minExpiryDate(new Date(2026, 2, 8, 9, 0, 0).getTime())).toBe('2026-03-09');
  });

  it('offers every scope, those the person may not grant disabled with the reason', () => {
    const choices = scopeChoices(['ingest', 'read', 'write']);
    expect(choices.map((s) => [s.id, s.allowed])).toEqual([['ingest', true], ['read', true], ['write', true], ['admin', false]]);
    expect(choices[3]?.help).toBe('Manage the organization, members and API keys. Includes write and read. Only admins can grant it.');
    expect(choices[0]?.help).toBe('Send runs, spans and events from SDKs, exporters and the gateway.');
    expect(scopeChoices([]).every((s) => !s.allowed)).toBe(true);
  });
});
