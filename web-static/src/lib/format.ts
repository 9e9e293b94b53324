// Numbers as people read them on the dashboard. Pure; the locale is the browser's (Intl), fixed in tests.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const usd = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usdSmall = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });

export const DASH = '—';

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined ? DASH : integer.format(n);
}

/** "1 day", "3 days", "1,200 calls". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${integer.format(n)} ${n === 1 ? one : many}`;
}

/** A count the server stops at: "1,000+" when there are more. */
export const fmtCount = (n: number, more: boolean): string => `${integer.format(n)}${more ? '+' : ''}`;

/** 1.2K, 3.4M: for cards and axes, where the exact figure is one hover away. */
export function fmtCompact(n: number | null | undefined): string {
  return n === null || n === undefined ? DASH : Math.abs(n) < 10_000 ? integer.format(n) : compact.format(n);
}

export function fmtPercent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio) ? DASH : percent.format(ratio);
}

/** Money from integer micro-dollars (the API's exact unit): cents above a dollar, up to four decimals below. */
export function fmtMicros(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return DASH;
  const dollars = micros / 1_000_000;
  return Math.abs(dollars) >= 1 || dollars === 0 ? usd.format(dollars) : usdSmall.format(dollars);
}

/**
 * US dollars (the API's decimal amounts, e.g. cost_usd) with 2 to 4 decimals; amounts that round to nothing say so
 * rather than "$0.00".
 */
export function fmtUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return DASH;
  const n = Number(usd);
  if (n > 0 && n < 0.00005) return `< ${usdSmall.format(0.0001)}`;
  return usdSmall.format(n);
}

/** 850 ms, 4.2 s, 3 min 5 s, 2 h 4 min. */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH;
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  // Rounded first, so 9,960 ms reads "10 s" and 59,950 ms "1 min", not "10.0 s" and "60 s".
  if (Math.round(s * 10) / 10 < 10) return `${(Math.round(s * 10) / 10).toFixed(1)} s`;
  if (Math.round(s) < 60) return `${Math.round(s)} s`;
  const totalSeconds = Math.round(s);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes} min${totalSeconds % 60 ? ` ${totalSeconds % 60} s` : ''}`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/**
 * 850 ms, 4.49 s, 3 min 05 s, 2 h 03 min: a clock-like duration (jobs, orchestration steps, agents, webhook
 * deliveries), steadier in a column than fmtDuration's shortest form.
 */
export function fmtElapsed(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** 512 B, 1.5 KiB, 2.25 MiB. */
export function fmtBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

export type Trend = 'up' | 'down' | 'flat' | 'new' | 'none';

export interface Delta {
  trend: Trend;
  /** "+12%", "−3.4%", "new", "" */
  text: string;
  /** Whether the change is good news (for runs more is good; for errors, latency and cost, less is). */
  good: boolean | null;
}

/**
 * The change from the previous period. A relative change for counts and money; for a rate (error rate) the
 * difference in percentage points. Changes under 0.5 % (or 0.05 points) are flat.
 */
export function delta(current: number | null | undefined, previous: number | null | undefined, { higherIsBetter = true, points = false } = {}): Delta {
  if (current === null || current === undefined || previous === null || previous === undefined) return { trend: 'none', text: '', good: null };
  if (!points && previous === 0) return current === 0 ? { trend: 'flat', text: '±0%', good: null } : { trend: 'new', text: 'new', good: null };
  const change = points ? (current - previous) * 100 : (current - previous) / Math.abs(previous) * 100;
  if (Math.abs(change) < (points ? 0.05 : 0.5)) return { trend: 'flat', text: points ? '±0 pt' : '±0%', good: null };
  const trend: Trend = change > 0 ? 'up' : 'down';
  const magnitude = Math.abs(change);
  const digits = magnitude < 10 ? 1 : 0;
  const text = `${change > 0 ? '+' : '−'}${magnitude.toFixed(digits)}${points ? ' pt' : '%'}`;
  return { trend, text, good: (trend === 'up') === higherIsBetter };
}
