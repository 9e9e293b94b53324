// Moments (ISO 8601 instants from the API) as people read them: a date or date and time in the browser's zone, or
// relative ("3 hours ago"), with the exact UTC time one hover away.
import { h } from '../lib/dom';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

const UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [['minute', 60], ['hour', 3600], ['day', 86400], ['month', 2592000], ['year', 31536000]];

/** "just now", "in 5 minutes", "3 days ago" (from `now`). */
export function relative(iso: string, now = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 45) return seconds < 0 ? 'just now' : 'in a few seconds';
  let unit = UNITS[0]!;
  for (const candidate of UNITS) if (abs >= candidate[1] * 0.95) unit = candidate;
  return relativeFormat.format(Math.round(seconds / unit[1]), unit[0]);
}

/** A <time> showing a date (or date and time, or relative), with the exact UTC time as a tooltip; a dash when there is none. */
export function timeEl(iso: string | null | undefined, { withTime = false, rel = false } = {}): HTMLElement {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const at = new Date(iso);
  const text = rel ? relative(iso) : (withTime ? dateTime : date).format(at);
  return h('time', { datetime: at.toISOString(), title: `${dateTime.format(at)} (${at.toISOString().replace('.000Z', 'Z')})` }, text);
}

const shortDateTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

/** "Nov 21, 7:47 PM" (the year when it is not this one), the exact time as a tooltip: for wide tables. */
export function shortTimeEl(iso: string): HTMLElement {
  const at = new Date(iso);
  const text = at.getFullYear() === new Date().getFullYear() ? shortDateTime.format(at) : dateTime.format(at);
  return h('time', { datetime: at.toISOString(), title: `${dateTime.format(at)} (${at.toISOString()})` }, text);
}

/** The exact instant, in UTC to the millisecond (titles and detail panels: what a relative time stands for). */
export function exactTime(iso: string): string {
  return `${new Date(iso).toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

const timeOfDayFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** "2:43:31 PM": when a page last read what it shows ("Checked at …", "Updated …"). */
export const timeOfDay = (at: Date): string => timeOfDayFormat.format(at);
