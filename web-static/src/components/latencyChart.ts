// Latency over time: p50, p95 and p99 of run duration per bucket, as lines with gaps where no run ended (the overview
// and the agent page draw it).
import type { Schemas } from '../api/client';
import { fmtDuration } from '../lib/format';
import { latencyColumns } from '../lib/series';
import { emptyState } from './panels';
import { timeChart } from './timeChart';

export function latencyChart(points: readonly Schemas['LatencyPoint'][], x: number[], title: string): HTMLElement {
  return points.length === 0
    ? emptyState('No ended runs in this window', 'Durations appear once runs end.')
    : timeChart({
      title: `${title} (p50, p95, p99)`, x, kind: 'lines', format: (v) => fmtDuration(Math.round(v)),
      series: latencyColumns(points, x).series.map((series, i) => ({ ...series, color: ['--chart-3', '--chart-2', '--danger'][i]! })),
    });
}
