import { describe, expect, it } from 'vitest';
import { eventHasData, expectedRows, overallFraction, plannedRows, rowsPerSecond, shardFraction } from './job';

describe('the job page', () => {
  const planned = plannedRows([
    { message: 'Shard done', data: {} },
    { message: 'Planned 3 shard(s)', data: { sources: [{ source: 'events', rows: 300 }, { source: 'runs', rows: '50' }] } },
  ]);

  it('reads the planned rows per source from the log', () => {
    expect(planned?.total).toBe(350);
    expect(planned?.bySource.get('runs')).toBe(50);
    expect(plannedRows([{ message: 'Job created', data: null }])).toBeNull();
  });

  it('measures rows per second between reads while running', () => {
    expect(rowsPerSecond('running', { rows: 100, at: 0 }, { rows: 300, at: 2000 }, null)).toBe(100);
    expect(rowsPerSecond('running', { rows: 100, at: 0 }, { rows: 300, at: 100 }, 42)).toBe(42); // too close: kept
    expect(rowsPerSecond('running', { rows: 100, at: 0 }, { rows: 300, at: 120_000 }, 42)).toBe(42); // a hidden tab's gap
    expect(rowsPerSecond('succeeded', { rows: 100, at: 0 }, { rows: 300, at: 2000 }, 42)).toBeNull();
  });

  it('fills the overall bar by rows planned, never whole before success', () => {
    const running = { status: 'running' };
    expect(overallFraction(running, { rows: 175, shards: 3, shards_done: 1 }, 350)).toBe(0.5);
    expect(overallFraction(running, { rows: 400, shards: 3, shards_done: 3 }, 350)).toBe(0.99);
    expect(overallFraction(running, { rows: 0, shards: 4, shards_done: 1 }, null)).toBe(0.25);
    expect(overallFraction({ status: 'succeeded' }, { rows: 0, shards: 0, shards_done: 0 }, 350)).toBe(1);
  });

  it('shares a source’s planned rows among its shards', () => {
    const expected = expectedRows([{ source: 'events' }, { source: 'events' }, { source: 'runs' }], planned);
    expect(expected({ source: 'events' })).toBe(150);
    expect(expected({ source: 'runs' })).toBe(50);
    expect(expected({ source: 'other' })).toBeNull();
    expect(shardFraction({ status: 'running', rows: 75 }, 150)).toBe(0.5);
    expect(shardFraction({ status: 'running', rows: 75 }, null)).toBe(0);
    expect(shardFraction({ status: 'succeeded', rows: 0 }, null)).toBe(1);
  });

  it('offers an event’s data only when there is some', () => {
    expect(eventHasData(null)).toBe(false);
    expect(eventHasData({})).toBe(false);
    expect(eventHasData([])).toBe(true);
    expect(eventHasData({ rows: 1 })).toBe(true);
  });
});
