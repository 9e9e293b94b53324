import { describe, expect, it } from 'vitest';
import { ancestors, failed, hiddenByCollapse, matches, step, subtreeEnd } from './trace';

// a
//   b
//     c
//   d
// e
const rows = [{ id: 'a', depth: 0 }, { id: 'b', depth: 1 }, { id: 'c', depth: 2 }, { id: 'd', depth: 1 }, { id: 'e', depth: 0 }];

const event = (over: Partial<Parameters<typeof matches>[0]> = {}) => ({
  id: 'ev1', type: 'llm.call', name: null, model: null, provider: null, tool_name: null, status: null, error: null, input: null, output: null, metadata: null, ...over,
});

describe('trace tree', () => {
  it('finds the end of a subtree', () => {
    expect(subtreeEnd(rows, 0)).toBe(4);
    expect(subtreeEnd(rows, 1)).toBe(3);
    expect(subtreeEnd(rows, 2)).toBe(3);
    expect(subtreeEnd(rows, 4)).toBe(5);
  });

  it('hides the descendants of collapsed rows, not the rows themselves', () => {
    expect(hiddenByCollapse(rows, new Set(['b']))).toEqual([false, false, true, false, false]);
    expect(hiddenByCollapse(rows, new Set(['a', 'b']))).toEqual([false, true, true, true, false]);
    expect(hiddenByCollapse(rows, new Set())).toEqual([false, false, false, false, false]);
  });

  it('lists ancestors nearest first', () => {
    expect(ancestors(rows, 2)).toEqual([1, 0]);
    expect(ancestors(rows, 3)).toEqual([0]);
    expect(ancestors(rows, 4)).toEqual([]);
  });

  it('steps over hidden rows and stops at the ends', () => {
    const shown = [true, false, false, true, true];
    expect(step(shown, null, 1)).toBe(0);
    expect(step(shown, 0, 1)).toBe(3);
    expect(step(shown, 4, 1)).toBeNull();
    expect(step(shown, null, -1)).toBe(4);
    expect(step(shown, 3, -1)).toBe(0);
    expect(step(shown, 0, -1)).toBeNull();
  });
});

describe('events', () => {
  it('reads failure from the error, the status or the type', () => {
    expect(failed(event({ error: 'boom' }))).toBe(true);
    expect(failed(event({ status: 'TIMEOUT' }))).toBe(true);
    expect(failed(event({ type: 'error' }))).toBe(true);
    expect(failed(event({ status: 'ok' }))).toBe(false);
  });

  it('matches every word anywhere, case-insensitively, metadata included', () => {
    const e = event({ name: 'Search flights', input: '{"to":"Oslo"}', metadata: { region: 'EU-North' } });
    expect(matches(e, 'oslo')).toBe(true);
    expect(matches(e, 'flights eu-north')).toBe(true);
    expect(matches(e, 'flights paris')).toBe(false);
    expect(matches(e, '   ')).toBe(false);
  });
});
