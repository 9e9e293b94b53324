// AgentOps dashboard: the shell of a dependency-free single-page app over /api/v1 (session, routing, layout, the kill switch
// and count watches). The pages are typed modules in src/pages, given a PageContext or GuestContext (pages/context.ts).
//
// Security rules kept by this file:
// - The access token lives only in memory; the refresh token in sessionStorage (one login per tab). Tokens, API keys
//   and invitation tokens are never written to the console, to localStorage or into URLs we keep.
// - The DOM is built with textContent/properties only (no innerHTML with data), and index.html sets a strict CSP.
// - What the caller cannot do is hidden (the server says what it may do: GET /me/permissions), but the server stays the
//   judge: every 401/403/409/429 answer is shown where it belongs.

import { ApiError, SessionEnded } from './api/errors';
import { h, setChildren } from './lib/dom';
import { bellIcon, logo } from './components/brand';
import { ROLE_LABELS, roleBadge } from './components/roles';
import { onDialogsClosed, openDialog } from './components/dialog';
import { toast } from './components/toast';
import { timeEl } from './components/time';
import { setForbiddenHandler } from './lib/forbidden';
import { fmtCount } from './lib/format';
import { HOME_ROUTE } from './pages/context';
import { viewAcceptInvite, viewLogin, viewSignup } from './pages/auth';
import { viewOrganization } from './pages/organization';
import { viewMembers } from './pages/members';
import { viewApiKeys } from './pages/apiKeys';
import { viewCosts } from './pages/costs';
import { viewBudgets } from './pages/budgets';
import { viewControls } from './pages/controls';
import { viewAudit } from './pages/audit';
import { viewApprovals } from './pages/approvals';
import { viewAgent } from './pages/agent';
import { viewOverview } from './pages/overview';
import { viewPrices } from './pages/prices';
import { viewRun } from './pages/run';
import { viewRuns } from './pages/runs';
import { viewPolicies, viewPolicy } from './pages/policies';
import { viewJobs } from './pages/jobs';
import { viewJob } from './pages/job';
import { viewOrchestrations } from './pages/orchestrations';
import { viewOrchestration } from './pages/orchestration';
import { viewNotifications } from './pages/notifications';
import { viewWebhooks } from './pages/webhooks';
import { viewAgents } from './pages/agents';
import { LiveConnection } from './live';
import { GO_KEYS, shortcutFor } from './lib/shortcuts';
import { startTheme, themeChoice, THEMES } from './lib/theme';

// Same origin by default; a build for a dashboard hosted apart from the API (the Azure Static Web App) names the API's
// origin in VITE_AGENTOPS_API_ORIGIN (vite.config.ts also adds it to the CSP's connect-src).
const API_BASE = `${import.meta.env.VITE_AGENTOPS_API_ORIGIN ?? ''}/api/v1`;
const REFRESH_STORAGE_KEY = 'agentops.refresh_token';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------------
// API client and session
// ---------------------------------------------------------------------------------------------------------------

const session = {
  accessToken: null,
  expiresAt: 0,
  user: null, // { id, email, name }
  org: null, // { id, name, timezone, created_at, updated_at }
  role: null,
  team: null,
  permissions: null, // GET /me/permissions: { permissions: [...], grantable_scopes, invitable_roles, team, ... }
};

let refreshTimer = null;
let refreshInFlight = null;
let flash = null; // { kind, text } shown once on the next sign-in page
let pendingRoute = null;
let viewToken = 0;
let rerenderWhenIdle = false;

const channel = 'BroadcastChannel' in window ? new BroadcastChannel('agentops-session') : null;

/**
 * Live hints (live.ts): opened with the shell, stopped at sign-out. While connected, the shell's watches and the pages
 * re-read on hints instead of polling; polling stays as the fallback while it is down.
 */
const liveStream = new LiveConnection({
  url: `${API_BASE}/live`,
  token: async () => {
    if (!session.accessToken) return null;
    if (session.expiresAt - Date.now() < 15_000) await refreshSession().catch(() => {});
    return session.accessToken;
  },
});

function storedRefreshToken() {
  try { return sessionStorage.getItem(REFRESH_STORAGE_KEY); } catch { return null; }
}

function storeRefreshToken(token) {
  try {
    if (token) sessionStorage.setItem(REFRESH_STORAGE_KEY, token);
    else sessionStorage.removeItem(REFRESH_STORAGE_KEY);
  } catch { /* storage disabled: the session lasts as long as the page */ }
}

function parseRetryAfter(value) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}

const FALLBACK_DETAIL = {
  0: 'The server could not be reached. Check your connection and try again.',
  403: 'You are not allowed to do this.',
  404: 'Not found.',
  429: 'Too many requests.',
  500: 'Something failed on the server.',
  502: 'The server is unavailable.',
  503: 'The server is unavailable. Try again shortly.',
};

