// The global time window every chart page shares: a preset (1 h, 24 h, 7 d, 30 d) or a custom from–to, kept in the
// URL hash (?range=24h or ?from=…&to=…) so a view can be linked, reloaded and navigated back to. Pure functions only.

export const PRESETS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type Preset = keyof typeof PRESETS;
export const DEFAULT_PRESET: Preset = '24h';
/** The API's own cap on an analytics range (docs/analytics.md): a custom window beyond it is cut to its last 400 days. */
export const MAX_RANGE_MS = 400 * 86_400_000;

export interface TimeWindow {
  preset: Preset | 'custom';
  from: Date;
  to: Date;
}

export type Bucket = 'hour' | 'day';

const isPreset = (value: string | null | undefined): value is Preset => !!value && Object.hasOwn(PRESETS, value);

/** Whole seconds: the analytics API compares whole-second bounds in both stores (docs/analytics.md, Exactness). */
const wholeSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

/**
 * The window the URL parameters describe at `now`: a known preset ends now; a valid custom from < to is kept (cut to
 * MAX_RANGE_MS); anything else falls back to the default preset.
 */
export function resolveWindow(params: URLSearchParams, now: Date): TimeWindow {
  const range = params.get('range');
  if (isPreset(range)) return presetWindow(range, now);
  const from = Date.parse(params.get('from') ?? '');
  const to = Date.parse(params.get('to') ?? '');
  if (Number.isFinite(from) && Number.isFinite(to)) {
    const window: TimeWindow = { preset: 'custom', from: wholeSecond(Math.max(from, to - MAX_RANGE_MS)), to: wholeSecond(to) };
    if (window.from < window.to) return window; // compared in whole seconds, as the API will
  }
  return presetWindow(DEFAULT_PRESET, now);
}

export function presetWindow(preset: Preset, now: Date): TimeWindow {
  const to = wholeSecond(now.getTime());
  return { preset, from: new Date(to.getTime() - PRESETS[preset]), to };
}

/** The period just before, of the same length: what the KPI deltas compare with. */
export function previousWindow(window: TimeWindow): TimeWindow {
  const length = window.to.getTime() - window.from.getTime();
  return { preset: window.preset, from: new Date(window.from.getTime() - length), to: new Date(window.from.getTime()) };
}

/** Hourly points up to a week (at most 168), daily beyond (a 30-day window: 31 points; the API caps at 1,100). */
export function bucketFor(window: TimeWindow): Bucket {
  return window.to.getTime() - window.from.getTime() <= PRESETS['7d'] ? 'hour' : 'day';
}

/** The URL parameters for a window: a preset by name (it moves with the clock), a custom window by its bounds. */
export function windowParams(window: TimeWindow): Record<string, string> {
  return window.preset === 'custom' ? { from: window.from.toISOString(), to: window.to.toISOString() } : { range: window.preset };
}

/** The analytics query for a window. */
export function windowQuery(window: TimeWindow): { from: string; to: string; bucket: Bucket } {
  return { from: window.from.toISOString(), to: window.to.toISOString(), bucket: bucketFor(window) };
}

const BUCKET_SECONDS: Record<Bucket, number> = { hour: 3600, day: 86_400 };

/**
 * A window chosen by dragging across a chart (seconds since the epoch, either order): with a bucket, widened to the
 * whole buckets (bars) the drag touched, so a run in a bar that was touched is in the window. Null when empty.
 */
export function selectedWindow(fromSeconds: number, toSeconds: number, bucket?: Bucket): TimeWindow | null {
  let [a, b] = fromSeconds <= toSeconds ? [fromSeconds, toSeconds] : [toSeconds, fromSeconds];
  if (bucket) {
    const size = BUCKET_SECONDS[bucket];
    [a, b] = [Math.floor(a / size) * size, (Math.floor(b / size) + 1) * size];
  }
  const from = wholeSecond(a * 1000);
  const to = wholeSecond(b * 1000);
  return from < to ? { preset: 'custom', from, to } : null;
}

export const PRESET_LABELS: Record<Preset, string> = { '1h': '1 h', '24h': '24 h', '7d': '7 d', '30d': '30 d' };

const pad = (n: number) => String(n).padStart(2, '0');

/** A date as a datetime-local input shows it (local time, minutes). */
export function toLocalInput(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local input's value (local time) as a date; null when empty or not a date. */
export function fromLocalInput(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "the last 24 h", or the custom window's bounds. */
export function describeWindow(window: TimeWindow): string {
  if (window.preset !== 'custom') return `the last ${PRESET_LABELS[window.preset]}`;
  const f = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return `${f.format(window.from)} – ${f.format(window.to)}`;
}
