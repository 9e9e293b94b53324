import { describe, expect, it } from 'vitest';
import { profilePatch, timeZones } from './organization';

describe('organization', () => {
  it('suggests UTC first, then the browser’s time zones', () => {
    expect(timeZones(() => ['Africa/Abidjan', 'UTC', 'Europe/Paris'])).toEqual(['UTC', 'Africa/Abidjan', 'Europe/Paris']);
    expect(timeZones(() => { throw new RangeError('not supported'); })).toEqual(['UTC']);
    const zones = timeZones();
    expect(zones[0]).toBe('UTC');
    expect(zones.filter((z) => z === 'UTC')).toHaveLength(1);
  });

  it('saves only the fields that changed', () => {
    const org = { name: 'Acme', timezone: 'UTC' };
    expect(profilePatch(org, { name: 'Acme', timezone: 'UTC' })).toEqual({});
    expect(profilePatch(org, { name: 'Acme', timezone: 'Europe/Paris' })).toEqual({ timezone: 'Europe/Paris' });
    expect(profilePatch(org, { name: 'Acme Inc', timezone: 'Asia/Tokyo' })).toEqual({ name: 'Acme Inc', timezone: 'Asia/Tokyo' });
  });
});