/**
 * One HTTP call; returns the parsed JSON (the text when `raw`; `{ blob, filename }` when `download`; null for 204)
 * or throws ApiError.
 */
async function request(method, path, body, { auth = true, token = null, raw = false, download = null } = {}) {
  const headers = { Accept: download ? `${download}, application/problem+json` : raw ? 'text/plain, application/problem+json' : 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const bearer = token ?? (auth ? session.accessToken : null);
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(API_BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError({ status: 0, code: 'network_error', title: 'Network error', detail: FALLBACK_DETAIL[0] });
  }
  if (response.status === 204) return null;
  if (download && response.ok) {
    return { blob: await response.blob(), filename: dispositionFilename(response.headers.get('Content-Disposition')) };
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (response.ok) return raw ? text : data;
  throw new ApiError({
    status: response.status,
    code: data?.code ?? `http_${response.status}`,
    title: data?.title ?? response.statusText,
    detail: data?.detail ?? FALLBACK_DETAIL[response.status] ?? `The server answered ${response.status}.`,
    errors: data?.errors ?? null,
    retryAfter: parseRetryAfter(response.headers.get('Retry-After')),
    traceId: data?.trace_id ?? null,
  });
}

/** The file name a Content-Disposition header suggests (RFC 6266: filename* first), reduced to safe characters. */
function dispositionFilename(header) {
  if (!header) return null;
  let name = null;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended) {
    try { name = decodeURIComponent(extended[1].trim()); } catch { name = null; }
  }
  name ??= /filename\s*=\s*"?([^";]+)"?/.exec(header)?.[1]?.trim() ?? null;
  const safe = name?.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '');
  return safe || null;
}

/** An authenticated call: refreshes the access token before expiry and once on 401 token_expired. */
async function api(method, path, body, { raw = false, download = null } = {}) {
  if (!session.accessToken) throw new SessionEnded('Not signed in.');
  if (session.expiresAt - Date.now() < 15_000) {
    try { await refreshSession(); } catch (e) { if (e instanceof SessionEnded) throw e; /* try the current token */ }
  }
  try {
    return await request(method, path, body, { raw, download });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && e.code === 'token_expired') {
      await refreshSession();
      try {
        return await request(method, path, body, { raw, download });
      } catch (again) {
        if (again instanceof ApiError && again.status === 401) throw endSession(again.detail);
        throw again;
      }
    }
    if (e instanceof ApiError && e.status === 401) throw endSession(e.detail);
    throw e;
  }
}

/** Rotates the refresh token. Single-flight per tab; serialized across tabs that share a session (duplicated tabs). */
function refreshSession() {
  refreshInFlight ??= doRefresh().finally(() => { refreshInFlight = null; });
  return refreshInFlight;
}

async function doRefresh() {
  const work = async () => {
    const token = storedRefreshToken();
    if (!token) throw endSession('Your session has ended. Sign in again.');
    let data;
    try {
      data = await request('POST', '/auth/refresh-token', { refresh_token: token }, { auth: false });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 422)) throw endSession(e.detail);
      scheduleRefresh(30); // server or network trouble: keep the session and try again soon
      throw e;
    }
    const previousRole = session.role;
    applySession(data, { rotatedFrom: token });
    await loadPermissions(); // the role or team may have changed since the last read
    if (previousRole && previousRole !== session.role) onRoleChanged(previousRole);
    // Hold the lock a moment so the rotation message reaches sibling tabs before one of them refreshes.
    if (channel && navigator.locks) await sleep(150);
    return data;
  };
  return navigator.locks ? navigator.locks.request('agentops-refresh', work) : work();
}

function applySession(data, { rotatedFrom = null } = {}) {
  const sameUser = session.user?.id === data.user.id;
  session.accessToken = data.access_token;
  session.expiresAt = Date.now() + data.expires_in * 1000;
  session.user = data.user;
  session.org = data.organization;
  session.role = data.role;
  if (!sameUser) { session.team = null; session.permissions = null; }
  storeRefreshToken(data.refresh_token);
  if (rotatedFrom && channel) channel.postMessage({ type: 'rotated', from: rotatedFrom, to: data.refresh_token });
  scheduleRefresh(data.expires_in);
  updateShell();
}

/**
 * What this person may do, as the server decides it (Rbac.cs, MemberRules.cs, ApiKeyRules.cs): read after sign-in and
 * whenever the role changes. Until it arrives (or if it cannot be read) nothing that needs a permission is offered.
 */
async function loadPermissions() {
  try {
    session.permissions = await request('GET', '/me/permissions');
    session.team = session.permissions.team;
  } catch {
    session.permissions = null; // offered nothing; the next refresh tries again
  }
}

