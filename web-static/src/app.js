// AgentOps dashboard — a dependency-free single-page app over /api/v1 (see docs/api.md and the *Api.cs endpoints).
//
// Security rules kept by this file:
// - The access token lives only in memory; the refresh token in sessionStorage (one login per tab). Tokens, API keys
//   and invitation tokens are never written to the console, to localStorage or into URLs we keep.
// - The DOM is built with textContent/properties only (no innerHTML with data), and index.html sets a strict CSP.
// - What the caller cannot do is hidden (the server says what it may do: GET /me/permissions), but the server stays the
//   judge: every 401/403/409/429 answer is shown where it belongs.

import { ApiError, SessionEnded } from './api/errors';
import { append, h, nextId, setChildren } from './lib/dom';
import { badge, emptyState, errorPanel as panelError, loadingPanel, pageHeader } from './components/panels';
import { clearProblem, field, formText, handleSubmit, selectControl } from './components/forms';
import { copyField } from './components/copyField';
import { ROLE_LABELS, roleBadge } from './components/roles';
import { confirmAction, confirmDelete, KEEP_OPEN, onDialogsClosed, openDialog } from './components/dialog';
import { toast } from './components/toast';
import { actionsCell, cell } from './components/table';
import { timeEl } from './components/time';
import { setForbiddenHandler } from './lib/forbidden';
import { fmtCount, plural } from './lib/format';
import { LIST_PAGE_SIZE, readAll } from './api/paging';
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

const errorPanel = (error, retry) => panelError(error, retry, resyncAfterForbidden);

// Same origin by default; a build for a dashboard hosted apart from the API (the Azure Static Web App) names the API's
// origin in VITE_AGENTOPS_API_ORIGIN (vite.config.ts also adds it to the CSP's connect-src).
const API_BASE = `${import.meta.env.VITE_AGENTOPS_API_ORIGIN ?? ''}/api/v1`;
const REFRESH_STORAGE_KEY = 'agentops.refresh_token';
const DEFAULT_ROUTE = '/overview';

const ROLE_HELP = {
  admin: 'Full control: organization profile, every member and every API key.',
  team_lead: 'Manages members and viewers of their own team; creates API keys.',
  member: 'Uses the platform and creates API keys (ingest, read, write).',
  viewer: 'Read-only access.',
};

const SCOPES = [
  { id: 'ingest', label: 'Ingest', help: 'Send runs, spans and events from SDKs, exporters and the gateway.' },
  { id: 'read', label: 'Read', help: 'Read data and configuration.' },
  { id: 'write', label: 'Write', help: 'Change configuration. Includes read.' },
  { id: 'admin', label: 'Admin', help: 'Manage the organization, members and API keys. Includes write and read.' },
];

const EXPIRY_CHOICES = [
  { id: 'never', label: 'Never expires' },
  { id: '7', label: '7 days', days: 7 },
  { id: '30', label: '30 days', days: 30 },
  { id: '90', label: '90 days', days: 90 },
  { id: '365', label: '1 year', days: 365 },
  { id: 'custom', label: 'On a date…' },
];

// ---------------------------------------------------------------------------------------------------------------
// DOM helpers
// ---------------------------------------------------------------------------------------------------------------

const SVG_NS = 'http://www.w3.org/2000/svg';
function logo() {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 32 32');
  svg.setAttribute('class', 'logo');
  svg.setAttribute('aria-hidden', 'true');
  const parts = [
    ['rect', { width: 32, height: 32, rx: 7, class: 'logo-bg' }],
    ['path', { d: 'M9 22 16 9l7 13', class: 'logo-stroke' }],
    ['circle', { cx: 16, cy: 19, r: 2, class: 'logo-dot' }],
  ];
  for (const [tag, attrs] of parts) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    svg.append(el);
  }
  return svg;
}

/** The notifications bell (outline), drawn with currentColor. */
function bellIcon() {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'bell-icon');
  svg.setAttribute('aria-hidden', 'true');
  for (const d of ['M6 10a6 6 0 0 1 12 0c0 4.5 1.5 6 2.5 7h-17C4.5 16 6 14.5 6 10Z', 'M10 20a2 2 0 0 0 4 0']) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

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

