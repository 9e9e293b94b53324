import { describe, expect, it } from 'vitest';
import { controlAgentName, controlReason, pausedOnPurpose, stayPausedText } from './controls';

describe('the controls page', () => {
  it('counts the agents paused on purpose apart from those the switch paused', () => {
    expect(pausedOnPurpose({ paused_agents: 5, paused_by_kill_switch: 3 })).toBe(2);
    expect(stayPausedText(1)).toBe('1 agent paused on purpose stays paused.');
    expect(stayPausedText(2)).toBe('2 agents paused on purpose stay paused.');
  });

  it('reads the reason where each kind of control row keeps it', () => {
    expect(controlReason({ after: { reason: 'incident' } })).toBe('incident');
    expect(controlReason({ after: { status: 'paused', paused_reason: 'looping' } })).toBe('looping');
    expect(controlReason({ after: null })).toBeNull();
    expect(controlReason({ after: 'not an object' })).toBeNull();
  });

  it('names the agent of a pause or resume row, and no agent for the switch', () => {
    expect(controlAgentName({ entity_type: 'agent', before: { name: 'old' }, after: { name: 'alpha' } })).toBe('alpha');
    expect(controlAgentName({ entity_type: 'agent', before: { name: 'alpha' }, after: null })).toBe('alpha');
    expect(controlAgentName({ entity_type: 'agent', before: null, after: { status: 'paused' } })).toBeNull();
    expect(controlAgentName({ entity_type: 'organization', before: null, after: { name: 'Acme' } })).toBeNull();
  });
});