/** Refresh a minute before expiry (or at 80 % of short lifetimes). */
function scheduleRefresh(expiresInSeconds) {
  clearTimeout(refreshTimer);
  const lead = Math.min(60, expiresInSeconds * 0.2);
  const delay = Math.max(5, expiresInSeconds - lead) * 1000;
  refreshTimer = setTimeout(() => { refreshSession().catch(() => { /* reported by the next call */ }); }, delay);
}

/** Forget the session locally and go to the sign-in page. Returns a SessionEnded to throw. */
function endSession(message, kind = 'info', { rememberRoute = true } = {}) {
  const wasSignedIn = !!session.accessToken;
  clearTimeout(refreshTimer);
  liveStream.stop();
  stopControlWatch();
  stopCountWatch();
  Object.assign(session, { accessToken: null, expiresAt: 0, user: null, org: null, role: null, team: null, permissions: null });
  storeRefreshToken(null);
  for (const dialog of document.querySelectorAll('dialog')) dialog.remove();
  document.getElementById('toasts')?.replaceChildren();
  if (wasSignedIn || !flash) flash = message ? { kind, text: message } : null;
  const { path } = parseHash();
  if (matchRoute(path)?.def.private) {
    pendingRoute = rememberRoute ? path : null;
    redirect('/login');
  }
  return new SessionEnded(message);
}

async function signedIn(data, message) {
  applySession(data);
  await loadPermissions();
  const target = pendingRoute && matchRoute(pendingRoute)?.def.private ? pendingRoute : HOME_ROUTE;
  pendingRoute = null;
  if (message) toast(message);
  navigate(target);
}

async function logout() {
  const token = storedRefreshToken();
  try { await api('POST', '/auth/logout'); } catch { /* the session ends locally whatever the server says */ }
  if (channel && token) channel.postMessage({ type: 'logout', token });
  // If the server already ended the session, api() has shown why; otherwise confirm the sign-out.
  if (session.accessToken) endSession('You have signed out.', 'success', { rememberRoute: false });
}

channel?.addEventListener('message', (event) => {
  const message = event.data ?? {};
  const mine = storedRefreshToken();
  if (!mine) return;
  if (message.type === 'rotated' && message.from === mine) storeRefreshToken(message.to);
  if (message.type === 'logout' && message.token === mine) endSession('You signed out in another tab.');
});

document.addEventListener('visibilitychange', () => {
  // Timers are throttled in background tabs: catch up when the tab is shown again.
  if (document.visibilityState === 'visible' && session.accessToken && session.expiresAt - Date.now() < 60_000) {
    refreshSession().catch(() => {});
  }
});

// ---------------------------------------------------------------------------------------------------------------
// What the signed-in person may do: the server's answer (GET /me/permissions). The rules that depend on the item
// (ApiKeyRules.MayRevoke, MemberRules' team rule), which the server still enforces, live with the pages (PageContext.me)
// ---------------------------------------------------------------------------------------------------------------

const holds = (permission) => !!session.permissions?.permissions.includes(permission);

function onRoleChanged(previousRole) {
  toast(`Your role changed from ${ROLE_LABELS[previousRole] ?? previousRole} to ${ROLE_LABELS[session.role] ?? session.role}.`, 'info');
  updateShell();
  if (document.querySelector('dialog[open]')) rerenderWhenIdle = true;
  else route();
}

/** After a 403 the role may have changed under us: re-read it (the refresh answer carries the current role). */
function resyncAfterForbidden() {
  if (session.accessToken) refreshSession().catch(() => {});
}

// ---------------------------------------------------------------------------------------------------------------
// Routing and layout
// ---------------------------------------------------------------------------------------------------------------

/**
 * Calls fn on live hints of the topics while the page is open, at most once per minIntervalMs (a busy ingest sends a
 * hint every 250 ms); the last hint of a burst is never dropped. Pages keep their timers as the fallback and skip
 * their polls while liveStream.connected.
 */
function onLiveHint(ctx, topics, fn, minIntervalMs = 1000) {
  let last = 0;
  let pending = null;
  const run = () => { pending = null; last = Date.now(); fn(); };
  const stop = liveStream.on(topics, () => {
    if (!ctx.alive()) { stop(); clearTimeout(pending); return; }
    const wait = last + minIntervalMs - Date.now();
    if (wait <= 0) run();
    else pending ??= setTimeout(() => { if (ctx.alive()) run(); else pending = null; }, wait);
  });
}

/**
 * A page written in TypeScript (src/pages): it gets a typed PageContext (pages/context.ts) instead of this file's
 * session and helpers.
 */