/** Follows next_cursor through a list endpoint (api/paging.ts). */
function loadAll(path) {
  return readAll((cursor) => api('GET', `${path}?limit=${LIST_PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
}

// ---------------------------------------------------------------------------------------------------------------
// What the signed-in person may do: the server's answer (GET /me/permissions), plus the rules that depend on the item
// (ApiKeyRules.MayRevoke, MemberRules' team rule), which the server still enforces (approvals: pages/approvals.ts)
// ---------------------------------------------------------------------------------------------------------------

const holds = (permission) => !!session.permissions?.permissions.includes(permission);
const isAdmin = () => session.role === 'admin';
const leadsTeam = () => session.role === 'team_lead' && !!session.team;

const can = {
  editOrg: () => holds('org_write'),
  readKeys: () => holds('api_keys_read'),
  createKeys: () => holds('api_keys_write'),
  grantableScopes: () => session.permissions?.grantable_scopes ?? [],
  revokeKey: (key) => holds('api_keys_write') && (isAdmin() || key.created_by === session.user?.id),
  invite: () => (session.permissions?.invitable_roles.length ?? 0) > 0,
  invitableRoles: () => session.permissions?.invitable_roles ?? [],
  manageMember: (m) => holds('members_write') && (isAdmin() || (leadsTeam() && (m.role === 'member' || m.role === 'viewer') && m.team === session.team)),
  controls: () => holds('controls'),
  readAudit: () => holds('audit_read'),
  writeBudgets: () => holds('budgets_write'),
  manageWebhooks: () => holds('webhooks_manage'),
  readJobs: () => holds('jobs_read'),
};

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
    me: () => (session.user ? { id: session.user.id, role: session.role } : null),
    pendingApprovals: (count) => { if (count === null) checkPending(); else setPendingCount(count, false); },
    refreshNotifications: (unread) => {
      if (unread === undefined) checkUnread();
      else { countWatch.unread = unread; renderCounts(); }
    },
    keys: (handler) => { pageKeys = { token: ctx.token, handler }; },
  }, ctx);
}

const ROUTES = {
  '/login': { title: 'Sign in', guestOnly: true, view: viewLogin },
  '/signup': { title: 'Create an organization', guestOnly: true, view: viewSignup },
  '/accept-invite': { title: 'Accept invitation', view: viewAcceptInvite },
  '/org': { title: 'Organization', private: true, view: viewOrganization, nav: 'Organization' },
  '/members': { title: 'Members', private: true, view: viewMembers, nav: 'Members' },
  '/api-keys': { title: 'API keys', private: true, view: viewApiKeys, nav: 'API keys', visible: () => can.readKeys() },
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
  '/audit': { title: 'Audit log', private: true, view: typedPage(viewAudit), nav: 'Audit log', section: 'control', wide: true, visible: () => can.readAudit() },
  '/jobs': { title: 'Jobs', private: true, view: typedPage(viewJobs), nav: 'Jobs', section: 'data', wide: true, visible: () => can.readJobs() },
  '/jobs/:id': { title: 'Job', private: true, view: typedPage((main, page, ctx) => viewJob(main, page, ctx.args.id)), navAs: '/jobs', wide: true },
  '/orchestrations': { title: 'Orchestrations', private: true, view: typedPage(viewOrchestrations), nav: 'Orchestrations', section: 'data', wide: true, visible: () => can.readJobs() },
  '/orchestrations/:id': { title: 'Orchestration', private: true, view: typedPage((main, page, ctx) => viewOrchestration(main, page, ctx.args.id)), navAs: '/orchestrations', wide: true },
  '/prices': { title: 'Model prices', private: true, view: typedPage(viewPrices), nav: 'Model prices', wide: true },
  '/webhooks': { title: 'Webhooks', private: true, view: typedPage(viewWebhooks), nav: 'Webhooks', visible: () => can.manageWebhooks() },
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
  if (!def) return redirect(signedIn ? DEFAULT_ROUTE : '/login');
  if (def.private && !signedIn) { pendingRoute = path; return redirect('/login'); }
  if (def.guestOnly && signedIn) return redirect(DEFAULT_ROUTE);

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
      h('a', { href: `#${DEFAULT_ROUTE}`, class: 'brand', 'aria-label': 'AgentOps home' }, logo(), h('span', { class: 'brand-name' }, 'AgentOps')),
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
// Sign-in, sign-up and invitation pages
// ---------------------------------------------------------------------------------------------------------------

function authCard(title, subtitle, ...content) {
  const notice = flash;
  flash = null;
  return h('div', { class: 'auth-card' },
    h('div', { class: 'auth-brand' }, logo(), h('span', { class: 'brand-name' }, 'AgentOps')),
    h('h1', { id: 'page-title', tabindex: '-1' }, title),
    subtitle && h('p', { class: 'page-desc' }, subtitle),
    notice && h('div', { class: `alert ${notice.kind}`, role: notice.kind === 'error' ? 'alert' : 'status' }, notice.text),
    content);
}

async function signedIn(data, message) {
  applySession(data);
  await loadPermissions();
  const target = pendingRoute && matchRoute(pendingRoute)?.def.private ? pendingRoute : DEFAULT_ROUTE;
  pendingRoute = null;
  if (message) toast(message);
  navigate(target);
}

function viewLogin(main) {
  const submit = h('button', { type: 'submit', class: 'btn primary block' }, 'Sign in');
  const form = h('form', { class: 'stack', 'aria-label': 'Sign in' },
    h('div', { class: 'problem-slot' }),
    field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'username', required: true }),
    field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('details', { class: 'disclosure' },
      h('summary', {}, 'Sign in to a specific organization'),
      field({
        label: 'Organization ID', name: 'org_id', optional: true, autocomplete: 'off',
        hint: 'Only if you belong to several organizations. Find it under Organization once signed in.',
        attrs: { spellcheck: 'false', class: 'mono' },
      })),
    submit);
  handleSubmit(form, async (data) => {
    const body = { email: formText(data, 'email'), password: data.get('password') ?? '' };
    const orgId = formText(data, 'org_id');
    if (orgId) body.org_id = orgId;
    const result = await request('POST', '/auth/login', body, { auth: false });
    signedIn(result);
  }, {
    codePaths: { invalid_credentials: '$.password', no_membership: '$.email' },
    onError: (e) => { if (e instanceof ApiError && e.errors?.['$.org_id']) form.querySelector('details').open = true; },
  });
  main.append(authCard('Sign in', 'Use your AgentOps account.', form,
    h('div', { class: 'auth-links' },
      h('p', {}, 'New to AgentOps? ', h('a', { href: '#/signup' }, 'Create an organization')),
      h('p', {}, 'Were you invited? ', h('a', { href: '#/accept-invite' }, 'Accept an invitation')))));
}

function viewSignup(main) {
  const form = h('form', { class: 'stack', 'aria-label': 'Create an organization' },
    h('div', { class: 'problem-slot' }),
    field({ label: 'Organization name', name: 'org_name', autocomplete: 'organization', required: true }),
    field({ label: 'Your name', name: 'name', autocomplete: 'name', optional: true }),
    field({ label: 'Work email', name: 'email', type: 'email', autocomplete: 'email', required: true }),
    field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'new-password', required: true, hint: 'At least 12 characters, and not your email address.' }),
    h('button', { type: 'submit', class: 'btn primary block' }, 'Create organization'));
  handleSubmit(form, async (data) => {
    const body = { org_name: formText(data, 'org_name'), name: formText(data, 'name'), email: formText(data, 'email'), password: data.get('password') ?? '' };
    const result = await request('POST', '/auth/signup', body, { auth: false });
    signedIn(result, `Welcome to AgentOps. ${result.organization.name} is ready.`);
  }, { codePaths: { email_taken: '$.email' } });
  main.append(authCard('Create an organization', 'You will be its first admin and can invite your team next.', form,
    h('div', { class: 'auth-links' }, h('p', {}, 'Already have an account? ', h('a', { href: '#/login' }, 'Sign in')))));
}

