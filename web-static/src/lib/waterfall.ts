// The run view's waterfall: where each event's bar sits. Scaled to the run's own start and end, so a policy check an
// hour after a few-second run does not squeeze the run into a sliver: events after the end go to a lane of their own
// ("after the run"), labelled with how long after. A running run ends at its latest event. Pure.

export interface RunTimes {
  startedAt: number;
  endedAt: number | null;
  lastEventAt: number;
}

export interface EventTimes {
  at: number;
  durationMs: number | null;
}

export interface Scale {
  t0: number;
  end: number;
  total: number;
}

export type Placement =
  | { lane: 'run'; left: number; width: number | null }
  | { lane: 'after'; afterMs: number };

/** The run's span: from its start (or an earlier event) to its end; a running run to the end of its latest event. */
export function waterfallScale(run: RunTimes, events: readonly EventTimes[]): Scale {
  const t0 = Math.min(run.startedAt, ...events.map((e) => e.at));
  const end = run.endedAt ?? Math.max(run.lastEventAt, ...events.map((e) => e.at + (e.durationMs ?? 0)));
  return { t0, end, total: Math.max(1, end - t0) };
}

/** An event's bar in percent of the run (left, width; width null for an instant), or its place after the run. */
export function place(scale: Scale, event: EventTimes): Placement {
  if (event.at > scale.end) return { lane: 'after', afterMs: event.at - scale.end };
  const clamp = (x: number) => Math.min(100, Math.max(0, x));
  const left = clamp(((event.at - scale.t0) / scale.total) * 100);
  const width = event.durationMs === null ? null : clamp((Math.min(event.durationMs, scale.end - event.at) / scale.total) * 100);
  return { lane: 'run', left, width };
}
