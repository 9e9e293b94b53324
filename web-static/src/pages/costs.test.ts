import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import { budgetsLine, costScope, costsCsvUrl, dailyAverage, presetRange } from './costs';

const budget = (state: string | null) => ({ status: state === null ? null : { state } }) as Schemas['BudgetView'];

describe('the costs page', () => {
  it('reads whose costs from the URL: an agent wins over a team', () => {
    expect(costScope(new URLSearchParams(''))).toEqual({ kind: 'org' });
    expect(costScope(new URLSearchParams('team=search'))).toEqual({ kind: 'team', name: 'search' });
    expect(costScope(new URLSearchParams('agent=a1&team=search'))).toEqual({ kind: 'agent', id: 'a1' });
    expect(costScope(new URLSearchParams('agent=&team='))).toEqual({ kind: 'org' });
  });

  it('ends quick ranges today, both days included', () => {
    expect(presetRange('7', '2026-03-05')).toEqual({ from: '2026-02-27', to: '2026-03-05' });
    expect(presetRange('30', '2026-03-05')).toEqual({ from: '2026-02-04', to: '2026-03-05' });
    expect(presetRange('month', '2026-03-05')).toEqual({ from: '2026-03-01', to: '2026-03-05' });
    expect(presetRange(undefined, '2026-03-05')).toEqual({ from: '2026-03-01', to: '2026-03-05' });
  });

  it('exports the CSV of the same scope and range', () => {
    expect(costsCsvUrl({ kind: 'org' }, { from: '2026-03-01', to: '' })).toBe('/costs/summary?format=csv&from=2026-03-01');
    expect(costsCsvUrl({ kind: 'team', name: 'a b' }, { from: '', to: '' })).toBe('/costs/by-team/a%20b?format=csv');
    expect(costsCsvUrl({ kind: 'agent', id: 'x/1' }, { from: '2026-03-01', to: '2026-03-02' })).toBe('/costs/by-agent/x%2F1?format=csv&from=2026-03-01&to=2026-03-02');
  });

  it('rounds a daily average to cents once it is a cent or more', () => {
    expect(dailyAverage(1.2345, 7)).toBe(0.18);
    expect(dailyAverage(0.0035, 7)).toBeCloseTo(0.0005);
  });

  it('sums up the active budgets, the worst state deciding the alert', () => {
    expect(budgetsLine([budget('ok'), budget(null)])).toEqual({ kind: 'info', text: '2 active budgets: 2 on track' });
    expect(budgetsLine([budget('warning'), budget('ok')])).toEqual({ kind: 'warning', text: '2 active budgets: 1 past a threshold, 1 on track' });
    expect(budgetsLine([budget('exceeded')])).toEqual({ kind: 'error', text: '1 active budget: 1 exceeded, 0 on track' });
  });
});