function viewAcceptInvite(main, ctx) {
  const token = ctx.params.get('token') ?? '';
  if (token) {
    // Keep the one-time token out of the address bar and history once it is in the form.
    history.replaceState(null, '', '#/accept-invite');
  }
  const tokenField = field({
    label: 'Invitation token', name: 'token', value: token, autocomplete: 'off', required: true,
    hint: 'Starts with aoi_. It is in the link or message you were sent.', attrs: { spellcheck: 'false', class: 'mono' },
  });
  const form = h('form', { class: 'stack', 'aria-label': 'Accept invitation' },
    h('div', { class: 'problem-slot' }),
    tokenField,
    field({ label: 'Your name', name: 'name', autocomplete: 'name', optional: true, hint: 'Used only when this creates a new account.' }),
    field({
      label: 'Password', name: 'password', type: 'password', autocomplete: 'new-password', required: true,
      hint: 'New to AgentOps: choose a password (at least 12 characters). Already have an account: enter its password.',
    }),
    h('button', { type: 'submit', class: 'btn primary block' }, 'Join organization'));
  handleSubmit(form, async (data) => {
    const body = { token: formText(data, 'token'), password: data.get('password') ?? '', name: formText(data, 'name') };
    const previousToken = session.accessToken;
    const result = await request('POST', '/auth/accept-invite', body, { auth: false });
    if (previousToken) {
      // Switching accounts in this tab: end the previous session on the server too (best effort).
      request('POST', '/auth/logout', undefined, { token: previousToken }).catch(() => {});
    }
    signedIn(result, `You joined ${result.organization.name} as ${ROLE_LABELS[result.role] ?? result.role}.`);
  }, { codePaths: { invitation_not_found: '$.token', invitation_expired: '$.token', invalid_credentials: '$.password' } });
  const current = session.user
    ? h('div', { class: 'alert info', role: 'status' }, `You are signed in as ${session.user.email}. Accepting signs this tab in with the invited account instead.`)
    : null;
  main.append(authCard('Accept your invitation', 'Join the organization that invited you.', current, form,
    h('div', { class: 'auth-links' },
      session.user
        ? h('p', {}, h('a', { href: `#${DEFAULT_ROUTE}` }, 'Back to the dashboard'))
        : h('p', {}, 'Already a member? ', h('a', { href: '#/login' }, 'Sign in')))));
}

// ---------------------------------------------------------------------------------------------------------------
// Organization
// ---------------------------------------------------------------------------------------------------------------

function timeZones() {
  let zones = [];
  try { zones = Intl.supportedValuesOf('timeZone'); } catch { zones = []; }
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}