function typedPage(view) {
  return (main, ctx) => view(main, {
    transport: (method, path, body) => api(method, path, body),
    params: ctx.params,
    alive: ctx.alive,
    live: (topics, fn, minIntervalMs) => onLiveHint(ctx, topics, fn, minIntervalMs),
    isLive: () => liveStream.connected,
    go: (path, params = {}) => {
      const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== '')).toString();
      navigate(query ? `${path}?${query}` : path);
    },
    holds,
    onForbidden: resyncAfterForbidden,
    text: (path) => api('GET', path, undefined, { raw: true }),
    download: (path, accept) => api('GET', path, undefined, { download: accept }),
    org: () => session.org,
    refreshControls: () => { checkControls(); },
    controlStatus: () => (controlWatch.status ? { status: controlWatch.status, checkedAt: controlWatch.checkedAt } : null),
    checkControls: async () => { await checkControls({ rethrow: true }); },
    setControlStatus: applyControlStatus,
    onControlStatus: (fn) => onControlStatus(ctx, (status, info) => fn(status, info)),
    me: () => (session.user ? { id: session.user.id, email: session.user.email, role: session.role, team: session.team } : null),
    grantable: () => ({ roles: session.permissions?.invitable_roles ?? [], scopes: session.permissions?.grantable_scopes ?? [] }),
    refreshSession: () => refreshSession().then(() => {}, () => {}),
    endSession: (message) => { endSession(message); },
    setOrg: (org) => { session.org = org; updateShell(); },
    pendingApprovals: (count) => { if (count === null) checkPending(); else setPendingCount(count, false); },
    refreshNotifications: (unread) => {
      if (unread === undefined) checkUnread();
      else { countWatch.unread = unread; renderCounts(); }
    },
    keys: (handler) => { pageKeys = { token: ctx.token, handler }; },
  }, ctx);
}

/** A page outside the shell (sign-in, sign-up, accepting an invitation): it gets a GuestContext (pages/context.ts). */
function guestPage(view) {
  return (main, ctx) => view(main, {
    transport: (method, path, body) => request(method, path, body, { auth: false }),
    params: ctx.params,
    takeFlash: () => { const notice = flash; flash = null; return notice; },
    me: () => (session.user ? { email: session.user.email } : null),
    replacedSession: () => {
      const token = session.accessToken;
      return token ? () => { request('POST', '/auth/logout', undefined, { token }).catch(() => {}); } : null;
    },
    signedIn,
  });
}

const ROUTES = {
  '/login': { title: 'Sign in', guestOnly: true, view: guestPage(viewLogin) },
  '/signup': { title: 'Create an organization', guestOnly: true, view: guestPage(viewSignup) },
  '/accept-invite': { title: 'Accept invitation', view: guestPage(viewAcceptInvite) },
  '/org': { title: 'Organization', private: true, view: typedPage(viewOrganization), nav: 'Organization' },
  '/members': { title: 'Members', private: true, view: typedPage(viewMembers), nav: 'Members' },
  '/api-keys': { title: 'API keys', private: true, view: typedPage(viewApiKeys), nav: 'API keys', visible: () => holds('api_keys_read') },
  '/overview': { title: 'Overview', private: true, view: typedPage(viewOverview), nav: 'Overview', section: 'observe', wide: true },
  '/agents': { title: 'Agents', private: true, view: typedPage(viewAgents), nav: 'Agents', section: 'observe', wide: true },
  '/agents/:id': { title: 'Agent', private: true, view: typedPage((main, page, ctx) => viewAgent(main, page, ctx.args.id)), navAs: '/agents', wide: true },
  '/runs': { title: 'Runs', private: true, view: typedPage(viewRuns), nav: 'Runs', section: 'observe', wide: true },
  '/runs/:id': { title: 'Run', private: true, view: typedPage((main, page, ctx) => viewRun(main, page, ctx.args.id)), navAs: '/runs', wide: true },
  '/costs': { title: 'Costs', private: true, view: typedPage(viewCosts), nav: 'Costs', section: 'observe' },
  '/policies': { title: 'Policies', private: true, view: typedPage(viewPolicies), nav: 'Policies', section: 'control', wide: true },
  '/policies/:id': { title: 'Policy', private: true, view: typedPage((main, page, ctx) => viewPolicy(main, page, ctx.args.id)), navAs: '/policies', wide: true },
  '/controls': { title: 'Controls', private: true, view: typedPage(viewControls), nav: 'Controls', section: 'control' },
  '/approvals': { title: 'Approvals', private: true, view: typedPage(viewApprovals), nav: 'Approvals', section: 'control', wide: true },
  '/budgets': { title: 'Budgets', private: true, view: typedPage(viewBudgets), nav: 'Budgets', section: 'control' },
  '/audit': { title: 'Audit log', private: true, view: typedPage(viewAudit), nav: 'Audit log', section: 'control', wide: true, visible: () => holds('audit_read') },
  '/jobs': { title: 'Jobs', private: true, view: typedPage(viewJobs), nav: 'Jobs', section: 'data', wide: true, visible: () => holds('jobs_read') },
  '/jobs/:id': { title: 'Job', private: true, view: typedPage((main, page, ctx) => viewJob(main, page, ctx.args.id)), navAs: '/jobs', wide: true },
  '/orchestrations': { title: 'Orchestrations', private: true, view: typedPage(viewOrchestrations), nav: 'Orchestrations', section: 'data', wide: true, visible: () => holds('jobs_read') },
  '/orchestrations/:id': { title: 'Orchestration', private: true, view: typedPage((main, page, ctx) => viewOrchestration(main, page, ctx.args.id)), navAs: '/orchestrations', wide: true },
  '/prices': { title: 'Model prices', private: true, view: typedPage(viewPrices), nav: 'Model prices', wide: true },
  '/webhooks': { title: 'Webhooks', private: true, view: typedPage(viewWebhooks), nav: 'Webhooks', visible: () => holds('webhooks_manage') },
  '/notifications': { title: 'Notifications', private: true, view: typedPage(viewNotifications) },
};

