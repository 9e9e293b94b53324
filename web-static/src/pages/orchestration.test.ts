import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import { eventPayload, orchSteps, stepBar, timelineScale } from './orchestration';

const entry = (kind: string, at: string, extra: Partial<Schemas['HistoryEntry']> = {}): Schemas['HistoryEntry'] => ({
  kind, at: `2026-03-05T12:00:${at}Z`, name: null, task_id: null, duration_ms: null, fire_at: null, reason: null, input: null, output: null, error: null, ...extra,
});

describe('the orchestration page', () => {
  const entries = [
    entry('started', '00'),
    entry('activity_scheduled', '01', { name: 'RunShard', task_id: 0, input: { shard: 0 } }),
    entry('activity_failed', '02', { name: 'RunShard', task_id: 0, duration_ms: 1000, error: 'boom' }),
    entry('activity_scheduled', '03', { name: 'RunShard', task_id: 1 }),
    entry('timer_created', '03', { task_id: 2, fire_at: '2026-03-05T12:00:05Z' }),
    entry('activity_completed', '04', { name: 'RunShard', task_id: 1, duration_ms: 1000, output: 'ok' }),
    entry('continued_as_new', '05'),
    entry('activity_completed', '06', { name: 'FinishJob', task_id: 0, duration_ms: 500 }),
    entry('timer_fired', '07', { task_id: 2, duration_ms: 4000 }),
  ];

  it('pairs each activity from its scheduling to its end, and marks a retry after a failure', () => {
    const steps = orchSteps(entries);
    expect(steps.map((s) => `${s.type}:${s.name ?? ''}:${s.outcome ?? ''}`)).toEqual([
      'started::', 'activity:RunShard:failed', 'activity:RunShard:completed', 'timer::', 'continued_as_new::', 'activity:FinishJob:completed', 'timer::fired',
    ]);
    expect(steps[1]).toMatchObject({ end: entries[2]!.at, error: 'boom', input: { shard: 0 }, retry: false });
    expect(steps[2]).toMatchObject({ retry: true, output: 'ok', durationMs: 1000 });
    // Task ids start again after continue-as-new: the timer of the first generation stays open, the second fires alone.
    expect(steps[3]).toMatchObject({ outcome: null, fireAt: '2026-03-05T12:00:05Z' });
  });

  it('lays the steps on an axis from the first entry to the last, or to now while running', () => {
    const ended = timelineScale(entries, true);
    expect(ended.span).toBe(7000);
    expect(timelineScale(entries, false, Date.parse('2026-03-05T12:00:10Z')).span).toBe(10_000);
    expect(timelineScale([], true, 0).span).toBe(1);
    expect(stepBar({ type: 'activity', at: entries[1]!.at, end: entries[2]!.at }, ended)).toEqual({ left: '14.29%', width: '14.29%' });
    expect(stepBar({ type: 'activity', at: entries[1]!.at, end: null }, ended)).toEqual({ left: '14.29%', width: '85.71%' });
    expect(stepBar({ type: 'activity', at: entries[1]!.at, end: entries[1]!.at }, ended).width).toBe('0.60%');
    expect(stepBar({ type: 'suspended', at: entries[8]!.at, end: null }, ended)).toEqual({ left: '100.00%', width: null });
  });

  it('sends an event’s payload only when it is JSON, and none when empty', () => {
    expect(eventPayload('')).toEqual({});
    expect(eventPayload('{ "a": 1 }')).toEqual({ value: { a: 1 } });
    expect(eventPayload('{ a: 1 }').error).toMatch(/^must be valid JSON/);
    expect(eventPayload(JSON.stringify('x'.repeat(17 * 1024))).error).toBe('must be at most 16 KiB.');
  });
});
