// AgentOps dashboard: the shell of a dependency-free single-page app over /api/v1. This module wires it together: it
// routes on the URL hash (routes.ts), draws the signed-in pages inside the shell (layout.ts) with a PageContext and the
// sign-in pages with a GuestContext (pages/context.ts), follows the session (session.ts), runs the watches behind the
// banner and the counts (watches.ts) and the live stream (live.ts), and starts it all.
//
// The DOM is built with textContent/properties only (no innerHTML with data), and index.html sets a strict CSP.
import type { Schemas } from '../api/client';
import { ApiError, SessionEnded } from '../api/errors';
import { onDialogsClosed } from '../components/dialog';
import { roleLabel } from '../components/roles';
import { toast } from '../components/toast';
import { h, setChildren } from '../lib/dom';
import { setForbiddenHandler } from '../lib/forbidden';
import { startTheme } from '../lib/theme';
import { LiveConnection } from '../live';
import { viewAgent } from '../pages/agent';
import { viewAgents } from '../pages/agents';
import { viewApiKeys } from '../pages/apiKeys';
import { viewApprovals } from '../pages/approvals';
import { viewAudit } from '../pages/audit';
import { viewAcceptInvite, viewLogin, viewSignup } from '../pages/auth';
import { viewBudgets } from '../pages/budgets';
import { HOME_ROUTE, type GuestContext, type PageContext } from '../pages/context';
import { viewControls } from '../pages/controls';
import { viewCosts } from '../pages/costs';
import { viewJob } from '../pages/job';
import { viewJobs } from '../pages/jobs';
import { viewMembers } from '../pages/members';
import { viewNotifications } from '../pages/notifications';
import { viewOrchestration } from '../pages/orchestration';
import { viewOrchestrations } from '../pages/orchestrations';
import { viewOrganization } from '../pages/organization';
import { viewOverview } from '../pages/overview';
import { viewPolicies, viewPolicy } from '../pages/policies';
import { viewPrices } from '../pages/prices';
import { viewRun } from '../pages/run';
import { viewRuns } from '../pages/runs';
import { viewWebhooks } from '../pages/webhooks';
import { installShortcuts } from './keys';
import { Shell } from './layout';
import { matchRoute, parseHash, withQuery, type RouteKey } from './routes';
import {
  api, API_BASE, apiTransport, beginSession, endSession, guestTransport, hasStoredSession, holds, initSession, liveToken, logout,
  refreshSession, replacedSession, resync, session, setOrg,
} from './session';
import { ControlWatch, CountWatch } from './watches';

/** A page being drawn: it is alive while its token is the latest (the user has not gone to another page). */
interface RouteContext {
  token: number;
  params: URLSearchParams;
  args: { id?: string };
  alive(): boolean;
}

type View = (main: HTMLElement, route: RouteContext) => void;

interface Notice {
  kind: string;
  text: string;
}

/** What the router keeps between routes. */
interface AppState {
  /** The shell, while a signed-in page shows (null on the pages outside it). */
  shell: Shell | null;
  /** Bumped by every route: the token of the page shown. */
  viewToken: number;
  /** The last path routed (null before the first: the first page does not take the focus). */
  lastRoutePath: string | null;
  /** The private page asked for while signed out: opened after signing in. */
  pendingRoute: string | null;
  /** The one-time notice for the next sign-in card (why the session ended, a sign-out). */
  flash: Notice | null;
  /** The role changed while a dialog was open: the page is drawn again once the last dialog has closed. */
  rerenderWhenIdle: boolean;
  /** The keys of the page that registered them (PageContext.keys). */
  pageKeys: { token: number; handler: (key: string) => boolean } | null;
  /** The hash a shortcut has just drawn (navigateNow): its hashchange, which comes after, is not routed again. */
  routedAhead: string | null;
}

const app: AppState = {
  shell: null, viewToken: 0, lastRoutePath: null, pendingRoute: null, flash: null, rerenderWhenIdle: false, pageKeys: null,
  routedAhead: null,
};

/**
 * Live hints (live.ts): opened with the shell, stopped at sign-out. While connected, the shell's watches and the pages
 * re-read on hints instead of polling; polling stays as the fallback while it is down.
 */
const liveStream = new LiveConnection({ url: `${API_BASE}/live`, token: liveToken });
const controls = new ControlWatch(liveStream, (lifted) => renderKillBanner(lifted));
const counts = new CountWatch(liveStream, () => renderCounts());

// ---------------------------------------------------------------------------------------------------------------
// The pages' contexts
// ---------------------------------------------------------------------------------------------------------------

/**
 * Calls fn on live hints of the topics while the page is open, at most once per minIntervalMs (a busy ingest sends a
 * hint every 250 ms); the last hint of a burst is never dropped. Pages keep their timers as the fallback and skip
 * their polls while liveStream.connected.
 */
