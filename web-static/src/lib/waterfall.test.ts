import { describe, expect, it } from 'vitest';
import { place, waterfallScale } from './waterfall';

describe('the waterfall', () => {
  const run = { startedAt: 1000, endedAt: 9000, lastEventAt: 6_500_000 };
  // A 7.9 s run, and a policy check 1 h 47 min later.
  const events = [{ at: 1000, durationMs: 8000 }, { at: 3000, durationMs: 2000 }, { at: 9000 + 6_420_000, durationMs: null }];

  it('scales to the run, not to the last event', () => {
    const scale = waterfallScale(run, events);
    expect(scale).toEqual({ t0: 1000, end: 9000, total: 8000 });
    expect(place(scale, events[1]!)).toEqual({ lane: 'run', left: 25, width: 25 });
  });

  it('puts what came after the end in a lane of its own, with how long after', () => {
    expect(place(waterfallScale(run, events), events[2]!)).toEqual({ lane: 'after', afterMs: 6_420_000 });
  });

  it('cuts a bar at the run end and keeps instants as ticks', () => {
    const scale = waterfallScale(run, events);
    expect(place(scale, { at: 7000, durationMs: 60_000 })).toEqual({ lane: 'run', left: 75, width: 25 });
    expect(place(scale, { at: 9000, durationMs: null })).toEqual({ lane: 'run', left: 100, width: null });
  });

  it('lets a running run end at its latest event, and an early event start it', () => {
    const scale = waterfallScale({ startedAt: 2000, endedAt: null, lastEventAt: 5000 }, [{ at: 1500, durationMs: null }, { at: 4000, durationMs: 3000 }]);
    expect(scale).toEqual({ t0: 1500, end: 7000, total: 5500 });
  });
});
