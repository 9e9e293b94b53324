import { describe, expect, it } from 'vitest';
import { actorNames, actorTypeLabel } from './actors';

describe('actor names', () => {
  it('names members by name and email, keys by name and prefix; pending invitations name nobody', () => {
    const names = actorNames(
      [{ user_id: 'u1', name: 'Ada', email: 'ada@example.com' }, { user_id: 'u2', name: null, email: 'bob@example.com' }, { user_id: null, name: 'Invited', email: 'x@example.com' }],
      [{ id: 'k1', name: 'Deploy', prefix: 'ak_live_ab12' }]);
    expect([...names]).toEqual([['u1', 'Ada (ada@example.com)'], ['u2', 'bob@example.com'], ['k1', 'Deploy (ak_live_ab12_…)']]);
  });

  it('labels the kinds of actor, and shows an unknown kind as it is', () => {
    expect(actorTypeLabel('api_key')).toBe('API key');
    expect(actorTypeLabel('robot')).toBe('robot');
  });
});
