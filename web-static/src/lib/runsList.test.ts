import { describe, expect, it } from 'vitest';
import { parseViews, runState, runsQuery, SAVED_VIEWS_MAX, shownColumns, stateParams, toCsv, withView } from './runsList';

describe('runs list filters', () => {
  it('turns a preset range into a rolling from, and drops empty filters', () => {
    const state = runState(new URLSearchParams('range=24h&status=failed&from=2020-01-01T00:00:00Z&junk=1'));
    expect(state.from).toBe('');
    expect(runsQuery(state, new Date('2026-12-06T12:00:00.500Z'))).toEqual({ status: 'failed', from: '2026-12-05T12:00:00.000Z' });
  });

  it('keeps a custom from-to and ignores an unknown range', () => {
    const state = runState(new URLSearchParams('range=2y&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z'));
    expect(runsQuery(state, new Date())).toEqual({ from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' });
  });

  it('writes parameters in a stable order without empty ones', () => {
    expect(stateParams({ tag: 'x', q: 'refund', agent: '' }).toString()).toBe('q=refund&tag=x');
  });
});

describe('columns', () => {
  it('shows the initial set, a stored choice, and always the run link', () => {
    expect(shownColumns(null).map((c) => c.id)).toContain('cost');
    expect(shownColumns(['models', 'nope']).map((c) => c.id)).toEqual(['run', 'models']);
    expect(shownColumns(['nope']).length).toBe(shownColumns(null).length);
  });
});

describe('saved views', () => {
  it('replaces a view of the same name, newest first', () => {
    const views = withView([{ name: 'Failed', query: 'status=failed' }, { name: 'Costly', query: 'sort=cost' }], { name: ' failed ', query: 'status=failed&range=7d' });
    expect(views).toEqual([{ name: 'failed', query: 'status=failed&range=7d' }, { name: 'Costly', query: 'sort=cost' }]);
  });

  it('refuses an empty name and more than the maximum', () => {
    expect(withView([], { name: '  ', query: '' })).toHaveProperty('error');
    const full = Array.from({ length: SAVED_VIEWS_MAX }, (_, i) => ({ name: `v${i}`, query: '' }));
    expect(withView(full, { name: 'one more', query: '' })).toHaveProperty('error');
    expect(Array.isArray(withView(full, { name: 'v3', query: 'q=x' }))).toBe(true);
  });

  it('reads only well-formed stored views', () => {
    expect(parseViews('[{"name":"a","query":"q=1"},{"name":2},null]')).toEqual([{ name: 'a', query: 'q=1' }]);
    expect(parseViews('not json')).toEqual([]);
    expect(parseViews(null)).toEqual([]);
  });
});

describe('CSV export', () => {
  it('quotes what needs quoting and disarms formulas', () => {
    const csv = toCsv([{ id: 'r1', name: 'say "hi", then go', error: '=HYPERLINK("x")', models: ['a', 'b'], cost_usd: 0.5, tags: [] }],
      ['id', 'name', 'error', 'models', 'cost_usd', 'tags', 'missing']);
    expect(csv).toBe('id,name,error,models,cost_usd,tags,missing\r\nr1,"say ""hi"", then go","\'=HYPERLINK(""x"")",a b,0.5,,\r\n');
  });

  it('disarms a formula that arrives as a tag, not only as text', () => {
    expect(toCsv([{ tags: ['=cmd|x', 'ok'] }], ['tags'])).toBe("tags\r\n'=cmd|x ok\r\n");
  });

  it('keeps negative numbers as numbers and line breaks inside quotes', () => {
    expect(toCsv([{ a: -1, b: 'line\nbreak', c: '-1' }], ['a', 'b', 'c'])).toBe('a,b,c\r\n-1,"line\nbreak",\'-1\r\n');
  });
});