const NAV_SECTIONS = [
  { id: 'observe', label: 'Observe' }, { id: 'control', label: 'Control' }, { id: 'data', label: 'Data' }, { id: 'settings', label: 'Settings' },
];

/** Routes with an id: /runs/<id>, /jobs/<id>, /orchestrations/<id> (the id percent-encoded, as the pages' links write it). */
const ID_ROUTES = [[/^\/agents\/([^/]+)$/, '/agents/:id'], [/^\/policies\/([^/]+)$/, '/policies/:id'], [/^\/runs\/([^/]+)$/, '/runs/:id'], [/^\/jobs\/([^/]+)$/, '/jobs/:id'], [/^\/orchestrations\/([^/]+)$/, '/orchestrations/:id']];

/** The route for a path: an exact entry, or one of ID_ROUTES. */
function matchRoute(path) {
  if (Object.hasOwn(ROUTES, path) && !path.includes(':')) return { key: path, def: ROUTES[path], args: {} };
  for (const [pattern, key] of ID_ROUTES) {
    const found = pattern.exec(path);
    if (!found) continue;
    try {
      return { key, def: ROUTES[key], args: { id: decodeURIComponent(found[1]) } };
    } catch { return null; }
  }
  return null;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const [path, query = ''] = raw.split('?');
  return { path: path || '/', params: new URLSearchParams(query) };
}

function redirect(path) {
  history.replaceState(null, '', `#${path}`);
  route();
}

function navigate(path) {
  if (location.hash === `#${path}`) route();
  else location.hash = `#${path}`;
}

let shell = null;
let lastRoutePath = null;

function route() {
  const { path, params } = parseHash();
  const match = matchRoute(path);
  const def = match?.def;
  const signedIn = !!session.accessToken;
  if (!def) return redirect(signedIn ? HOME_ROUTE : '/login');
  if (def.private && !signedIn) { pendingRoute = path; return redirect('/login'); }
  if (def.guestOnly && signedIn) return redirect(HOME_ROUTE);

  const ctx = { token: ++viewToken, params, args: match.args, alive: () => ctx.token === viewToken };
  const navigated = lastRoutePath !== null;
  lastRoutePath = path;
  for (const dialog of document.querySelectorAll('dialog')) dialog.remove();

  if (def.private) {
    ensureShell();
    const current = def.navAs ?? match.key;
    for (const [routePath, link] of shell.links) {
      const visible = ROUTES[routePath].visible?.() ?? true;
      link.parentElement.hidden = !visible;
      if (routePath === current) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    }
    if (current === '/notifications') shell.bell.setAttribute('aria-current', 'page'); else shell.bell.removeAttribute('aria-current');
    document.title = `${def.title} · ${session.org?.name ?? ''} · AgentOps`;
    shell.main.replaceChildren();
    shell.main.classList.toggle('wide', !!def.wide);
    def.view(shell.main, ctx);
    if (navigated) document.getElementById('page-title')?.focus();
  } else {
    shell = null;
    stopControlWatch();
    stopCountWatch();
    document.title = `${def.title} · AgentOps`;
    const main = h('main', { id: 'main', class: 'auth-main', tabindex: '-1' });
    const app = document.getElementById('app');
    setChildren(app, main);
    def.view(main, ctx);
    main.querySelector('input:not([type=hidden]):not([readonly])')?.focus();
  }
}

