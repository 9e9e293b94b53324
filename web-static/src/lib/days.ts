// Calendar days of the organization (yyyy-MM-dd), as cost reports and budget periods count them. They are formatted
// at UTC midnight so that the browser's own time zone cannot move them to the day before.

const short = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const medium = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

const dayDate = (day: string): Date => new Date(`${day}T00:00:00Z`);

/** "Mar 4": a chart's axis. */
export const dayLabel = (day: string): string => short.format(dayDate(day));

/** "Wed, Mar 4, 2026": a tooltip or a table row. */
export const longDay = (day: string): string => weekday.format(dayDate(day));

export function addDays(day: string, n: number): string {
  const d = dayDate(day);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** "Mar 1 – 14, 2026" (both days included). */
export function dayRange(from: string, to: string): string {
  if (from === to) return medium.format(dayDate(from));
  try { return medium.formatRange(dayDate(from), dayDate(to)); } catch { return `${medium.format(dayDate(from))} – ${medium.format(dayDate(to))}`; }
}

/** The day it is at `now` in a time zone (the organization's: the calendar of costs and budgets); an unknown zone is the browser's. */
export function todayIn(timeZone: string | null | undefined, now = new Date()): string {
  const parts = (zone: string | undefined) => Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(now).map((p) => [p.type, p.value]));
  let p: Record<string, string>;
  try { p = parts(timeZone || 'UTC'); } catch { p = parts(undefined); }
  return `${p.year}-${p.month}-${p.day}`;
}