function onLiveHint(route: RouteContext, topics: readonly string[], fn: () => void, minIntervalMs = 1000): void {
  let last = 0;
  let pending: ReturnType<typeof setTimeout> | undefined;
  const run = (): void => { pending = undefined; last = Date.now(); fn(); };
  const stop = liveStream.on(topics, () => {
    if (!route.alive()) { stop(); clearTimeout(pending); return; }
    const wait = last + minIntervalMs - Date.now();
    if (wait <= 0) run();
    else pending ??= setTimeout(() => { if (route.alive()) run(); else pending = undefined; }, wait);
  });
}

/** A signed-in page (src/pages): drawn in the shell with a PageContext. */
function typedPage(view: (main: HTMLElement, page: PageContext, route: RouteContext) => void): View {
  return (main, route) => view(main, {
    transport: apiTransport,
    params: route.params,
    alive: route.alive,
    live: (topics, fn, minIntervalMs) => onLiveHint(route, topics, fn, minIntervalMs),
    isLive: () => liveStream.connected,
    go: (path, params = {}) => navigate(withQuery(path, params)),
    holds,
    onForbidden: resync,
    text: (path) => api('GET', path, undefined, { raw: true }),
    download: (path, accept) => api('GET', path, undefined, { download: accept }),
    org: () => session.org,
    refreshControls: () => { void controls.check(); },
    controlStatus: () => controls.read,
    checkControls: async () => { await controls.check({ rethrow: true }); },
    setControlStatus: (status) => controls.apply(status),
    onControlStatus: (fn) => controls.listen(route.alive, fn),
    me: () => (session.user && session.role !== null
      ? { id: session.user.id, email: session.user.email, role: session.role, team: session.team }
      : null),
    grantable: () => ({ roles: session.permissions?.invitable_roles ?? [], scopes: session.permissions?.grantable_scopes ?? [] }),
    refreshSession: () => refreshSession().then(() => {}, () => {}),
    endSession: (message) => { endSession(message); },
    setOrg: (org) => { setOrg(org); updateShell(); },
    pendingApprovals: (count) => { if (count === null) void counts.checkPending(); else counts.setPending(count, false); },
    refreshNotifications: (unread) => { if (unread === undefined) void counts.checkUnread(); else counts.setUnread(unread); },
    keys: (handler) => { app.pageKeys = { token: route.token, handler }; },
  }, route);
}

/** The page of an item (/runs/<id>): its id comes from the route. */
const itemPage = (view: (main: HTMLElement, page: PageContext, id: string) => void): View =>
  typedPage((main, page, route) => view(main, page, route.args.id ?? ''));

/** A page outside the shell (sign-in, sign-up, accepting an invitation): drawn with a GuestContext. */
function guestPage(view: (main: HTMLElement, guest: GuestContext) => void): View {
  return (main, route) => view(main, {
    transport: guestTransport,
    params: route.params,
    takeFlash: () => { const notice = app.flash; app.flash = null; return notice; },
    me: () => (session.user ? { email: session.user.email } : null),
    replacedSession,
    signedIn,
  });
}

const VIEWS: Readonly<Record<RouteKey, View>> = {
  '/login': guestPage(viewLogin),
  '/signup': guestPage(viewSignup),
  '/accept-invite': guestPage(viewAcceptInvite),
  '/org': typedPage(viewOrganization),
  '/members': typedPage(viewMembers),
  '/api-keys': typedPage(viewApiKeys),
  '/overview': typedPage(viewOverview),
  '/agents': typedPage(viewAgents),
  '/agents/:id': itemPage(viewAgent),
  '/runs': typedPage(viewRuns),
  '/runs/:id': itemPage(viewRun),
  '/costs': typedPage(viewCosts),
  '/policies': typedPage(viewPolicies),
  '/policies/:id': itemPage(viewPolicy),
  '/controls': typedPage(viewControls),
  '/approvals': typedPage(viewApprovals),
  '/budgets': typedPage(viewBudgets),
  '/audit': typedPage(viewAudit),
  '/jobs': typedPage(viewJobs),
  '/jobs/:id': itemPage(viewJob),
  '/orchestrations': typedPage(viewOrchestrations),
  '/orchestrations/:id': itemPage(viewOrchestration),
  '/prices': typedPage(viewPrices),
  '/webhooks': typedPage(viewWebhooks),
  '/notifications': typedPage(viewNotifications),
};

// ---------------------------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------------------------

function redirect(path: string): void {
  history.replaceState(null, '', `#${path}`);
  route();
}

function navigate(path: string): void {
  if (location.hash === `#${path}`) route();
  else location.hash = `#${path}`;
}

/**
 * Goes to a route and draws it at once rather than on its hashchange (a keyboard shortcut): the browser handles a key
 * pressed right after ("g o", then "?") before that event, and drawing the page then would close the dialog it opened.
 */
function navigateNow(path: string): void {
  if (location.hash === `#${path}`) return route();
  location.hash = `#${path}`;
  app.routedAhead = location.hash;
  route();
}

function onHashChange(event: HashChangeEvent): void {
  const drawn = app.routedAhead !== null && new URL(event.newURL).hash === app.routedAhead;
  app.routedAhead = null;
  if (!drawn) route();
}