function viewOrganization(main, ctx) {
  const body = h('div', { class: 'stack-lg' }, loadingPanel('Loading organization…'));
  main.append(pageHeader('Organization', 'Your organization’s profile.'), body);

  const load = async () => {
    setChildren(body, loadingPanel('Loading organization…'));
    try {
      const org = await api('GET', '/orgs/profile');
      if (!ctx.alive()) return;
      session.org = org;
      updateShell();
      draw(org);
    } catch (e) {
      if (ctx.alive()) setChildren(body, errorPanel(e, load));
    }
  };

  function draw(org) {
    const profile = can.editOrg() ? profileForm(org) : profileReadOnly(org);
    const details = h('section', { class: 'card', 'aria-labelledby': 'org-details-title' },
      h('h2', { id: 'org-details-title' }, 'Details'),
      copyField({ label: 'Organization ID', value: org.id, hint: 'Needed to sign in to this organization when your account belongs to several.' }),
      h('dl', { class: 'details' },
        h('dt', {}, 'Created'), h('dd', {}, timeEl(org.created_at, { withTime: true })),
        h('dt', {}, 'Last changed'), h('dd', {}, timeEl(org.updated_at, { withTime: true }))));
    setChildren(body, profile, details);
  }

  function profileReadOnly(org) {
    return h('section', { class: 'card', 'aria-labelledby': 'org-profile-title' },
      h('h2', { id: 'org-profile-title' }, 'Profile'),
      h('dl', { class: 'details' },
        h('dt', {}, 'Name'), h('dd', {}, org.name),
        h('dt', {}, 'Time zone'), h('dd', {}, org.timezone)),
      h('p', { class: 'muted' }, 'Only admins can change the organization profile.'));
  }

  function profileForm(org) {
    const listId = nextId('tz');
    const save = h('button', { type: 'submit', class: 'btn primary', disabled: true }, 'Save changes');
    const reset = h('button', { type: 'reset', class: 'btn secondary', disabled: true }, 'Discard');
    const form = h('form', { class: 'card stack', 'aria-labelledby': 'org-profile-title' },
      h('h2', { id: 'org-profile-title' }, 'Profile'),
      h('div', { class: 'problem-slot' }),
      field({ label: 'Name', name: 'name', value: org.name, autocomplete: 'organization', required: true }),
      field({
        label: 'Time zone', name: 'timezone', value: org.timezone, autocomplete: 'off', required: true,
        hint: 'An IANA time zone such as Europe/Paris or UTC.', attrs: { list: listId, spellcheck: 'false' },
      }),
      h('datalist', { id: listId }, timeZones().map((z) => h('option', { value: z }))),
      h('div', { class: 'form-actions start' }, save, reset));
    const changed = () => {
      const data = new FormData(form);
      const dirty = formText(data, 'name') !== org.name || formText(data, 'timezone') !== org.timezone;
      save.disabled = !dirty;
      reset.disabled = !dirty;
    };
    form.addEventListener('input', changed);
    form.addEventListener('reset', () => setTimeout(() => { clearProblem(form); changed(); }));
    handleSubmit(form, async (data) => {
      const patch = {};
      if (formText(data, 'name') !== org.name) patch.name = formText(data, 'name');
      if (formText(data, 'timezone') !== org.timezone) patch.timezone = formText(data, 'timezone');
      if (!Object.keys(patch).length) return;
      const updated = await api('PATCH', '/orgs/profile', patch);
      if (!ctx.alive()) return;
      session.org = updated;
      updateShell();
      document.title = `Organization · ${updated.name} · AgentOps`;
      toast('Organization profile saved.');
      draw(updated);
    });
    return form;
  }

  load();
}

// ---------------------------------------------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------------------------------------------

function memberStatus(m) {
  if (m.status === 'active') return { key: 'active', node: badge('Active', 'success') };
  if (m.status === 'invited') {
    const expired = m.invite_expires_at && new Date(m.invite_expires_at).getTime() <= Date.now();
    if (expired) return { key: 'expired', node: badge('Invitation expired', 'danger') };
    return {
      key: 'invited',
      node: h('span', { class: 'status-stack' }, badge('Invited', 'warning'),
        m.invite_expires_at && h('span', { class: 'muted small' }, 'expires ', timeEl(m.invite_expires_at, { rel: true }))),
    };
  }
  return { key: m.status, node: badge(m.status, 'neutral') };
}

