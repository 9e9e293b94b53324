import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import { budgetRequest, budgetsCount, meterMarks, percentOf, periodLabel, teamsOf, type BudgetForm } from './budgets';

const form = (extra: Partial<BudgetForm> = {}): BudgetForm => ({
  name: 'Search monthly', scope: 'team', team: 'search', agentId: 'a1', period: 'monthly', rollingDays: '30',
  maxAmount: '10', thresholds: '50, 80, 100', autoPause: '', ...extra,
});
const budget = (state: string | null) => ({ status: state === null ? null : { state } }) as Schemas['BudgetView'];

describe('the budgets page', () => {
  it('sends only what the scope and period use', () => {
    const { body, errors } = budgetRequest(form(), false);
    expect(errors).toEqual({});
    expect(body).toEqual({
      name: 'Search monthly', scope: 'team', team: 'search', agent_id: null, period: 'monthly', rolling_days: null,
      max_amount_usd: 10, thresholds: [50, 80, 100], auto_pause_at_percent: null,
    });
    expect(budgetRequest(form({ scope: 'agent', period: 'rolling', rollingDays: '7', autoPause: '120' }), false).body)
      .toMatchObject({ team: null, agent_id: 'a1', rolling_days: 7, auto_pause_at_percent: 120 });
    expect(budgetRequest(form({ scope: 'agent', agentId: '' }), false).body.agent_id).toBeNull();
  });

  it('reads thresholds separated by commas, spaces or semicolons, with or without %', () => {
    expect(budgetRequest(form({ thresholds: '50%; 80 100%' }), false).body.thresholds).toEqual([50, 80, 100]);
    expect(budgetRequest(form({ thresholds: ' ' }), false).errors['$.thresholds']).toEqual(['needs at least one percentage, e.g. 50, 80, 100.']);
    expect(budgetRequest(form({ thresholds: '50, 80.5' }), false).errors['$.thresholds']).toEqual(['must be whole percentages separated by commas, e.g. 50, 80, 100.']);
  });

  it('finds the errors the API would, for the fields the form knows better', () => {
    expect(budgetRequest(form({ period: 'rolling', rollingDays: '' }), false).errors).toEqual({ '$.rolling_days': ['is required for a rolling budget.'] });
    expect(budgetRequest(form({ period: 'rolling', rollingDays: '1.5' }), false).errors).toEqual({ '$.rolling_days': ['must be a whole number.'] });
    expect(budgetRequest(form({ autoPause: '-3' }), false).errors).toEqual({ '$.auto_pause_at_percent': ['must be a whole number.'] });
    // A new budget's missing maximum is the API's to report; a change cannot leave it out (absent keeps the old one).
    expect(budgetRequest(form({ maxAmount: '' }), false)).toMatchObject({ body: { max_amount_usd: null }, errors: {} });
    expect(budgetRequest(form({ maxAmount: '' }), true).errors).toEqual({ '$.max_amount_usd': ['is required.'] });
  });

  it('marks the thresholds, the maximum past 100 % and the pause point on the meter', () => {
    expect(meterMarks({ thresholds: [50, 80, 100], auto_pause_at_percent: null }, [50])).toEqual({
      scale: 100,
      marks: [
        { percent: 50, kind: 'reached', label: 'Alert at 50 % (reached)' },
        { percent: 80, kind: '', label: 'Alert at 80 %' },
        { percent: 100, kind: '', label: 'Alert at 100 %' },
      ],
    });
    const past = meterMarks({ thresholds: [50, 80, 150], auto_pause_at_percent: 200 }, []);
    expect(past.scale).toBe(200);
    expect(past.marks.map((m) => [m.percent, m.kind])).toEqual([[50, ''], [80, ''], [150, ''], [100, 'max'], [200, 'pause']]);
  });

  it('names periods, percentages, counts and teams', () => {
    expect(periodLabel({ period: 'rolling', rolling_days: 1 })).toBe('Rolling, last 1 day');
    expect(periodLabel({ period: 'weekly', rolling_days: null })).toBe('Weekly');
    expect(percentOf(17.5)).toBe('17.5%');
    expect(budgetsCount([])).toBe('');
    expect(budgetsCount([budget('exceeded'), budget('ok'), budget(null)])).toBe('3 budgets · 1 exceeded');
    expect(teamsOf([{ team: 'search' }, { team: null }, { team: 'billing' }, { team: 'search' }])).toEqual(['billing', 'search']);
  });
});
