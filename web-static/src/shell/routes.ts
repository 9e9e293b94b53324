// The dashboard's routes: the URL hash (#/runs/<id>?q=…) names a page. The table says what each page needs (a session,
// or none: the sign-in pages), its title and where it sits in the side nav; the views are wired in shell/app.ts.
// Pure (no DOM, no session): unit-tested in routes.test.ts.

export type NavSectionId = 'observe' | 'control' | 'data' | 'settings';

export interface RouteDef {
  /** The document title's first part. */
  title: string;
  /** Needs a session: drawn in the shell. Signed out, the sign-in page comes first, and this page after it. */
  private?: boolean;
  /** Only while signed out (sign-in, sign-up): signed in, the overview instead. */
  guestOnly?: boolean;
  /** The entry in the side nav (none: not in the nav). */
  nav?: string;
  /** The nav section of that entry (default: settings). */
  section?: NavSectionId;
  /** The nav entry marked current on this page (an item's page marks its list). */
  navAs?: string;
  /** The page uses the full width. */
  wide?: boolean;
  /** The nav entry shows only to holders of this permission (the page itself still opens; the server stays the judge). */
  navPermission?: string;
}

const TABLE = {
  '/login': { title: 'Sign in', guestOnly: true },
  '/signup': { title: 'Create an organization', guestOnly: true },
  '/accept-invite': { title: 'Accept invitation' },
  '/org': { title: 'Organization', private: true, nav: 'Organization' },
  '/members': { title: 'Members', private: true, nav: 'Members' },
  '/api-keys': { title: 'API keys', private: true, nav: 'API keys', navPermission: 'api_keys_read' },
  '/overview': { title: 'Overview', private: true, nav: 'Overview', section: 'observe', wide: true },
  '/agents': { title: 'Agents', private: true, nav: 'Agents', section: 'observe', wide: true },
  '/agents/:id': { title: 'Agent', private: true, navAs: '/agents', wide: true },
  '/runs': { title: 'Runs', private: true, nav: 'Runs', section: 'observe', wide: true },
  '/runs/:id': { title: 'Run', private: true, navAs: '/runs', wide: true },
  '/costs': { title: 'Costs', private: true, nav: 'Costs', section: 'observe' },
  '/policies': { title: 'Policies', private: true, nav: 'Policies', section: 'control', wide: true },
  '/policies/:id': { title: 'Policy', private: true, navAs: '/policies', wide: true },
  '/controls': { title: 'Controls', private: true, nav: 'Controls', section: 'control' },
  '/approvals': { title: 'Approvals', private: true, nav: 'Approvals', section: 'control', wide: true },
  '/budgets': { title: 'Budgets', private: true, nav: 'Budgets', section: 'control' },
  '/audit': { title: 'Audit log', private: true, nav: 'Audit log', section: 'control', wide: true, navPermission: 'audit_read' },
  '/jobs': { title: 'Jobs', private: true, nav: 'Jobs', section: 'data', wide: true, navPermission: 'jobs_read' },
  '/jobs/:id': { title: 'Job', private: true, navAs: '/jobs', wide: true },
  '/orchestrations': { title: 'Orchestrations', private: true, nav: 'Orchestrations', section: 'data', wide: true, navPermission: 'jobs_read' },
  '/orchestrations/:id': { title: 'Orchestration', private: true, navAs: '/orchestrations', wide: true },
  '/prices': { title: 'Model prices', private: true, nav: 'Model prices', wide: true },
  '/webhooks': { title: 'Webhooks', private: true, nav: 'Webhooks', navPermission: 'webhooks_manage' },
  '/notifications': { title: 'Notifications', private: true },
} satisfies Record<string, RouteDef>;

/** A route of the table: a path, or a template with an id (/runs/:id). */
export type RouteKey = keyof typeof TABLE;

export const ROUTES: Readonly<Record<RouteKey, RouteDef>> = TABLE;

export const NAV_SECTIONS: readonly { id: NavSectionId; label: string }[] = [
  { id: 'observe', label: 'Observe' }, { id: 'control', label: 'Control' }, { id: 'data', label: 'Data' }, { id: 'settings', label: 'Settings' },
];

/** Routes with an id: /runs/<id>, /jobs/<id>, /orchestrations/<id> (the id percent-encoded, as the pages' links write it). */
const ID_ROUTES: readonly (readonly [RegExp, RouteKey])[] = [
  [/^\/agents\/([^/]+)$/, '/agents/:id'], [/^\/policies\/([^/]+)$/, '/policies/:id'], [/^\/runs\/([^/]+)$/, '/runs/:id'],
  [/^\/jobs\/([^/]+)$/, '/jobs/:id'], [/^\/orchestrations\/([^/]+)$/, '/orchestrations/:id'],
];

export const isRouteKey = (path: string): path is RouteKey => Object.hasOwn(ROUTES, path);

export interface RouteMatch {
  key: RouteKey;
  def: RouteDef;
  /** The id of an ID route, decoded. */
  args: { id?: string };
}

/** The route for a path: an exact entry, or one of ID_ROUTES; null for none (or an id that is not valid percent-encoding). */
export function matchRoute(path: string): RouteMatch | null {
  if (isRouteKey(path) && !path.includes(':')) return { key: path, def: ROUTES[path], args: {} };
  for (const [pattern, key] of ID_ROUTES) {
    const found = pattern.exec(path);
    if (!found) continue;
    try {
      return { key, def: ROUTES[key], args: { id: decodeURIComponent(found[1] ?? '') } };
    } catch { return null; }
  }
  return null;
}

/** The route path and query parameters of a location hash ('#/runs?q=x'); no path is '/'. */
export function parseHash(hash: string): { path: string; params: URLSearchParams } {
  const raw = hash.replace(/^#/, '');
  const [path, query = ''] = raw.split('?');
  return { path: path || '/', params: new URLSearchParams(query) };
}

/** A route with query parameters (empty values left out), as PageContext.go navigates to it. */
export function withQuery(path: string, params: Readonly<Record<string, string | null | undefined>> = {}): string {
  const query = new URLSearchParams(
    Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== null && entry[1] !== undefined && entry[1] !== ''),
  ).toString();
  return query ? `${path}?${query}` : path;
}

export interface NavItem {
  path: RouteKey;
  label: string;
}

/** The side nav: its sections, each with its entries in the table's order. */
export function navSections(): { id: NavSectionId; label: string; items: NavItem[] }[] {
  const entries = Object.entries(ROUTES);
  return NAV_SECTIONS.map((section) => ({
    ...section,
    items: entries.flatMap(([path, def]) =>
      isRouteKey(path) && def.nav && (def.section ?? 'settings') === section.id ? [{ path, label: def.nav }] : []),
  }));
}

/** Whether the route's nav entry shows to someone holding these permissions. */
export const shownInNav = (key: RouteKey, holds: (permission: string) => boolean): boolean => {
  const permission = ROUTES[key].navPermission;
  return !permission || holds(permission);
};
