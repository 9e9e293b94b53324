// A time-series chart: uPlot (canvas; ~50 KB minified; built for time series with thousands of points, which is what
// the overview and agent trends draw — a general-purpose chart library would be several times larger and slower to
// draw). The chart sizes itself to its container, shows values in its legend as the cursor moves, and reports a
// horizontal drag as a time window (onSelect). Every chart carries a text alternative: a data table for screen readers.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../lib/dom';
import { isolated, stack } from '../lib/series';

export interface ChartSeries {
  label: string;
  /** One per x; null is a gap (lines only; bars and stacked areas count it as 0). */
  values: readonly (number | null)[];
  /** A CSS custom property name (--chart-1) or a colour. */
  color: string;
}

export interface TimeChartOptions {
  /** Names the chart for assistive technology and heads its data table. */
  title: string;
  x: number[];
  series: ChartSeries[];
  /** bars (runs and errors, drawn over each other), a stacked area (cost by model) or lines (latency percentiles). */
  kind: 'bars' | 'stacked' | 'lines';
  format: (value: number) => string;
  height?: number;
  /** A drag across the chart: the window's bounds in seconds since the epoch. */
  onSelect?: (fromSeconds: number, toSeconds: number) => void;
}

const COUNT_STEPS = Array.from({ length: 9 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat().concat([25, 250, 2500, 25_000]).sort((a, b) => a - b);

function resolveColor(color: string): string {
  if (!color.startsWith('--')) return color;
  return getComputedStyle(document.documentElement).getPropertyValue(color).trim() || '#888';
}

function translucent(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color)?.[1];
  if (!hex) return color;
  const n = Number.parseInt(hex, 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** The chart in a figure; it draws once it is in the page (its width is known) and follows the figure's width. */
export function timeChart(options: TimeChartOptions): HTMLElement {
  const canvasHost = h('div', { class: 'chart-canvas', role: 'img', 'aria-label': `${options.title} (chart; the data follows as a table)` });
  const figure = h('figure', { class: 'chart' }, canvasHost, dataTable(options));
  let plot: uPlot | null = null;
  const observer = new ResizeObserver((entries) => {
    // Left the page (the view changed): an observed element that leaves the document is reported once more, at size 0.
    if (!canvasHost.isConnected) { observer.disconnect(); plot?.destroy(); plot = null; return; }
    const width = Math.floor(entries[0]?.contentRect.width ?? 0);
    if (width <= 0) return;
    if (plot) plot.setSize({ width, height: plot.height });
    else plot = draw(canvasHost, options, width);
  });
  observer.observe(canvasHost);
  return figure;
}

function draw(host: HTMLElement, options: TimeChartOptions, width: number): uPlot {
  const colors = options.series.map((s) => resolveColor(s.color));
  const stacked = options.kind === 'stacked';
  // Stacked areas are drawn top of the stack first, so each lower band paints over the one above it.
  const order = stacked ? options.series.map((_, i) => options.series.length - 1 - i) : options.series.map((_, i) => i);
  const lines = options.kind === 'lines';
  const zeroed = options.series.map((s) => ({ values: s.values.map((v) => v ?? 0) }));
  const sums: (number | null)[][] = stacked ? stack(zeroed) : lines ? options.series.map((s) => [...s.values]) : zeroed.map((s) => s.values);
  const bars = uPlot.paths.bars!({ size: [0.7, 48], align: 0 });
  const series: uPlot.Series[] = [
    {},
    ...order.map((i): uPlot.Series => ({
      label: options.series[i]!.label,
      stroke: colors[i],
      fill: lines ? undefined : stacked ? translucent(colors[i]!, 0.85) : translucent(colors[i]!, 0.9),
      width: lines ? 2 : stacked ? 1 : 0,
      paths: stacked || lines ? undefined : bars,
      // Points where there is room for them; a lone bucket between gaps would draw nothing as a line, so its point is
      // drawn however dense the chart.
      points: lines
        ? { show: (_u, _si, i0, i1) => i1 - i0 < 40, filter: (_u, _si, show) => (show ? null : isolated(options.series[i]!.values)), size: 5 }
        : { show: false },
      spanGaps: false,
      // The legend shows the series' own value, not the running sum a stacked band is drawn at.
      value: (_u, _v, _si, idx) => {
        const v = idx === null || idx === undefined ? undefined : options.series[i]!.values[idx];
        return v === undefined || v === null && lines ? '—' : options.format(v ?? 0);
      },
    })),
  ];
  const data = [options.x, ...order.map((i) => sums[i]!)] as uPlot.AlignedData;
  const muted = resolveColor('--text-muted');
  const grid = resolveColor('--border');
  return new uPlot({
    width,
    height: options.height ?? 220,
    series,
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      // uPlot's own time labels: they thin out and switch grain (hours, days) with the space there is.
      { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, space: 60 },
      {
        stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { show: false }, size: 64, values: (_u, ticks) => ticks.map((t) => options.format(t)),
        // Counts step in whole numbers (a run is not divisible): 1, 2, 5, 10, 25, 50, … up to 10⁹.
        ...(options.kind === 'bars' ? { incrs: COUNT_STEPS } : {}),
      },
    ],
    legend: { live: true },
    cursor: { drag: { x: !!options.onSelect, y: false, setScale: false }, points: { show: false } },
    hooks: {
      setSelect: [(u) => {
        if (!options.onSelect || u.select.width < 4) return;
        const from = u.posToVal(u.select.left, 'x');
        const to = u.posToVal(u.select.left + u.select.width, 'x');
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        options.onSelect(from, to);
      }],
    },
  }, data, host);
}

/** The same numbers as a table, for screen readers (and for anyone who would rather read than look). */
function dataTable(options: TimeChartOptions): HTMLElement {
  const time = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return h('table', { class: 'sr-only' },
    h('caption', {}, options.title),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'), options.series.map((s) => h('th', { scope: 'col' }, s.label)))),
    h('tbody', {}, options.x.map((t, i) => h('tr', {},
      h('th', { scope: 'row' }, time.format(t * 1000)),
      options.series.map((s) => h('td', {}, s.values[i] === null && options.kind === 'lines' ? '—' : options.format(s.values[i] ?? 0)))))));
}
