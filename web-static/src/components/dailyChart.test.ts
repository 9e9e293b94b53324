import { describe, expect, it } from 'vitest';
import { axisDecimals, chartSummary, niceTicks } from './dailyChart';

describe('the daily chart', () => {
  it('puts a few round ticks up to at least the highest day', () => {
    expect(niceTicks(0)).toEqual([0]);
    expect(niceTicks(3.75)).toEqual([0, 1, 2, 3, 4]);
    expect(niceTicks(10)).toEqual([0, 2.5, 5, 7.5, 10]);
    expect(niceTicks(0.0012)).toEqual([0, 0.0005, 0.001, 0.0015]);
  });

  it('shows the axis with as few decimals as its values need', () => {
    expect(axisDecimals([0, 1, 2])).toBe(0);
    expect(axisDecimals([0, 2.5, 5])).toBe(2);
    expect(axisDecimals([0, 0.0005, 0.001])).toBe(4);
  });

  it('names the total, the peak and the empty days', () => {
    const summary = chartSummary('Daily cost', ['2026-03-01', '2026-03-02', '2026-03-03'], [1.25, 0, 2.5]);
    expect(summary).toMatch(/^Daily cost, .*: \$3\.75 in total; highest \$2\.50 on .*; 1 day of 3 without any\.$/);
    expect(chartSummary('Daily cost', ['2026-03-01'], [0])).toMatch(/nothing spent\.$/);
  });
});
