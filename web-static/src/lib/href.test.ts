import { describe, expect, it } from 'vitest';
import { costsHref, hashHref, runsHref } from './href';

describe('page links', () => {
  it('leaves out empty parameters', () => {
    expect(costsHref({ from: '2026-03-01', to: '', agent: null, team: undefined })).toBe('#/costs?from=2026-03-01');
    expect(costsHref()).toBe('#/costs');
    expect(hashHref('/budgets')).toBe('#/budgets');
  });

  it('encodes values', () => {
    expect(costsHref({ team: 'search & ads' })).toBe('#/costs?team=search+%26+ads');
    expect(runsHref({ agent: 'a/b' })).toBe('#/runs?agent=a%2Fb');
  });
});
