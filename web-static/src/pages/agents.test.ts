import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import { agentCountText, agentParams, agentsHash, agentStatusOf, distinctSorted, parseTags, replaceKeepingStats, sparkWeek } from './agents';

const agent = (over: Partial<Schemas['AgentView']>): Schemas['AgentView'] => ({
  auto_registered: false, config: {}, created_at: '2026-01-01T00:00:00Z', environment: null, id: 'a1', name: 'bot', paused_by_kill_switch: false,
  paused_reason: null, provider: null, stats: null, status: 'active', tags: [], team: null, type: 'custom', updated_at: '2026-01-01T00:00:00Z', ...over,
});

describe('agents list', () => {
  it('writes the filters into the hash, empty ones left out', () => {
    expect(agentsHash({ status: '', environment: '', tag: '' })).toBe('#/agents');
    expect(agentsHash({ status: 'paused', environment: 'prod', tag: 'tier 1' })).toBe('#/agents?status=paused&environment=prod&tag=tier+1');
    expect(agentParams({ status: '', environment: '', tag: 'x' }).toString()).toBe('tag=x');
  });

  it('counts the agents', () => {
    expect(agentCountText(0, false)).toBe('0 agents');
    expect(agentCountText(1, false)).toBe('1 agent');
    expect(agentCountText(100, true)).toBe('100 agents loaded, more available');
  });

  it('shows statuses, unknown ones as they are', () => {
    expect(agentStatusOf('paused').kind).toBe('warning');
    expect(agentStatusOf('odd')).toEqual({ label: 'odd', kind: 'neutral', help: null });
  });

  it('suggests distinct values, sorted', () => {
    expect(distinctSorted(['staging', null, 'production', '', 'staging', undefined])).toEqual(['production', 'staging']);
  });

  it('reads the tags field', () => {
    expect(parseTags(' support, tier-1 ,, ')).toEqual(['support', 'tier-1']);
    expect(parseTags('')).toEqual([]);
  });

  it('takes the week of the sparklines from midnight UTC six days ago', () => {
    const { from, to } = sparkWeek(Date.parse('2026-03-10T15:04:05.678Z'));
    expect(to.toISOString()).toBe('2026-03-10T15:04:05.000Z');
    expect(from.toISOString()).toBe('2026-03-04T00:00:00.000Z');
  });

  it('keeps the stats shown when an answer carries none', () => {
    const stats = { cost_micros: 0, cost_usd: 0, error_rate: null, events: 3, failed_runs: 0, llm_calls: 1, p95_latency_ms: null, runs: 2, unpriced_calls: 0 };
    const shown = [agent({ id: 'a1', stats }), agent({ id: 'a2' })];
    const next = replaceKeepingStats(shown, agent({ id: 'a1', status: 'paused' }));
    expect(next[0]).toMatchObject({ id: 'a1', status: 'paused', stats });
    expect(next[1]).toBe(shown[1]);
  });
});
