// Turning the analytics API's points into the columns a time-series chart draws (uPlot: one x array of seconds and one
// y array per series, all the same length). Pure.
import type { Bucket } from './timeWindow';

export interface Point {
  start: string;
  key?: string | null;
  count: number;
  errors: number;
  cost_micros: number;
  tokens_in: number;
  tokens_out: number;
}

const BUCKET_MS: Record<Bucket, number> = { hour: 3_600_000, day: 86_400_000 };

/** The UTC bucket starts covering [from, to): the API's buckets (UTC hours or days), zeros included. */
export function bucketStarts(from: Date, to: Date, bucket: Bucket): number[] {
  const size = BUCKET_MS[bucket];
  const starts: number[] = [];
  for (let t = Math.floor(from.getTime() / size) * size; t < to.getTime(); t += size) starts.push(t / 1000);
  return starts;
}

export interface Columns {
  /** Bucket starts, seconds since the epoch. */
  x: number[];
  series: { label: string; values: number[] }[];
}

/** Runs and errors per bucket (from the summary's dense series; buckets missing from the answer count zero). */
export function runsAndErrors(points: readonly Point[], x: number[]): Columns {
  const byStart = new Map(points.map((p) => [Date.parse(p.start) / 1000, p]));
  return {
    x,
    series: [
      { label: 'Runs', values: x.map((t) => byStart.get(t)?.count ?? 0) },
      { label: 'Errors', values: x.map((t) => byStart.get(t)?.errors ?? 0) },
    ],
  };
}

/**
 * One series per key (model or agent) of a sparse breakdown, in dollars: the `top` keys by total, the rest summed into
 * "Other". Keys are labelled through `label` (an agent id → its name). Ordered largest first.
 */
export function costByKey(points: readonly Point[], x: number[], top = 5, label: (key: string) => string = (k) => k): Columns {
  const index = new Map(x.map((t, i) => [t, i]));
  const totals = new Map<string, number>();
  for (const p of points) totals.set(p.key ?? '', (totals.get(p.key ?? '') ?? 0) + p.cost_micros);
  const ranked = [...totals.entries()].filter(([, total]) => total > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
  const kept = ranked.slice(0, top);
  const folded = ranked.length > top;
  const rows = new Map(kept.map((k) => [k, new Array<number>(x.length).fill(0)]));
  const other = new Array<number>(x.length).fill(0);
  for (const p of points) {
    const i = index.get(Date.parse(p.start) / 1000);
    if (i === undefined) continue;
    const row = rows.get(p.key ?? '') ?? other;
    row[i] = (row[i] ?? 0) + p.cost_micros / 1_000_000;
  }
  const series = kept.map((k) => ({ label: k === '' ? '(no model)' : label(k), values: rows.get(k)! }));
  if (folded) series.push({ label: 'Other', values: other });
  return { x, series };
}

export interface LatencyPoint { start: string; runs: number; p50_ms: number; p95_ms: number; p99_ms: number }

/**
 * p50, p95 and p99 per bucket, in milliseconds; null where a bucket had no ended run (a gap in the line, not a latency
 * of 0).
 */
export function latencyColumns(points: readonly LatencyPoint[], x: number[]): { x: number[]; series: { label: string; values: (number | null)[] }[] } {
  const byStart = new Map(points.map((p) => [Date.parse(p.start) / 1000, p]));
  const column = (pick: (p: LatencyPoint) => number) => x.map((t) => { const p = byStart.get(t); return p ? pick(p) : null; });
  return { x, series: [{ label: 'p50', values: column((p) => p.p50_ms) }, { label: 'p95', values: column((p) => p.p95_ms) }, { label: 'p99', values: column((p) => p.p99_ms) }] };
}

/** Indexes of values with a gap (null) or the edge on both sides: a line cannot show them. */
export function isolated(values: readonly (number | null)[]): number[] {
  return values.flatMap((v, i) => (v !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null ? [i] : []));
}

/** Running sums bottom-up, for a stacked area chart: series i is drawn at the sum of series 0..i. */
export function stack(series: readonly { values: readonly number[] }[]): number[][] {
  const out: number[][] = [];
  series.forEach((s, i) => out.push(s.values.map((v, j) => v + (i > 0 ? out[i - 1]![j]! : 0))));
  return out;
}

/** The points of a sparkline (an SVG polyline) for values drawn left to right in a w × h box, zero at the bottom. */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((v, i) => `${+(i * step).toFixed(2)},${+(height - 1 - (v / max) * (height - 2)).toFixed(2)}`).join(' ');
}

/** Per key, its values in bucket order (zeros where a bucket has none): a sparse by-agent series made dense. */
export function countsByKey(points: readonly Point[], x: readonly number[]): Map<string, number[]> {
  const index = new Map(x.map((t, i) => [t, i]));
  const out = new Map<string, number[]>();
  for (const p of points) {
    const i = index.get(Date.parse(p.start) / 1000);
    if (i === undefined || !p.key) continue;
    let row = out.get(p.key);
    if (!row) out.set(p.key, (row = new Array<number>(x.length).fill(0)));
    row[i] = (row[i] ?? 0) + p.count;
  }
  return out;
}