function viewMembers(main, ctx) {
  let members = [];
  let truncated = false;
  const actions = h('div', { class: 'page-actions-inner' });
  const notes = h('div', {});
  const search = h('input', { type: 'search', id: nextId('member-filter'), placeholder: 'Name, email, team or role', autocomplete: 'off' });
  const statusFilter = selectControl([
    { value: 'all', label: 'All' }, { value: 'active', label: 'Active' }, { value: 'invited', label: 'Invitations' },
  ], 'all');
  statusFilter.id = nextId('member-status');
  const count = h('p', { class: 'muted toolbar-count', 'aria-live': 'polite' });
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading members…'));
  const toolbar = h('div', { class: 'toolbar', role: 'search', 'aria-label': 'Filter members' },
    h('div', { class: 'toolbar-field grow' }, h('label', { for: search.id }, 'Filter'), search),
    h('div', { class: 'toolbar-field' }, h('label', { for: statusFilter.id }, 'Status'), statusFilter),
    count);
  main.append(pageHeader('Members', 'People in this organization and open invitations.', actions), notes, toolbar, list);
  search.addEventListener('input', () => draw());
  statusFilter.addEventListener('change', () => draw());

  async function reload() {
    if (!members.length) setChildren(list, loadingPanel('Loading members…'));
    try {
      const result = await loadAll('/org-members');
      if (!ctx.alive()) return;
      members = result.items;
      truncated = result.truncated;
      const self = members.find((m) => m.user_id === session.user?.id);
      if (self && (self.role !== session.role || (self.team ?? null) !== session.team)) {
        // Changed by someone else: the refresh answer carries the new role, and the permissions are read again.
        await refreshSession().catch(() => {});
        if (!ctx.alive()) return;
      }
      draw();
    } catch (e) {
      if (ctx.alive()) setChildren(list, errorPanel(e, reload));
    }
  }

  function draw() {
    setChildren(actions, can.invite()
      ? h('button', { type: 'button', class: 'btn primary', onclick: () => openInvite(members, reload) }, 'Invite member')
      : null);
    setChildren(notes, ...memberNotes());
    const teamsKnown = new Set(members.map((m) => m.team).filter(Boolean));
    const activeAdmins = members.filter((m) => m.role === 'admin' && m.status === 'active').length;
    const q = search.value.trim().toLowerCase();
    const wanted = statusFilter.value;
    const rows = members
      .filter((m) => wanted === 'all' || (wanted === 'active' ? m.status === 'active' : m.status === 'invited'))
      .filter((m) => !q || [m.email, m.name, m.team, ROLE_LABELS[m.role]].some((v) => v && v.toLowerCase().includes(q)))
      .sort((a, b) => (a.status === b.status ? 0 : a.status === 'active' ? -1 : 1) || a.email.localeCompare(b.email));
    const active = members.filter((m) => m.status === 'active').length;
    count.textContent = `${plural(active, 'member')} · ${plural(members.length - active, 'open invitation')}${rows.length !== members.length ? ` · ${rows.length} shown` : ''}`;
    if (!members.length) {
      setChildren(list, emptyState('No members yet', null));
      return;
    }
    if (!rows.length) {
      setChildren(list, emptyState('No member matches this filter.', null,
        h('button', { type: 'button', class: 'btn secondary', onclick: () => { search.value = ''; statusFilter.value = 'all'; draw(); } }, 'Clear filter')));
      return;
    }
    const table = h('table', { class: 'table' },
      h('caption', { class: 'sr-only' }, 'Members and invitations'),
      h('thead', {}, h('tr', {},
        ['Member', 'Role', 'Team', 'Status', 'Added'].map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, rows.map((m) => memberRow(m, { activeAdmins, teams: teamsKnown }))));
    setChildren(list, h('div', { class: 'table-wrap' }, table),
      truncated ? h('p', { class: 'muted pad' }, `Showing the first ${members.length} entries.`) : null);
  }

  function memberNotes() {
    if (session.role === 'team_lead' && session.permissions && !session.team) {
      return [h('div', { class: 'alert info' }, 'You are a team lead without a team, so you cannot invite or change members yet. Ask an admin to assign you a team.')];
    }
    if (session.role === 'team_lead' && session.team) {
      return [h('p', { class: 'muted note' }, `As team lead of “${session.team}”, you can invite and manage members and viewers of that team.`)];
    }
    return [];
  }

  function memberRow(m, { activeAdmins, teams }) {
    const isSelf = m.user_id && m.user_id === session.user?.id;
    const lastAdmin = m.role === 'admin' && m.status === 'active' && activeAdmins <= 1;
    const status = memberStatus(m);
    const who = m.name || m.email;
    const buttons = [];
    if (can.manageMember(m)) {
      buttons.push(h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Edit ${m.email}`, onclick: () => openEditMember(m, { lastAdmin, isSelf, teams }, reload) }, 'Edit'));
      if (m.status === 'invited') {
        buttons.push(h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Renew invitation for ${m.email}`, onclick: () => renewInvitation(m, reload) }, 'New link'));
        buttons.push(h('button', { type: 'button', class: 'btn ghost small danger-text', 'aria-label': `Withdraw invitation for ${m.email}`, onclick: () => removeMember(m, { isSelf }, reload) }, 'Withdraw'));
      } else if (!lastAdmin) {
        buttons.push(h('button', { type: 'button', class: 'btn ghost small danger-text', 'aria-label': `Remove ${m.email}`, onclick: () => removeMember(m, { isSelf }, reload) }, 'Remove'));
      }
    }
    return h('tr', {},
      cell('Member',
        h('div', { class: 'who' },
          h('span', { class: 'who-name' }, who, isSelf && badge('You', 'accent')),
          m.name && h('span', { class: 'muted small' }, m.email))),
      cell('Role', roleBadge(m.role), lastAdmin && h('span', { class: 'muted small block' }, 'Last admin')),
      cell('Team', m.team ?? h('span', { class: 'muted' }, '—')),
      cell('Status', status.node),
      cell('Added', timeEl(m.created_at)),
      actionsCell(buttons.length ? h('div', { class: 'row-actions' }, buttons) : null));
  }

  reload();
}

function roleSelect(roles, selected) {
  return selectControl(roles.map((r) => ({ value: r, label: ROLE_LABELS[r] })), selected);
}

function roleHintUpdater(select, hint) {
  const update = () => { hint.textContent = ROLE_HELP[select.value] ?? ''; };
  select.addEventListener('change', update);
  update();
}

function teamField({ value, teams, fixed }) {
  const listId = nextId('teams');
  const f = field({
    label: 'Team', name: 'team', value: value ?? '', optional: !fixed, autocomplete: 'off',
    hint: fixed ? 'Team leads add people to their own team only.' : 'Leave empty for no team.',
    attrs: { list: listId, readOnly: !!fixed },
    after: h('datalist', { id: listId }, [...teams].sort().map((t) => h('option', { value: t }))),
  });
  return f;
}

function openInvite(members, reload) {
  const roles = can.invitableRoles();
  const role = roleSelect(roles, roles.includes('member') ? 'member' : roles[0]);
  const roleHelp = h('p', { class: 'hint' });
  roleHintUpdater(role, roleHelp);
  const teams = new Set(members.map((m) => m.team).filter(Boolean));
  const fixedTeam = isAdmin() ? null : session.team;
  const form = h('form', { class: 'stack' },
    h('div', { class: 'problem-slot' }),
    field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'off', required: true }),
    h('div', {}, field({ label: 'Role', name: 'role', control: role }), roleHelp),
    teamField({ value: fixedTeam, teams, fixed: !!fixedTeam }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'btn primary' }, 'Create invitation')));
  const dialog = openDialog({ title: 'Invite a member', content: form });
  handleSubmit(form, async (data) => {
    const team = formText(data, 'team');
    const result = await api('POST', '/org-members', { email: formText(data, 'email'), role: data.get('role'), team: team || null });
    showInvitation(dialog, result);
    reload();
  }, { codePaths: { member_exists: '$.email' } });
}

