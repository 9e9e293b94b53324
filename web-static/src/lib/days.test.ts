import { describe, expect, it } from 'vitest';
import { addDays, dayRange, todayIn } from './days';

describe('calendar days', () => {
  it('adds days across months and years', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2026-03-14', 0)).toBe('2026-03-14');
  });

  it('names a range once when it is one day', () => {
    expect(dayRange('2026-03-04', '2026-03-04')).not.toMatch(/–/);
    expect(dayRange('2026-03-01', '2026-03-14')).toMatch(/1.*14/);
  });

  it('reads today in the organization’s time zone, not the browser’s', () => {
    const now = new Date('2026-03-01T02:00:00Z');
    expect(todayIn('UTC', now)).toBe('2026-03-01');
    expect(todayIn('America/New_York', now)).toBe('2026-02-28');
    expect(todayIn('Asia/Tokyo', new Date('2026-02-28T16:00:00Z'))).toBe('2026-03-01');
    expect(todayIn(null, now)).toBe('2026-03-01');
    expect(todayIn('Not/AZone', now)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