function ensureShell() {
  if (shell) return;
  const orgName = h('span', { class: 'org-name' });
  const email = h('span', { class: 'user-email' });
  const roleSlot = h('span', { class: 'user-role' });
  const links = new Map();
  const killNavBadge = h('span', { class: 'nav-alert', hidden: true }, h('span', { 'aria-hidden': 'true' }, 'On'), h('span', { class: 'sr-only' }, ' (kill switch on)'));
  const approvalsNavBadge = h('span', { class: 'nav-count', hidden: true });
  const navBadges = { '/controls': killNavBadge, '/approvals': approvalsNavBadge };
  const navGroups = NAV_SECTIONS.map((section) => {
    const items = Object.entries(ROUTES).filter(([, def]) => def.nav && (def.section ?? 'settings') === section.id).map(([path, def]) => {
      const link = h('a', { href: `#${path}`, class: 'nav-link' }, def.nav, navBadges[path] ?? null);
      links.set(path, link);
      return h('li', {}, link);
    });
    const headingId = `nav-${section.id}`;
    return [h('p', { class: 'nav-heading', id: headingId }, section.label), h('ul', { 'aria-labelledby': headingId }, items)];
  });
  const main = h('main', { id: 'main', class: 'content', tabindex: '-1' });
  // The dashboard is for people (API keys have no read state); hidden until the first count arrives.
  const bellCount = h('span', { class: 'bell-count', 'aria-hidden': 'true', hidden: true });
  const bell = h('a', { href: '#/notifications', class: 'bell', hidden: true, 'aria-label': 'Notifications' }, bellIcon(), bellCount);
  // Filled while the kill switch is on; a live region, so its appearance is announced on whatever page is open.
  const banner = h('div', { class: 'kill-banner-slot', 'aria-live': 'assertive' });
  const root = h('div', { class: 'shell' },
    h('header', { class: 'topbar' },
      h('a', { href: `#${HOME_ROUTE}`, class: 'brand', 'aria-label': 'AgentOps home' }, logo(), h('span', { class: 'brand-name' }, 'AgentOps')),
      h('span', { class: 'divider', 'aria-hidden': 'true' }),
      h('div', { class: 'org' }, h('span', { class: 'sr-only' }, 'Organization: '), orgName),
      bell,
      h('div', { class: 'user' },
        h('span', { class: 'sr-only' }, 'Signed in as '), email, roleSlot, themeSelect(),
        h('button', { type: 'button', class: 'btn secondary small', onclick: () => logout() }, 'Sign out'))),
    banner,
    h('div', { class: 'layout' },
      h('nav', { class: 'sidenav', 'aria-label': 'Main' }, navGroups),
      main));
  shell = { root, main, links, orgName, email, roleSlot, banner, bannerKey: null, killNavBadge, approvalsNavBadge, bell, bellCount };
  document.getElementById('app').replaceChildren(root);
  updateShell();
  startControlWatch();
  startCountWatch();
  liveStream.start();
}

function updateShell() {
  if (!shell || !session.user) return;
  shell.orgName.textContent = session.org?.name ?? '';
  shell.email.textContent = session.user.email;
  shell.email.title = session.user.name || session.user.email;
  setChildren(shell.roleSlot, roleBadge(session.role));
  for (const [path, link] of shell.links) link.parentElement.hidden = !(ROUTES[path].visible?.() ?? true);
  renderKillBanner();
  renderCounts();
}

// ---------------------------------------------------------------------------------------------------------------
// The kill switch's state, watched from every page for the banner and the nav badge (the page: pages/controls.ts)
// ---------------------------------------------------------------------------------------------------------------

const CONTROL_WATCH_MS = 10_000;
const controlWatch = { status: null, key: null, checkedAt: null, seq: 0, timer: null, listeners: new Set() };

/** As last read from GET /controls/status (false until the first answer). */
const killSwitchOn = () => !!controlWatch.status?.killed;

function startControlWatch() {
  if (controlWatch.timer) return;
  controlWatch.timer = setInterval(() => {
    // Background tabs skip the checks; showing the tab again checks at once (below). Live: hints say when.
    if (document.visibilityState === 'visible' && !liveStream.connected) checkControls();
  }, CONTROL_WATCH_MS);
  controlWatch.stopLive = liveStream.on(['controls'], () => checkControls());
  checkControls();
}

function stopControlWatch() {
  clearInterval(controlWatch.timer);
  controlWatch.stopLive?.();
  Object.assign(controlWatch, { status: null, key: null, checkedAt: null, timer: null, seq: controlWatch.seq + 1 });
  controlWatch.listeners.clear();
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && controlWatch.timer && session.accessToken) checkControls();
});

/** Reads the status now (the latest call wins). A failure keeps the last known state; `rethrow` hands it on. */
async function checkControls({ rethrow = false } = {}) {
  if (!session.accessToken) return controlWatch.status;
  const seq = ++controlWatch.seq;
  try {
    const status = await api('GET', '/controls/status');
    if (seq === controlWatch.seq && session.accessToken) applyControlStatus(status);
  } catch (e) {
    if (rethrow) throw e;
  }
  return controlWatch.status;
}