/** Shows the one-time invitation token and accept link (the API never shows it again). */
function showInvitation(dialog, result) {
  const link = `${location.origin}${location.pathname}#/accept-invite?token=${encodeURIComponent(result.invite_token)}`;
  let copied = false;
  const linkField = copyField({ label: 'Invitation link', value: link, hint: 'Send this link to the invitee. It opens the accept form with the token filled in.', multiline: true });
  const tokenField = copyField({ label: 'Invitation token', value: result.invite_token, secret: true, multiline: true });
  const warning = h('p', { class: 'guard-warning', role: 'alert', hidden: true }, 'You have not copied the link or token. Close again to discard it; you would need to create a new link.');
  for (const f of [linkField, tokenField]) f.input.addEventListener('copied', () => { copied = true; warning.hidden = true; });
  dialog.setTitle('Invitation created');
  dialog.guard = () => {
    if (copied || !warning.hidden) return true;
    warning.hidden = false;
    return false;
  };
  const done = h('button', { type: 'button', class: 'btn primary', onclick: () => dialog.close() }, 'Done');
  dialog.setContent(h('div', { class: 'stack' },
    h('div', { class: 'alert warning' },
      h('p', { class: 'strong' }, 'Share this link now: it is shown only once.'),
      h('p', {}, `Anyone with it can join as ${ROLE_LABELS[result.member.role] ?? result.member.role} using ${result.member.email}. It expires `,
        timeEl(result.invite_expires_at, { withTime: true }), ' (', timeEl(result.invite_expires_at, { rel: true }), ').')),
    linkField,
    tokenField,
    warning,
    h('div', { class: 'form-actions' }, done)));
  linkField.input.focus();
}

function openEditMember(m, { lastAdmin, isSelf, teams }, reload) {
  const roles = can.invitableRoles();
  const role = roleSelect(roles, m.role);
  const roleHelp = h('p', { class: 'hint' });
  roleHintUpdater(role, roleHelp);
  if (lastAdmin) role.disabled = true;
  const fixedTeam = !isAdmin();
  const form = h('form', { class: 'stack' },
    h('p', { class: 'muted' }, m.name ? `${m.name} · ${m.email}` : m.email),
    h('div', { class: 'problem-slot' }),
    h('div', {}, field({ label: 'Role', name: 'role', control: role }), roleHelp,
      lastAdmin && h('p', { class: 'hint' }, 'This is the only active admin, so the role stays admin. Make someone else admin first.'),
      isSelf && !lastAdmin && isAdmin() && h('p', { class: 'hint warning-text' }, 'This is your own role: lowering it removes your admin rights at once.')),
    teamField({ value: m.team, teams, fixed: fixedTeam }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'btn primary' }, 'Save')));
  const dialog = openDialog({ title: `Edit ${m.status === 'invited' ? 'invitation' : 'member'}`, content: form });
  handleSubmit(form, async (data) => {
    const patch = {};
    const newRole = role.disabled ? m.role : data.get('role');
    const newTeam = formText(data, 'team') || null;
    if (newRole !== m.role) patch.role = newRole;
    if (!fixedTeam && newTeam !== (m.team ?? null)) patch.team = newTeam;
    if (!Object.keys(patch).length) { dialog.close(true); return; }
    await api('PATCH', `/org-members/${m.id}`, patch);
    dialog.close(true);
    toast(`Updated ${m.email}.`);
    if (isSelf) await refreshSession().catch(() => {});
    reload();
  }, { codePaths: { last_admin: '$.role' }, onError: (e) => { if (e instanceof ApiError && e.status === 404) reload(); } });
}

function removeMember(m, { isSelf }, reload) {
  const invited = m.status === 'invited';
  confirmAction({
    title: invited ? 'Withdraw invitation' : 'Remove member',
    message: invited
      ? `Withdraw the invitation for ${m.email}? The invitation link stops working.`
      : isSelf
        ? 'Remove yourself from this organization? You lose access at once and are signed out.'
        : `Remove ${m.name ? `${m.name} (${m.email})` : m.email} from the organization? Their access ends at once and their sessions are signed out. API keys they created keep working until revoked.`,
    confirmLabel: invited ? 'Withdraw invitation' : 'Remove member',
    action: async () => {
      try {
        await api('DELETE', `/org-members/${m.id}`);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) reload();
        throw e;
      }
      if (isSelf) { endSession('You left the organization.'); return; }
      toast(invited ? `Invitation for ${m.email} withdrawn.` : `${m.email} removed.`);
      reload();
    },
  });
}

