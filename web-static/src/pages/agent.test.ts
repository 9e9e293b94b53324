import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import { actorName, budgetsOver } from './agent';

const budget = (id: string, scope: string, extra: Partial<Schemas['BudgetView']> = {}) => ({ id, scope, team: null, agent_id: null, ...extra }) as Schemas['BudgetView'];

describe('the agent page', () => {
  it('finds the budgets that cover an agent: the organization, its team, itself', () => {
    const all = [budget('org', 'org'), budget('mine', 'agent', { agent_id: 'a1' }), budget('other', 'agent', { agent_id: 'a2' }),
      budget('team', 'team', { team: 'search' }), budget('other-team', 'team', { team: 'billing' })];
    expect(budgetsOver({ id: 'a1', team: 'search' }, all).map((b) => b.id)).toEqual(['org', 'mine', 'team']);
    expect(budgetsOver({ id: 'a1', team: null }, all).map((b) => b.id)).toEqual(['org', 'mine']);
  });

  it('names who acted', () => {
    const names = new Map<string | null, string>([['u1', 'Ada']]);
    expect(actorName({ actor_type: 'user', actor_id: 'u1' }, names)).toBe('Ada');
    expect(actorName({ actor_type: 'user', actor_id: 'gone' }, names)).toBe('a former member');
    expect(actorName({ actor_type: 'system', actor_id: null }, names)).toBe('AgentOps (automatic)');
    expect(actorName({ actor_type: 'api_key', actor_id: 'k' }, names)).toBe('an API key');
  });
});