/** A status from a check or from an action's answer: redraws the banner and tells the pages that listen. */
function applyControlStatus(status) {
  controlWatch.seq += 1; // a check sent before this answer is older: drop it
  const key = JSON.stringify(status);
  const changed = controlWatch.key !== null && key !== controlWatch.key;
  const wasKilled = killSwitchOn();
  controlWatch.status = status;
  controlWatch.key = key;
  controlWatch.checkedAt = new Date();
  renderKillBanner(wasKilled && !status.killed);
  for (const listener of [...controlWatch.listeners]) listener(status, { changed });
}

/** Calls fn(status, { changed }) after every status read while the page lives. */
function onControlStatus(ctx, fn) {
  const listener = (status, info) => {
    if (!ctx.alive()) { controlWatch.listeners.delete(listener); return; }
    fn(status, info);
  };
  controlWatch.listeners.add(listener);
}

/** The red banner under the top bar, on every page, while the switch is on. Redrawn only when it changes. */
function renderKillBanner(lifted = false) {
  if (!shell) return;
  const s = controlWatch.status;
  const on = !!s?.killed;
  shell.killNavBadge.hidden = !on;
  const key = on ? `${s.killed_at}|${s.killed_reason}|${holds('controls')}` : '';
  if (key === shell.bannerKey) return;
  shell.bannerKey = key;
  if (!on) {
    setChildren(shell.banner, lifted ? h('p', { class: 'sr-only' }, 'The kill switch was lifted.') : null);
    return;
  }
  setChildren(shell.banner, h('section', { class: 'kill-banner', 'aria-label': 'Kill switch' },
    h('span', { class: 'kill-banner-icon', 'aria-hidden': 'true' }, '!'),
    h('div', { class: 'kill-banner-text' },
      h('p', { class: 'strong' }, 'Kill switch on: every agent of the organization is paused and ingest refuses their events.'),
      h('p', {},
        s.killed_reason ? [h('span', { class: 'kill-banner-label' }, 'Reason: '), h('span', { class: 'kill-banner-reason' }, s.killed_reason), ' · '] : null,
        'Since ', timeEl(s.killed_at, { withTime: true }), '.')),
    holds('controls') && h('a', { href: '#/controls', class: 'btn kill-banner-link' }, 'Open Controls')));
}

// ---------------------------------------------------------------------------------------------------------------
// Counts in the shell: pending approvals (the nav badge) and unread notifications (the bell), watched from every page
// ---------------------------------------------------------------------------------------------------------------

const PENDING_WATCH_MS = 10_000;
const UNREAD_WATCH_MS = 30_000;
const UNREAD_CAP = 1000; // NotificationService.UnreadCountCap: the server stops counting there
const countWatch = { pending: null, pendingMore: false, unread: null, pendingSeq: 0, unreadSeq: 0, timers: [] };

function startCountWatch() {
  if (countWatch.timers.length) return;
  // Background tabs skip the checks; showing the tab again checks at once (below).
  countWatch.timers = [
    setInterval(() => { if (document.visibilityState === 'visible' && !liveStream.connected) checkPending(); }, PENDING_WATCH_MS),
    setInterval(() => { if (document.visibilityState === 'visible' && !liveStream.connected) checkUnread(); }, UNREAD_WATCH_MS),
  ];
  countWatch.stopLive = [liveStream.on(['approvals'], () => checkPending()), liveStream.on(['notifications'], () => checkUnread())];
  checkPending();
  checkUnread();
}

function stopCountWatch() {
  for (const timer of countWatch.timers) clearInterval(timer);
  for (const stop of countWatch.stopLive ?? []) stop();
  countWatch.stopLive = [];
  Object.assign(countWatch, {
    pending: null, pendingMore: false, unread: null, timers: [], pendingSeq: countWatch.pendingSeq + 1, unreadSeq: countWatch.unreadSeq + 1,
  });
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && countWatch.timers.length && session.accessToken) {
    checkPending();
    checkUnread();
  }
});

/** The size of the pending queue: a count, not the list (the server stops at 1000: "1000+"). A failure keeps the last count. */
async function checkPending() {
  if (!session.accessToken) return;
  const seq = ++countWatch.pendingSeq;
  try {
    const { pending, capped } = await api('GET', '/approvals/pending/count');
    if (seq === countWatch.pendingSeq && session.accessToken) setPendingCount(pending, capped);
  } catch { /* the next check tries again */ }
}

/** A count read by a check or by the Approvals page's own refresh. */
function setPendingCount(n, more) {
  countWatch.pendingSeq += 1; // a check sent before this answer is older: drop it
  // A new request comes with a notification (approval.requested): the bell need not wait for its own round.
  if (countWatch.pending !== null && n > countWatch.pending) checkUnread();
  countWatch.pending = n;
  countWatch.pendingMore = more;
  renderCounts();
}

