import { describe, expect, it } from 'vitest';
import { relative } from './time';

describe('relative times', () => {
  const now = Date.parse('2026-03-05T12:00:00Z');

  it('says "just now" for the last seconds and rounds to the nearest unit', () => {
    expect(relative('2026-03-05T11:59:30Z', now)).toBe('just now');
    expect(relative('2026-03-05T12:00:30Z', now)).toBe('in a few seconds');
    expect(relative('2026-03-05T09:00:00Z', now)).toBe('3 hours ago');
    expect(relative('2026-03-06T12:00:00Z', now)).toBe('tomorrow');
  });
});
