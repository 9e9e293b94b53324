// A daily bar chart of money as inline SVG (costs per day, a budget's spend per day). Sized by its viewBox so that it
// follows its container's width: a money axis with a few round ticks, a few day labels, a <title> tooltip per day
// (days without spend stay gaps) and, for screen readers, a summary as the image's name and the same data as a
// visually hidden table.
import { dayLabel, dayRange, longDay } from '../lib/days';
import { h } from '../lib/dom';
import { fmtInt, fmtUsd, plural } from '../lib/format';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** About `count` round steps from 0 to at least `max` (1, 2, 2.5 or 5 × 10ⁿ). */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * 0.999) ?? 10 * magnitude;
  const steps = Math.max(1, Math.ceil(max / step - 1e-9));
  return Array.from({ length: steps + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/** The fewest decimals (0, 2, 3 or 4) that show every axis value exactly ($0, $0.25, $0.0005). */
export function axisDecimals(values: readonly number[]): number {
  return [0, 2, 3, 4].find((d) => values.every((v) => Math.abs(v * 10 ** d - Math.round(v * 10 ** d)) < 1e-6)) ?? 4;
}

/** The chart's name for screen readers: the range, the total, the peak day and how many days had nothing. */
export function chartSummary(title: string, days: readonly string[], values: readonly number[]): string {
  const max = Math.max(0, ...values);
  const total = values.reduce((a, b) => a + b, 0);
  const range = days.length ? dayRange(days[0]!, days[days.length - 1]!) : '';
  if (!(max > 0)) return `${title}, ${range}: nothing spent.`;
  const peak = days[values.indexOf(max)]!;
  const empty = values.filter((v) => v <= 0).length;
  return `${title}, ${range}: ${fmtUsd(total)} in total; highest ${fmtUsd(max)} on ${longDay(peak)}; ${plural(empty, 'day')} of ${fmtInt(days.length)} without any.`;
}

type SvgChild = SVGElement | string | null | false;

function svgEl(tag: string, attrs: Record<string, string | number | null | undefined> = {}, ...children: (SvgChild | readonly SvgChild[])[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const child of children.flat()) if (child !== null && child !== false) el.append(child);
  return el;
}

export interface DailyChartOptions<D> {
  title: string;
  /** The day's amount in US dollars. */
  value: (day: D) => number;
  /** Best the space it will get (text then keeps its size); the chart scales from there. */
  width?: number;
  height?: number;
  /** More for a day's tooltip ("3 calls"). */
  details?: ((day: D) => string) | null;
}

export function dailyChart<D extends { day: string }>(days: readonly D[], { title, value, width = 960, height = 260, details = null }: DailyChartOptions<D>): HTMLElement {
  width = Math.round(Math.min(1200, Math.max(320, width || 960)));
  if (width < 560) height = Math.min(height, 200);
  const M = { top: 14, right: 14, bottom: 30, left: 72 };
  const plotW = width - M.left - M.right;
  const plotH = height - M.top - M.bottom;
  const values = days.map((d) => Number(value(d)) || 0);
  const max = Math.max(0, ...values);
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] || 1;
  const decimals = axisDecimals(ticks);
  const format = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  const y = (v: number) => M.top + plotH - (v / top) * plotH;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(1, slot * (days.length > 60 ? 0.8 : 0.66));
  const labelEvery = Math.max(1, Math.ceil(days.length / Math.max(2, Math.min(8, Math.floor(plotW / 72)))));
  const round = (n: number) => Math.round(n * 100) / 100;

  const grid = ticks.map((t) => svgEl('g', {},
    svgEl('line', { x1: M.left, x2: width - M.right, y1: round(y(t)), y2: round(y(t)), class: t === 0 ? 'chart-axis' : 'chart-grid' }),
    svgEl('text', { x: M.left - 8, y: round(y(t)) + 4, class: 'chart-label', 'text-anchor': 'end' }, format.format(t))));
  const bars = days.map((d, i) => {
    const v = values[i] ?? 0;
    const x = M.left + i * slot;
    const tip = [`${longDay(d.day)}: ${fmtUsd(v)}`, details?.(d)].filter(Boolean).join(' · ');
    return svgEl('g', { class: `chart-day${v > 0 ? '' : ' empty'}` },
      svgEl('title', {}, tip),
      svgEl('rect', { x: round(x), y: M.top, width: round(slot), height: plotH, class: 'chart-hit' }),
      v > 0 && svgEl('rect', {
        x: round(x + (slot - barW) / 2), width: round(barW),
        // Small amounts stay visible: at least 1.5 units tall.
        y: round(Math.min(y(v), M.top + plotH - 1.5)), height: round(Math.max(1.5, (v / top) * plotH)), class: 'chart-bar',
      }));
  });
  const labels = days.map((d, i) => {
    if (i % labelEvery !== 0) return null;
    const cx = M.left + i * slot + slot / 2;
    const anchor = cx > width - M.right - 24 ? 'end' : 'middle';
    return svgEl('text', { x: round(anchor === 'end' ? width - M.right : cx), y: height - 10, class: 'chart-label', 'text-anchor': anchor }, dayLabel(d.day));
  });
  const summary = chartSummary(title, days.map((d) => d.day), values);
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img', 'aria-label': summary, preserveAspectRatio: 'xMidYMid meet' },
    grid,
    svgEl('g', { class: 'chart-bars' }, bars),
    labels,
    max > 0 ? null : svgEl('text', { x: M.left + plotW / 2, y: M.top + plotH / 2, class: 'chart-empty', 'text-anchor': 'middle' }, 'Nothing spent in this range'));
  const table = h('table', { class: 'sr-only' },
    h('caption', {}, `${title}, one row per day`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col' }, 'Amount'))),
    h('tbody', {}, days.map((d, i) => h('tr', {}, h('th', { scope: 'row' }, longDay(d.day)), h('td', {}, fmtUsd(values[i]))))));
  return h('figure', { class: 'chart' }, h('div', { class: 'chart-scroll' }, svg), table);
}
