import { describe, expect, it } from 'vitest';
import { delta, fmtBytes, fmtCount, fmtDuration, fmtElapsed, fmtMicros, fmtPercent } from './format';

describe('formatting', () => {
  it('marks a count the server stopped at', () => {
    expect(fmtCount(1000, true)).toBe('1,000+');
    expect(fmtCount(3, false)).toBe('3');
  });

  it('shows durations at a useful grain', () => {
    expect(fmtDuration(850)).toBe('850 ms');
    expect(fmtDuration(4_210)).toBe('4.2 s');
    expect(fmtDuration(42_000)).toBe('42 s');
    expect(fmtDuration(185_000)).toBe('3 min 5 s');
    expect(fmtDuration(7_440_000)).toBe('2 h 4 min');
    expect(fmtDuration(null)).toBe('—');
    // At the boundaries, the rounded figure decides the unit.
    expect(fmtDuration(999.6)).toBe('1.0 s');
    expect(fmtDuration(9_960)).toBe('10 s');
    expect(fmtDuration(59_950)).toBe('1 min');
  });

  it('shows money from micro-dollars', () => {
    expect(fmtMicros(12_345_678)).toMatch(/12\.35/);
    expect(fmtMicros(1_234)).toMatch(/0\.0012/);
    expect(fmtMicros(0)).toMatch(/0\.00/);
  });

  it('has no percentage for an undefined rate', () => {
    expect(fmtPercent(Number.NaN)).toBe('—');
    expect(fmtPercent(0.123)).toMatch(/12\.3/);
  });
});

describe('deltas against the previous period', () => {
  it('reads more runs as good and more cost as bad', () => {
    expect(delta(120, 100)).toEqual({ trend: 'up', text: '+20%', good: true });
    expect(delta(120, 100, { higherIsBetter: false })).toEqual({ trend: 'up', text: '+20%', good: false });
    expect(delta(97, 100, { higherIsBetter: false })).toEqual({ trend: 'down', text: '−3.0%', good: true });
  });

  it('compares rates in percentage points', () => {
    expect(delta(0.05, 0.02, { points: true, higherIsBetter: false })).toEqual({ trend: 'up', text: '+3.0 pt', good: false });
  });

  it('calls growth from nothing new, and tiny changes flat', () => {
    expect(delta(5, 0).trend).toBe('new');
    expect(delta(0, 0).trend).toBe('flat');
    expect(delta(1000, 1002).trend).toBe('flat');
    expect(delta(5, null).trend).toBe('none');
  });
});

describe('clock-like durations and sizes', () => {
  it('keeps two digits where a column of them lines up', () => {
    expect(fmtElapsed(850)).toBe('850 ms');
    expect(fmtElapsed(4_490)).toBe('4.49 s');
    expect(fmtElapsed(12_340)).toBe('12.3 s');
    expect(fmtElapsed(185_000)).toBe('3 min 05 s');
    expect(fmtElapsed(7_380_000)).toBe('2 h 03 min');
    expect(fmtElapsed(null)).toBe('—');
  });

  it('writes bytes in binary units', () => {
    expect(fmtBytes(512)).toBe('512 B');
    expect(fmtBytes(1536)).toBe('1.5 KiB');
    expect(fmtBytes(2.25 * 1024 * 1024)).toBe('2.25 MiB');
  });
});
