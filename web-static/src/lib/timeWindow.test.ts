import { describe, expect, it } from 'vitest';
import { bucketFor, fromLocalInput, previousWindow, toLocalInput, resolveWindow, selectedWindow, windowParams, windowQuery, MAX_RANGE_MS } from './timeWindow';

const now = new Date('2026-12-06T10:30:15.750Z');
const params = (q: string) => new URLSearchParams(q);

describe('time windows', () => {
  it('resolves presets ending now, in whole seconds', () => {
    const w = resolveWindow(params('range=7d'), now);
    expect(w.preset).toBe('7d');
    expect(w.to.toISOString()).toBe('2026-12-06T10:30:15.000Z');
    expect(w.from.toISOString()).toBe('2026-11-29T10:30:15.000Z');
  });

  it('falls back to 24 h for anything it does not understand', () => {
    for (const q of ['', 'range=2y', 'range=__proto__', 'from=yesterday&to=now', 'from=2026-12-06T00:00:00Z&to=2026-12-05T00:00:00Z',
      'from=2026-12-06T00:00:00.100Z&to=2026-12-06T00:00:00.900Z']) {
      expect(resolveWindow(params(q), now).preset).toBe('24h');
    }
  });

  it('keeps a custom window and cuts it to the API cap', () => {
    const w = resolveWindow(params('from=2026-12-01T00:00:00.400Z&to=2026-12-02T00:00:00Z'), now);
    expect(w).toMatchObject({ preset: 'custom' });
    expect(w.from.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    const long = resolveWindow(params('from=2000-01-01T00:00:00Z&to=2026-12-02T00:00:00Z'), now);
    expect(long.to.getTime() - long.from.getTime()).toBe(MAX_RANGE_MS);
  });

  it('compares with the period just before, of the same length', () => {
    const w = resolveWindow(params('range=24h'), now);
    const p = previousWindow(w);
    expect(p.to.getTime()).toBe(w.from.getTime());
    expect(p.to.getTime() - p.from.getTime()).toBe(w.to.getTime() - w.from.getTime());
  });

  it('draws hours up to a week and days beyond', () => {
    expect(bucketFor(resolveWindow(params('range=1h'), now))).toBe('hour');
    expect(bucketFor(resolveWindow(params('range=7d'), now))).toBe('hour');
    expect(bucketFor(resolveWindow(params('range=30d'), now))).toBe('day');
    expect(windowQuery(resolveWindow(params('range=30d'), now))).toMatchObject({ bucket: 'day', to: '2026-12-06T10:30:15.000Z' });
  });

  it('round-trips through the URL', () => {
    const custom = resolveWindow(params('from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z'), now);
    expect(resolveWindow(new URLSearchParams(windowParams(custom)), now)).toEqual(custom);
    expect(windowParams(resolveWindow(params('range=1h'), now))).toEqual({ range: '1h' });
  });

  it('turns a drag across a chart into a custom window, either direction', () => {
    const w = selectedWindow(1_764_900_000.6, 1_764_896_400.2)!;
    expect(w.from.getTime()).toBe(1_764_896_400_000);
    expect(w.to.getTime()).toBe(1_764_900_000_000);
    expect(selectedWindow(5, 5.5)).toBeNull();
    // Over bars: the whole hours touched.
    const bars = selectedWindow(1_764_900_000 + 10, 1_764_900_000 + 3600 * 2 + 5, 'hour')!;
    expect(bars.from.toISOString()).toBe('2025-12-05T02:00:00.000Z');
    expect(bars.to.toISOString()).toBe('2025-12-05T05:00:00.000Z');
  });

  it('reads and writes datetime-local values in local time', () => {
    const d = fromLocalInput('2026-12-01T09:05')!;
    expect(d.getHours()).toBe(9);
    expect(toLocalInput(d)).toBe('2026-12-01T09:05');
    for (const bad of ['', '2026-12-01', 'yesterday', '2026-13-45T99:99']) expect(fromLocalInput(bad)).toBeNull();
  });
});