/** The person's unread notifications. Read state is a person's: the dashboard has no API-key sessions, but stays safe. */
async function checkUnread() {
  if (!session.accessToken || !session.user) return;
  const seq = ++countWatch.unreadSeq;
  try {
    const { unread } = await api('GET', '/notifications/unread-count');
    if (seq === countWatch.unreadSeq && session.accessToken) {
      countWatch.unread = unread;
      renderCounts();
    }
  } catch { /* the next check tries again */ }
}

function renderCounts() {
  if (!shell) return;
  const { pending, pendingMore, unread } = countWatch;
  const navBadge = shell.approvalsNavBadge;
  navBadge.hidden = !pending;
  setChildren(navBadge, pending ? [h('span', { 'aria-hidden': 'true' }, fmtCount(pending, pendingMore)),
    h('span', { class: 'sr-only' }, ` (${fmtCount(pending, pendingMore)} pending)`)] : null);
  shell.bell.hidden = unread === null || !session.user;
  const shown = unread ? fmtCount(Math.min(unread, UNREAD_CAP), unread >= UNREAD_CAP) : '';
  shell.bellCount.hidden = !unread;
  shell.bellCount.textContent = shown;
  shell.bell.setAttribute('aria-label', unread ? `Notifications: ${shown} unread` : 'Notifications: none unread');
  shell.bell.title = unread ? `${shown} unread notifications` : 'Notifications';
}

// ---------------------------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------------------------

/** Keyboard shortcuts (lib/shortcuts.ts), on the signed-in pages; a page's own keys (PageContext.keys) come after. */
let gPressedAt = null;
let pageKeys = null; // { token, handler } of the page that registered them

document.addEventListener('keydown', (event) => {
  if (!shell || document.querySelector('dialog[open]')) return;
  const el = document.activeElement;
  const typing = !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
  const shortcut = shortcutFor({ key: event.key, ctrlKey: event.ctrlKey, altKey: event.altKey, metaKey: event.metaKey, typing }, gPressedAt, Date.now());
  const wasPending = gPressedAt !== null;
  gPressedAt = shortcut?.kind === 'pending' ? Date.now() : null;
  if (!shortcut && !wasPending && !typing && !event.ctrlKey && !event.altKey && !event.metaKey && pageKeys?.token === viewToken) {
    if (pageKeys.handler(event.key)) event.preventDefault();
    return;
  }
  if (!shortcut || shortcut.kind === 'pending') return;
  event.preventDefault();
  if (shortcut.kind === 'go') navigate(shortcut.path);
  else if (shortcut.kind === 'search') document.querySelector('#main input[type=search]')?.focus();
  else openDialog({
    title: 'Keyboard shortcuts',
    content: h('dl', { class: 'details shortcuts' },
      h('dt', {}, h('kbd', {}, '/')), h('dd', {}, 'Search on this page'),
      h('dt', {}, h('kbd', {}, '?')), h('dd', {}, 'This list'),
      h('dt', {}, h('kbd', {}, 'j'), ' ', h('kbd', {}, 'k')), h('dd', {}, 'On a run: next and previous event'),
      h('dt', {}, h('kbd', {}, 'h'), ' ', h('kbd', {}, 'l')), h('dd', {}, 'On a run: collapse and expand the selected event'),
      h('dt', {}, h('kbd', {}, 'e')), h('dd', {}, 'On a run: the first error'),
      Object.entries(GO_KEYS).map(([key, target]) => [h('dt', {}, h('kbd', {}, 'g'), ' ', h('kbd', {}, key)), h('dd', {}, target.label)])),
  });
});

// Charts draw with the theme's colours, so a change of theme draws the page again.
const theme = startTheme(() => { if (session.user) route(); });

function themeSelect() {
  const choice = themeChoice();
  const select = h('select', { class: 'theme-select', 'aria-label': 'Theme', title: 'Theme: Auto follows the system', onchange: () => theme.choose(select.value) },
    THEMES.map(([value, label]) => h('option', { value, selected: value === choice }, label)));
  return select;
}

async function boot() {
  // The shared helpers' hooks into the shell: a 403 re-reads the role; a page held back by an open dialog is drawn.
  setForbiddenHandler(resyncAfterForbidden);
  onDialogsClosed(() => { if (rerenderWhenIdle) { rerenderWhenIdle = false; route(); } });
  document.querySelector('.skip-link')?.addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById('main')?.focus();
  });
  window.addEventListener('hashchange', route);
  if (storedRefreshToken()) {
    try {
      await refreshSession();
    } catch (e) {
      if (!(e instanceof SessionEnded)) {
        flash = { kind: 'error', text: `Could not restore your session: ${e instanceof ApiError ? e.detail : 'unexpected error.'} Reload to try again, or sign in.` };
      }
    }
  }
  document.getElementById('app').removeAttribute('aria-busy');
  route();
}

boot();
