import { describe, expect, it } from 'vitest';
import { isRouteKey, matchRoute, navSections, parseHash, ROUTES, shownInNav, withQuery } from './routes';

describe('matchRoute', () => {
  it('finds an exact route', () => {
    const match = matchRoute('/overview');
    expect(match?.key).toBe('/overview');
    expect(match?.def.title).toBe('Overview');
    expect(match?.args).toEqual({});
  });

  it('finds the route of an item with its id decoded', () => {
    expect(matchRoute('/runs/run-1')).toMatchObject({ key: '/runs/:id', args: { id: 'run-1' } });
    expect(matchRoute('/agents/support%2Fbot%20v2')).toMatchObject({ key: '/agents/:id', args: { id: 'support/bot v2' } });
    expect(matchRoute('/policies/p1')?.key).toBe('/policies/:id');
    expect(matchRoute('/jobs/j1')?.key).toBe('/jobs/:id');
    expect(matchRoute('/orchestrations/o1')?.key).toBe('/orchestrations/:id');
  });

  it('answers null for an id that is not valid percent-encoding', () => {
    expect(matchRoute('/runs/%E0%A4%A')).toBeNull();
  });

  it('answers null for paths it does not know', () => {
    for (const path of ['/', '', '/nope', '/runs/', '/runs/a/b', '/overview/', '/org/x', '__proto__', 'constructor', '/toString']) {
      expect(matchRoute(path), path).toBeNull();
    }
  });

  it('does not take a template for a path', () => {
    // '/runs/:id' is not a page of its own: it is a run whose id is ':id'.
    expect(matchRoute('/runs/:id')).toMatchObject({ key: '/runs/:id', args: { id: ':id' } });
  });

  it('has only ID routes with a colon, each matched by its pattern', () => {
    const templates = Object.keys(ROUTES).filter((key) => key.includes(':'));
    expect(templates).toEqual(['/agents/:id', '/runs/:id', '/policies/:id', '/jobs/:id', '/orchestrations/:id']);
    for (const template of templates) expect(matchRoute(template.replace(':id', 'x'))?.key).toBe(template);
  });
});

describe('the route table', () => {
  it('keeps the sign-in pages outside the shell and every other page inside', () => {
    const outside = Object.entries(ROUTES).filter(([, def]) => !def.private).map(([key]) => key);
    expect(outside).toEqual(['/login', '/signup', '/accept-invite']);
    expect(ROUTES['/login'].guestOnly).toBe(true);
    expect(ROUTES['/signup'].guestOnly).toBe(true);
    // Accepting an invitation works signed in too (switching accounts).
    expect(ROUTES['/accept-invite'].guestOnly).toBeUndefined();
  });

  it('marks an item page\'s list in the nav, which is a nav entry', () => {
    for (const def of Object.values(ROUTES)) {
      if (!def.navAs) continue;
      expect(isRouteKey(def.navAs)).toBe(true);
      if (isRouteKey(def.navAs)) expect(ROUTES[def.navAs].nav).toBeTruthy();
    }
  });
});

describe('parseHash', () => {
  it('splits the path from the query', () => {
    const { path, params } = parseHash('#/runs?q=a%20b&status=error');
    expect(path).toBe('/runs');
    expect(params.get('q')).toBe('a b');
    expect(params.get('status')).toBe('error');
  });

  it('answers / for no path', () => {
    expect(parseHash('').path).toBe('/');
    expect(parseHash('#').path).toBe('/');
    expect(parseHash('#?x=1').path).toBe('/');
  });

  it('takes a hash without its #', () => {
    expect(parseHash('/jobs/j%201').path).toBe('/jobs/j%201');
  });

  it('reads the query up to a second question mark', () => {
    const { path, params } = parseHash('#/runs?a=1?b=2');
    expect(path).toBe('/runs');
    expect([...params]).toEqual([['a', '1']]);
  });
});

describe('withQuery', () => {
  it('appends the parameters, leaving empty ones out', () => {
    expect(withQuery('/runs', { q: 'a b', status: '', agent: null, team: undefined, range: '7d' })).toBe('/runs?q=a+b&range=7d');
  });

  it('answers the path alone without parameters', () => {
    expect(withQuery('/runs')).toBe('/runs');
    expect(withQuery('/runs', { q: '' })).toBe('/runs');
  });
});

describe('the side nav', () => {
  it('groups the entries in sections, in the table\'s order', () => {
    const sections = navSections().map((s) => [s.label, s.items.map((item) => item.label)]);
    expect(sections).toEqual([
      ['Observe', ['Overview', 'Agents', 'Runs', 'Costs']],
      ['Control', ['Policies', 'Controls', 'Approvals', 'Budgets', 'Audit log']],
      ['Data', ['Jobs', 'Orchestrations']],
      ['Settings', ['Organization', 'Members', 'API keys', 'Model prices', 'Webhooks']],
    ]);
  });

  it('links each entry to its route', () => {
    const observe = navSections()[0];
    expect(observe?.items.map((item) => item.path)).toEqual(['/overview', '/agents', '/runs', '/costs']);
  });

  it('shows some entries only to holders of a permission', () => {
    const none = (): boolean => false;
    const all = (): boolean => true;
    const hidden = navSections().flatMap((s) => s.items).filter((item) => !shownInNav(item.path, none)).map((item) => item.path);
    expect(hidden).toEqual(['/audit', '/jobs', '/orchestrations', '/api-keys', '/webhooks']);
    expect(navSections().flatMap((s) => s.items).every((item) => shownInNav(item.path, all))).toBe(true);
    expect(shownInNav('/jobs', (p) => p === 'jobs_read')).toBe(true);
    expect(shownInNav('/audit', (p) => p === 'jobs_read')).toBe(false);
  });
});