/** There is no "resend": withdraw the invitation and create a new one with the same email, role and team. */
function renewInvitation(m, reload) {
  const dialog = confirmAction({
    title: 'Create a new invitation link',
    message: `Create a new link for ${m.email}? The previous link stops working, and the new one is shown once.`,
    confirmLabel: 'Create new link',
    danger: false,
    action: async () => {
      await api('DELETE', `/org-members/${m.id}`);
      let result;
      try {
        result = await api('POST', '/org-members', { email: m.email, role: m.role, team: m.team ?? null });
      } catch (e) {
        reload();
        if (e instanceof ApiError) {
          e.detail = `The old invitation was withdrawn, but a new one could not be created: ${e.detail} Invite ${m.email} again.`;
        }
        throw e;
      }
      reload();
      showInvitation(dialog, result);
      return KEEP_OPEN;
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// API keys
// ---------------------------------------------------------------------------------------------------------------

function keyStatus(k) {
  if (k.status === 'active') {
    const soon = k.expires_at && new Date(k.expires_at).getTime() - Date.now() < 7 * 86400_000;
    return soon ? badge('Expires soon', 'warning') : badge('Active', 'success');
  }
  if (k.status === 'revoked') return badge('Revoked', 'neutral');
  if (k.status === 'expired') return badge('Expired', 'danger');
  return badge(k.status, 'neutral');
}

function viewApiKeys(main, ctx) {
  if (!can.readKeys()) {
    main.append(pageHeader('API keys', null), h('div', { class: 'card' }, emptyState('You do not have access to API keys.', 'Viewers cannot see or create keys. Ask an admin if you need one.')));
    return;
  }
  let keys = [];
  let truncated = false;
  let creators = new Map();
  const showInactive = h('input', { type: 'checkbox', id: nextId('show-inactive') });
  const count = h('p', { class: 'muted toolbar-count', 'aria-live': 'polite' });
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading API keys…'));
  const create = can.createKeys() ? h('button', { type: 'button', class: 'btn primary', onclick: () => openCreateKey(reload) }, 'Create API key') : null;
  main.append(
    pageHeader('API keys', 'Keys let agents, SDKs and CI call the API. A key’s secret is shown once, when it is created.', create),
    h('div', { class: 'toolbar' },
      h('div', { class: 'checkbox' }, showInactive, h('label', { for: showInactive.id }, 'Show revoked and expired keys')),
      count),
    list);
  showInactive.addEventListener('change', () => draw());

  async function reload() {
    if (!keys.length) setChildren(list, loadingPanel('Loading API keys…'));
    try {
      const [result, people] = await Promise.all([
        loadAll('/api-keys'),
        loadAll('/org-members').catch(() => ({ items: [] })),
      ]);
      if (!ctx.alive()) return;
      keys = result.items;
      truncated = result.truncated;
      creators = new Map(people.items.filter((m) => m.user_id).map((m) => [m.user_id, m.email]));
      for (const k of keys) if (!creators.has(k.id)) creators.set(k.id, `key ${k.name}`);
      draw();
    } catch (e) {
      if (ctx.alive()) setChildren(list, errorPanel(e, reload));
    }
  }

  function draw() {
    const active = keys.filter((k) => k.status === 'active');
    const rows = (showInactive.checked ? [...keys] : active).sort((a, b) =>
      (a.status === b.status ? 0 : a.status === 'active' ? -1 : 1) || b.created_at.localeCompare(a.created_at));
    const hidden = keys.length - active.length;
    count.textContent = `${plural(active.length, 'active key')}${hidden ? ` · ${hidden} revoked or expired${showInactive.checked ? '' : ' (hidden)'}` : ''}`;
    if (!keys.length) {
      setChildren(list, emptyState('No API keys yet', 'Create a key for each agent, service or CI job, with only the scopes it needs.', create && h('button', { type: 'button', class: 'btn primary', onclick: () => openCreateKey(reload) }, 'Create API key')));
      return;
    }
    if (!rows.length) {
      setChildren(list, emptyState('No active keys.', 'Revoked and expired keys are hidden.'));
      return;
    }
    const table = h('table', { class: 'table' },
      h('caption', { class: 'sr-only' }, 'API keys'),
      h('thead', {}, h('tr', {},
        ['Name', 'Key', 'Scopes', 'Status', 'Created', 'Last used', 'Expires'].map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, rows.map(keyRow)));
    setChildren(list, h('div', { class: 'table-wrap' }, table),
      truncated ? h('p', { class: 'muted pad' }, `Showing the first ${keys.length} keys.`) : null);
  }

  function keyRow(k) {
    const creator = creators.get(k.created_by);
    return h('tr', { class: k.status === 'active' ? null : 'inactive' },
      cell('Name', h('span', { class: 'strong' }, k.name)),
      cell('Key', h('code', { class: 'prefix', title: 'Key prefix: the rest of the key is secret' }, `${k.prefix}_…`)),
      cell('Scopes', h('span', { class: 'chips' }, k.scopes.map((s) => h('span', { class: `chip scope-${s}` }, s)))),
      cell('Status', keyStatus(k), k.status === 'revoked' && k.revoked_at && h('span', { class: 'muted small block' }, timeEl(k.revoked_at))),
      cell('Created', timeEl(k.created_at), h('span', { class: 'muted small block' }, k.created_by === session.user?.id ? 'by you' : creator ? `by ${creator}` : 'by a former member')),
      cell('Last used', k.last_used_at ? timeEl(k.last_used_at, { rel: true }) : h('span', { class: 'muted' }, 'Never')),
      cell('Expires', k.expires_at ? timeEl(k.expires_at, { withTime: true }) : h('span', { class: 'muted' }, 'Never')),
      actionsCell(
        k.status === 'active' && can.revokeKey(k)
          ? h('button', { type: 'button', class: 'btn ghost small danger-text', 'aria-label': `Revoke ${k.name}`, onclick: () => revokeKey(k, reload) }, 'Revoke')
          : null));
  }

  reload();
}

function expiryToIso(choice, customDate) {
  const option = EXPIRY_CHOICES.find((c) => c.id === choice);
  if (!option || option.id === 'never') return null;
  if (option.days) return new Date(Date.now() + option.days * 86400_000).toISOString();
  if (!customDate) return '';
  // The end of the chosen day, in the browser's time zone.
  const end = new Date(`${customDate}T23:59:59`);
  return Number.isNaN(end.getTime()) ? '' : end.toISOString();
}

function openCreateKey(reload) {
  const grantable = can.grantableScopes();
  const scopeBoxes = SCOPES.map((s) => {
    const id = nextId(`scope-${s.id}`);
    const allowed = grantable.includes(s.id);
    return h('div', { class: `checkbox scope-option${allowed ? '' : ' disabled'}` },
      h('input', { type: 'checkbox', id, name: 'scopes', value: s.id, checked: s.id === 'ingest', disabled: !allowed, 'aria-describedby': `${id}-help` }),
      h('label', { for: id }, h('span', { class: 'strong' }, s.label),
        h('span', { class: 'muted small block', id: `${id}-help` }, allowed ? s.help : `${s.help} Only admins can grant it.`)));
  });
  const scopesError = nextId('scopes-error');
  const scopes = h('fieldset', { class: 'fieldset', 'aria-describedby': scopesError, dataset: { path: '$.scopes', label: 'Scopes' } },
    h('legend', {}, 'Scopes'),
    h('p', { class: 'hint' }, 'Give each key only what it needs. Agents that only send telemetry need Ingest.'),
    scopeBoxes,
    h('p', { class: 'field-error', id: scopesError, hidden: true }));

  const expiry = selectControl(EXPIRY_CHOICES.map((c) => ({ value: c.id, label: c.label })), '90');
  const tomorrow = new Date(Date.now() + 86400_000);
  const pad = (n) => String(n).padStart(2, '0');
  const minDate = `${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() + 1)}-${pad(tomorrow.getDate())}`;
  const custom = field({ label: 'Expiry date', name: 'expires_on', path: '$.expires_at', type: 'date', attrs: { min: minDate }, hint: 'The key stops working at the end of this day (your time zone).' });
  custom.hidden = true;
  expiry.addEventListener('change', () => {
    custom.hidden = expiry.value !== 'custom';
    if (!custom.hidden) custom.querySelector('input').focus();
  });
  const form = h('form', { class: 'stack' },
    h('div', { class: 'problem-slot' }),
    field({ label: 'Name', name: 'name', autocomplete: 'off', required: true, hint: 'What uses the key, e.g. “support-agent production” or “CI evals”.' }),
    scopes,
    field({ label: 'Expires', name: 'expiry', path: '$.expires_at', control: expiry, hint: 'Expiring keys limit the damage of a leak. The longest allowed is 10 years.' }),
    custom,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'btn primary' }, 'Create key')));
  const dialog = openDialog({ title: 'Create an API key', content: form });
  handleSubmit(form, async (data) => {
    const expiresAt = expiryToIso(data.get('expiry'), data.get('expires_on'));
    if (expiresAt === '') {
      throw new ApiError({ status: 422, code: 'validation_failed', title: 'Validation failed', detail: 'Choose a date.', errors: { '$.expires_at': ['needs a date.'] } });
    }
    const body = { name: formText(data, 'name'), scopes: data.getAll('scopes'), expires_at: expiresAt };
    const result = await api('POST', '/api-keys', body);
    showCreatedKey(dialog, result);
    reload();
  }, { codePaths: { scope_not_allowed: '$.scopes' } });
}

/** The key's secret, shown once; cleared from the page when the dialog closes. */
function showCreatedKey(dialog, result) {
  let copied = false;
  const keyField = copyField({ label: 'Secret key', value: result.key, secret: true, multiline: true });
  const warning = h('p', { class: 'guard-warning', role: 'alert', hidden: true }, 'You have not copied the key. Close again to discard it: it cannot be shown again.');
  keyField.input.addEventListener('copied', () => { copied = true; warning.hidden = true; });
  dialog.setTitle('API key created');
  dialog.guard = () => {
    if (copied || !warning.hidden) return true;
    warning.hidden = false;
    return false;
  };
  const k = result.api_key;
  const done = h('button', { type: 'button', class: 'btn primary', onclick: () => dialog.close() }, 'I have stored the key');
  dialog.setContent(h('div', { class: 'stack' },
    h('div', { class: 'alert warning' },
      h('p', { class: 'strong' }, 'Copy this key now. You will not be able to see it again.'),
      h('p', {}, 'AgentOps keeps only a hash of it. Store it in your secret manager; if it is lost, revoke the key and create a new one.')),
    keyField,
    h('dl', { class: 'details compact' },
      h('dt', {}, 'Name'), h('dd', {}, k.name),
      h('dt', {}, 'Scopes'), h('dd', {}, h('span', { class: 'chips' }, k.scopes.map((s) => h('span', { class: `chip scope-${s}` }, s)))),
      h('dt', {}, 'Expires'), h('dd', {}, k.expires_at ? timeEl(k.expires_at, { withTime: true }) : 'Never')),
    h('p', { class: 'muted small' }, 'Send it as ', h('code', {}, 'Authorization: Bearer <key>'), '.'),
    warning,
    h('div', { class: 'form-actions' }, done)));
  keyField.input.focus();
  const wipe = () => { keyField.input.value = ''; };
  dialog.body.closest('dialog').addEventListener('close', wipe, { once: true });
}

function revokeKey(k, reload) {
  confirmDelete({
    title: 'Revoke API key',
    message: `Revoke “${k.name}” (${k.prefix}_…)? Everything using it is refused from now on. This cannot be undone.`,
    details: k.last_used_at ? h('p', { class: 'muted' }, 'Last used ', timeEl(k.last_used_at, { rel: true }), '.') : null,
    confirmLabel: 'Revoke key',
    remove: () => api('DELETE', `/api-keys/${k.id}`),
    done: `Key “${k.name}” revoked.`,
    reload,
  });
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
  const key = on ? `${s.killed_at}|${s.killed_reason}|${can.controls()}` : '';
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
    can.controls() && h('a', { href: '#/controls', class: 'btn kill-banner-link' }, 'Open Controls')));
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