function route(): void {
  const { path, params } = parseHash(location.hash);
  const match = matchRoute(path);
  const signedIn = !!session.accessToken;
  if (!match) return redirect(signedIn ? HOME_ROUTE : '/login');
  const { def } = match;
  if (def.private && !signedIn) { app.pendingRoute = path; return redirect('/login'); }
  if (def.guestOnly && signedIn) return redirect(HOME_ROUTE);

  const token = ++app.viewToken;
  const ctx: RouteContext = { token, params, args: match.args, alive: () => token === app.viewToken };
  const navigated = app.lastRoutePath !== null;
  app.lastRoutePath = path;
  for (const dialog of document.querySelectorAll('dialog')) dialog.remove();

  if (def.private) {
    const shell = ensureShell();
    shell.markCurrent(def.navAs ?? match.key, holds);
    document.title = `${def.title} · ${session.org?.name ?? ''} · AgentOps`;
    shell.main.replaceChildren();
    shell.main.classList.toggle('wide', !!def.wide);
    VIEWS[match.key](shell.main, ctx);
    if (navigated) document.getElementById('page-title')?.focus();
  } else {
    app.shell = null;
    controls.stop();
    counts.stop();
    document.title = `${def.title} · AgentOps`;
    const main = h('main', { id: 'main', class: 'auth-main', tabindex: '-1' });
    const root = document.getElementById('app');
    if (root) setChildren(root, main);
    VIEWS[match.key](main, ctx);
    main.querySelector<HTMLElement>('input:not([type=hidden]):not([readonly])')?.focus();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The shell
// ---------------------------------------------------------------------------------------------------------------

function ensureShell(): Shell {
  if (app.shell) return app.shell;
  const shell = new Shell({ signOut: () => { void logout(); }, chooseTheme: (choice) => theme.choose(choice) });
  app.shell = shell;
  document.getElementById('app')?.replaceChildren(shell.root);
  updateShell();
  controls.start();
  counts.start();
  liveStream.start();
  return shell;
}

function updateShell(): void {
  if (!app.shell || !session.user) return;
  app.shell.showSession(session.user, session.org, session.role ?? '', holds);
  renderKillBanner();
  renderCounts();
}

function renderKillBanner(lifted = false): void {
  app.shell?.showKillSwitch(controls.status, lifted, holds('controls'));
}

function renderCounts(): void {
  app.shell?.showCounts(counts, !!session.user);
}

// ---------------------------------------------------------------------------------------------------------------
// The session's turns
// ---------------------------------------------------------------------------------------------------------------

/** GuestContext.signedIn: the session starts, then the page asked for before signing in (or the overview) opens. */
async function signedIn(data: Schemas['SessionResponse'], message?: string): Promise<void> {
  await beginSession(data);
  const target = app.pendingRoute && matchRoute(app.pendingRoute)?.def.private ? app.pendingRoute : HOME_ROUTE;
  app.pendingRoute = null;
  if (message) toast(message);
  navigate(target);
}

function onRoleChanged(previousRole: string, role: string): void {
  toast(`Your role changed from ${roleLabel(previousRole)} to ${roleLabel(role)}.`, 'info');
  updateShell();
  if (document.querySelector('dialog[open]')) app.rerenderWhenIdle = true;
  else route();
}

/** The session ended (signed out, revoked, expired): everything that ran for it stops, and the sign-in page says why. */
function onSessionEnded(notice: Notice | null, { wasSignedIn, rememberRoute }: { wasSignedIn: boolean; rememberRoute: boolean }): void {
  liveStream.stop();
  controls.stop();
  counts.stop();
  for (const dialog of document.querySelectorAll('dialog')) dialog.remove();
  document.getElementById('toasts')?.replaceChildren();
  if (wasSignedIn || !app.flash) app.flash = notice;
  const { path } = parseHash(location.hash);
  if (matchRoute(path)?.def.private) {
    app.pendingRoute = rememberRoute ? path : null;
    redirect('/login');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------------------------

// Charts draw with the theme's colours, so a change of theme draws the page again.
const theme = startTheme(() => { if (session.user) route(); });

async function start(): Promise<void> {
  initSession({ applied: updateShell, roleChanged: onRoleChanged, ended: onSessionEnded });
  // The shared helpers' hooks into the shell: a 403 re-reads the role; a page held back by an open dialog is drawn.
  setForbiddenHandler(resync);
  onDialogsClosed(() => { if (app.rerenderWhenIdle) { app.rerenderWhenIdle = false; route(); } });
  installShortcuts({
    active: () => app.shell !== null,
    pageKeys: () => (app.pageKeys?.token === app.viewToken ? app.pageKeys.handler : null),
    go: navigateNow,
  });
  document.querySelector('.skip-link')?.addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById('main')?.focus();
  });
  window.addEventListener('hashchange', onHashChange);
  if (hasStoredSession()) {
    try {
      await refreshSession();
    } catch (e) {
      if (!(e instanceof SessionEnded)) {
        app.flash = { kind: 'error', text: `Could not restore your session: ${e instanceof ApiError ? e.detail : 'unexpected error.'} Reload to try again, or sign in.` };
      }
    }
  }
  document.getElementById('app')?.removeAttribute('aria-busy');
  route();
}

void start();
