import { describe, expect, it } from 'vitest';
import { bucketStarts, costByKey, countsByKey, isolated, latencyColumns, runsAndErrors, sparklinePoints, stack, type Point } from './series';

const point = (start: string, key: string | null, cost_micros: number, count = 1, errors = 0): Point =>
  ({ start, key, count, errors, cost_micros, tokens_in: 0, tokens_out: 0 });

describe('chart columns', () => {
  it('draws latency with gaps where no run ended, never as 0', () => {
    const x = bucketStarts(new Date('2026-12-06T10:00:00Z'), new Date('2026-12-06T13:00:00Z'), 'hour');
    const { series } = latencyColumns([
      { start: '2026-12-06T10:00:00Z', runs: 3, p50_ms: 100, p95_ms: 900, p99_ms: 990 },
      { start: '2026-12-06T12:00:00Z', runs: 1, p50_ms: 40, p95_ms: 40, p99_ms: 40 },
    ], x);
    expect(series.map((s) => s.label)).toEqual(['p50', 'p95', 'p99']);
    expect(series[0]!.values).toEqual([100, null, 40]);
    expect(series[2]!.values).toEqual([990, null, 40]);
    // Each of these stands alone between gaps: the chart draws them as points (a line would not show them).
    expect(isolated(series[0]!.values)).toEqual([0, 2]);
    expect(isolated([1, 2, null, 3, null])).toEqual([3]);
  });

  it('covers the window with UTC buckets', () => {
    const x = bucketStarts(new Date('2026-12-06T10:30:00Z'), new Date('2026-12-06T13:00:00Z'), 'hour');
    expect(x.map((t) => new Date(t * 1000).toISOString())).toEqual(['2026-12-06T10:00:00.000Z', '2026-12-06T11:00:00.000Z', '2026-12-06T12:00:00.000Z']);
    expect(bucketStarts(new Date('2026-12-01T05:00:00Z'), new Date('2026-12-03T00:00:00Z'), 'day')).toHaveLength(2);
  });

  it('counts missing buckets as zero', () => {
    const x = bucketStarts(new Date('2026-12-06T10:00:00Z'), new Date('2026-12-06T13:00:00Z'), 'hour');
    const c = runsAndErrors([point('2026-12-06T11:00:00Z', null, 0, 7, 2)], x);
    expect(c.series.map((s) => s.values)).toEqual([[0, 7, 0], [0, 2, 0]]);
  });

  it('keeps the largest keys and folds the rest into Other', () => {
    const x = bucketStarts(new Date('2026-12-06T10:00:00Z'), new Date('2026-12-06T12:00:00Z'), 'hour');
    const points = [
      point('2026-12-06T10:00:00Z', 'a', 3_000_000), point('2026-12-06T11:00:00Z', 'a', 1_000_000),
      point('2026-12-06T10:00:00Z', 'b', 2_000_000), point('2026-12-06T11:00:00Z', 'c', 500_000),
      point('2026-12-06T11:00:00Z', 'd', 250_000), point('2026-12-06T11:00:00Z', 'zero', 0),
      point('2026-12-07T00:00:00Z', 'a', 9_000_000), // outside the window: ignored
    ];
    const c = costByKey(points, x, 2, (k) => k.toUpperCase());
    expect(c.series.map((s) => s.label)).toEqual(['A', 'B', 'Other']);
    expect(c.series.map((s) => s.values)).toEqual([[3, 1], [2, 0], [0, 0.75]]);
  });

  it('stacks bottom-up', () => {
    expect(stack([{ values: [1, 2] }, { values: [3, 0] }, { values: [0, 5] }])).toEqual([[1, 2], [4, 2], [4, 7]]);
  });

  it('draws a sparkline with zero at the bottom and the largest value at the top', () => {
    expect(sparklinePoints([0, 5, 10], 64, 18)).toBe('0,17 32,9 64,1');
    expect(sparklinePoints([], 64, 18)).toBe('');
  });

  it('makes a sparse by-agent series dense per agent', () => {
    const x = bucketStarts(new Date('2026-12-01T00:00:00Z'), new Date('2026-12-04T00:00:00Z'), 'day');
    const m = countsByKey([point('2026-12-02T00:00:00Z', 'a1', 0, 4), point('2026-12-01T00:00:00Z', 'a2', 0, 1), point('2026-12-03T00:00:00Z', 'a1', 0, 2)], x);
    expect(m.get('a1')).toEqual([0, 4, 2]);
    expect(m.get('a2')).toEqual([1, 0, 0]);
  });
});
