import { describe, expect, it } from 'vitest';
import { comparison, depthOf, fromJson, group, nodeForPath, parseLiteral, paths, replace, splitList, toJson, valueText, type Condition, type Group } from './conditions';

const templates = [
  { all: [{ field: 'action.type', operator: 'equals', value: 'apply_discount' }, { field: 'action.discount_percent', operator: 'greater_than', value: 10 }] },
  { all: [{ field: 'action.type', operator: 'equals', value: 'send_email' }, { not: { field: 'action.to', operator: 'regex', value: '@example\\.com$' } }] },
  { all: [{ field: 'agent.tags', operator: 'contains', value: 'prod' }, { field: 'action.type', operator: 'starts_with', value: 'delete' }] },
  { any: [{ field: 'agent.team', operator: 'in', value: ['support', 'sales, EMEA', 7, '7', true] }, { all: [{ field: 'run.id', operator: 'exists' }, { field: 'context.user', operator: 'exists', value: false }] }] },
  { all: [{ field: 'action.to', operator: 'in', value: ['a"b', 'c\\d', 'e\\', 'f'] }] },
  { all: [{ field: 'action.note', operator: 'equals', value: '10' }, { field: 'action.flag', operator: 'not_equals', value: null }, { field: 'action.x', operator: 'regex', value: '42' }, { field: 'action.s', operator: 'equals', value: ' padded ' }] },
];

const built = (json: unknown): Group => {
  const r = fromJson(json);
  if ('error' in r) throw new Error(r.error);
  return r.condition;
};

describe('the condition builder model', () => {
  it('round-trips every template and the awkward values (quoted numbers, commas in lists, null, padded text) unchanged', () => {
    for (const t of templates) expect(toJson(built(t))).toEqual(t);
  });

  it('reads what a person types: numbers, true/false/null as such, quotes for text that would read as one, lists split outside quotes', () => {
    expect(parseLiteral('10')).toBe(10);
    expect(parseLiteral(' -2.5e3 ')).toBe(-2500);
    expect(parseLiteral('"10"')).toBe('10');
    expect(parseLiteral('true')).toBe(true);
    expect(parseLiteral('refund')).toBe('refund');
    expect(parseLiteral('"unterminated')).toBe('"unterminated');
    expect(splitList('a, "b, c",, 3')).toEqual(['a', '"b, c"', '3']);
    expect(valueText(['x', 'y, z'], 'in')).toBe('x, "y, z"');
    expect(valueText('12', 'regex')).toBe('12');
  });

  it('wraps a bare comparison or a negated root in an all of one, which means the same', () => {
    const bare = { field: 'action.type', operator: 'equals', value: 'x' };
    expect(toJson(built(bare))).toEqual({ all: [bare] });
    expect(toJson(built({ not: bare }))).toEqual({ all: [{ not: bare }] });
  });

  it('refuses what it cannot draw, saying why, so the JSON mode keeps it', () => {
    expect(fromJson({ field: 'a.b', operator: 'equals', value: { deep: 1 } })).toEqual({ error: expect.stringContaining('structured value') });
    expect(fromJson({ all: [{ field: 'a.b', operator: 'equals', value: 1, extra: 2 }] })).toEqual({ error: expect.stringContaining('extra') });
    expect(fromJson([1])).toEqual({ error: expect.stringContaining('not a condition') });
    let deep: unknown = { field: 'a.b', operator: 'exists' };
    for (let i = 0; i < 10; i++) deep = { all: [deep] };
    expect(fromJson(deep)).toEqual({ error: expect.stringContaining('deeper') });
  });

  it('sends a value of the wrong type as typed, for the API to name', () => {
    expect(toJson(comparison('run.cost_usd', 'greater_than', 'lots'))).toEqual({ field: 'run.cost_usd', operator: 'greater_than', value: 'lots' });
  });

  it('names each row by the JSON path the API reports errors at, negations included', () => {
    const root = built(templates[1]);
    const index = paths(root);
    const [first, second] = root.items as [Condition, Condition];
    expect(index.get(root)).toBe('$.conditions');
    expect(index.get(first)).toBe('$.conditions.all[0]');
    expect(index.get(second)).toBe('$.conditions.all[1].not');
    expect(nodeForPath(index, '$.conditions.all[1].not.value')).toBe(second);
    expect(nodeForPath(index, '$.conditions.all[0].field')).toBe(first);
    expect(nodeForPath(index, '$.conditions')).toBe(root);
    expect(nodeForPath(index, '$.name')).toBeUndefined();
  });

  it('replaces and removes nodes without touching the rest, and knows their depth', () => {
    const inner = group('any', [comparison('a.x')]);
    const keep = comparison('a.y');
    const root = group('all', [keep, inner]);
    const next = replace(root, inner.items[0]!, null);
    expect(next.items[0]).toBe(keep);
    expect((next.items[1] as Group).items).toHaveLength(0);
    expect(root.items[1]).toBe(inner);
    expect(depthOf(root, inner.items[0]!)).toBe(2);
    expect(depthOf(root, comparison())).toBe(-1);
  });
});
