// The session of this tab: the tokens, their refresh (shared with the tabs that share the session), what the person may
// do (GET /me/permissions), and the calls to /api/v1 with RFC 9457 problems as ApiError. The state lives in one object,
// `session`, which only this module writes; the shell learns of changes through the hooks it gives initSession.
//
// Security rules kept by this module:
// - The access token lives only in memory; the refresh token in sessionStorage (one login per tab). Tokens, API keys
//   and invitation tokens are never written to the console, to localStorage or into URLs we keep.
// - What the caller cannot do is hidden (the server says what it may do: GET /me/permissions), but the server stays the
//   judge: every 401/403/409/429 answer is shown where it belongs.
import { call, type Schemas, type Transport } from '../api/client';
import { ApiError, SessionEnded } from '../api/errors';

// Same origin by default; a build for a dashboard hosted apart from the API (the Azure Static Web App) names the API's
// origin in VITE_AGENTOPS_API_ORIGIN (vite.config.ts also adds it to the CSP's connect-src).
export const API_BASE = `${import.meta.env.VITE_AGENTOPS_API_ORIGIN ?? ''}/api/v1`;
const REFRESH_STORAGE_KEY = 'agentops.refresh_token';

export interface SessionState {
  /** Only in memory, never stored. Null: signed out. */
  accessToken: string | null;
  /** When the access token expires (ms since the epoch). */
  expiresAt: number;
  user: Schemas['UserView'] | null;
  org: Schemas['OrgView'] | null;
  role: string | null;
  /** The person's team, as GET /me/permissions last said (null for none, and until it has been read). */
  team: string | null;
  /** GET /me/permissions; null until read (or when it could not be): then nothing that needs a permission is offered. */
  permissions: Schemas['MyPermissions'] | null;
}

const SIGNED_OUT: SessionState = { accessToken: null, expiresAt: 0, user: null, org: null, role: null, team: null, permissions: null };

const state: SessionState = { ...SIGNED_OUT };

/** The session, to read; it changes only through this module's functions. */
export const session: Readonly<SessionState> = state;

/** How the shell follows the session (given once, to initSession). */
export interface SessionHooks {
  /** A sign-in or a refresh applied a session (or the organization changed): the top bar shows it. */
  applied(): void;
  /** A refresh found another role than before; the permissions have been read again. */
  roleChanged(previousRole: string, role: string): void;
  /**
   * The session ended in this tab (its state is already cleared): stop what ran for it, keep the message for the
   * sign-in page, and go there if the page needs a session (coming back to it after signing in if `rememberRoute`).
   */
  ended(notice: { kind: string; text: string } | null, info: { wasSignedIn: boolean; rememberRoute: boolean }): void;
}

let hooks: SessionHooks | null = null;
/** The pending refresh: its timer and the one in flight (single-flight per tab). */
const refresh: { timer: ReturnType<typeof setTimeout> | undefined; inFlight: Promise<Schemas['SessionResponse']> | null } = {
  timer: undefined,
  inFlight: null,
};

/** What tabs sharing a session (a duplicated tab) tell each other: same origin only. */
type TabMessage = { type: 'rotated'; from: string; to: string } | { type: 'logout'; token: string };

const channel = 'BroadcastChannel' in window ? new BroadcastChannel('agentops-session') : null;
const tell = (message: TabMessage): void => channel?.postMessage(message);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wires the session to the shell and listens to the other tabs; once, at start. */
export function initSession(shellHooks: SessionHooks): void {
  hooks = shellHooks;
  channel?.addEventListener('message', (event: MessageEvent<TabMessage | null>) => {
    const message = event.data;
    const mine = storedRefreshToken();
    if (!mine || !message) return;
    if (message.type === 'rotated' && message.from === mine) storeRefreshToken(message.to);
    if (message.type === 'logout' && message.token === mine) endSession('You signed out in another tab.');
  });
  document.addEventListener('visibilitychange', () => {
    // Timers are throttled in background tabs: catch up when the tab is shown again.
    if (document.visibilityState === 'visible' && state.accessToken && state.expiresAt - Date.now() < 60_000) {
      refreshSession().catch(() => {});
    }
  });
}

function storedRefreshToken(): string | null {
  try { return sessionStorage.getItem(REFRESH_STORAGE_KEY); } catch { return null; }
}

function storeRefreshToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(REFRESH_STORAGE_KEY, token);
    else sessionStorage.removeItem(REFRESH_STORAGE_KEY);
  } catch { /* storage disabled: the session lasts as long as the page */ }
}

/** Whether this tab holds a session to restore (a reload). */
export const hasStoredSession = (): boolean => storedRefreshToken() !== null;

// ---------------------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------------------

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}

const UNREACHABLE = 'The server could not be reached. Check your connection and try again.';

const FALLBACK_DETAIL: Readonly<Record<number, string>> = {
  0: UNREACHABLE,
  403: 'You are not allowed to do this.',
  404: 'Not found.',
  429: 'Too many requests.',
  500: 'Something failed on the server.',
  502: 'The server is unavailable.',
  503: 'The server is unavailable. Try again shortly.',
};

export interface RequestOptions {
  /** Send the session's access token (the default); false for the /auth endpoints. */
  auth?: boolean;
  /** This token instead of the session's (ending a session another has replaced). */
  token?: string | null;
  /** Answer the body's text instead of its JSON. */
  raw?: boolean;
  /** Answer the body as a file of this media type. */
  download?: string | null;
}

export interface Downloaded {
  blob: Blob;
  /** The name the server suggests (Content-Disposition), reduced to safe characters. */
  filename: string | null;
}

/**
 * One HTTP call; returns the parsed JSON (the text when `raw`; `{ blob, filename }` when `download`; null for 204)
 * or throws ApiError.
 */
export async function request(method: string, path: string, body?: unknown, { auth = true, token = null, raw = false, download = null }: RequestOptions = {}): Promise<unknown> {
  const headers: Record<string, string> = {
    Accept: download ? `${download}, application/problem+json` : raw ? 'text/plain, application/problem+json' : 'application/json, application/problem+json',
  };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const bearer = token ?? (auth ? state.accessToken : null);
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError({ status: 0, code: 'network_error', title: 'Network error', detail: UNREACHABLE });
  }
  if (response.status === 204) return null;
  if (download && response.ok) {
    const downloaded: Downloaded = { blob: await response.blob(), filename: dispositionFilename(response.headers.get('Content-Disposition')) };
    return downloaded;
  }
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (response.ok) return raw ? text : data;
  // The problem's fields as the contract declares them (any of them may be missing from a proxy's answer).
  const problem: Partial<Schemas['Problem']> = typeof data === 'object' && data !== null ? data : {};
  throw new ApiError({
    status: response.status,
    code: problem.code ?? `http_${response.status}`,
    title: problem.title ?? response.statusText,
    detail: problem.detail ?? FALLBACK_DETAIL[response.status] ?? `The server answered ${response.status}.`,
    errors: problem.errors ?? null,
    retryAfter: parseRetryAfter(response.headers.get('Retry-After')),
    traceId: problem.trace_id ?? null,
  });
}

/** The file name a Content-Disposition header suggests (RFC 6266: filename* first), reduced to safe characters. */
function dispositionFilename(header: string | null): string | null {
  if (!header) return null;
  let name: string | null = null;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended) {
    try { name = decodeURIComponent((extended[1] ?? '').trim()); } catch { name = null; }
  }
  name ??= /filename\s*=\s*"?([^";]+)"?/.exec(header)?.[1]?.trim() ?? null;
  const safe = name?.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '');
  return safe || null;
}

/**
 * An authenticated call: refreshes the access token before expiry and once on 401 token_expired. (A text or file GET
 * never answers 204, so those answer a string or a file, never null.)
 */
export function api(method: string, path: string, body: undefined, options: { download: string }): Promise<Downloaded>;
export function api(method: string, path: string, body: undefined, options: { raw: true }): Promise<string>;
export function api(method: string, path: string, body?: unknown): Promise<unknown>;
export async function api(method: string, path: string, body?: unknown, { raw = false, download = null }: Pick<RequestOptions, 'raw' | 'download'> = {}): Promise<unknown> {
  if (!state.accessToken) throw new SessionEnded('Not signed in.');
  if (state.expiresAt - Date.now() < 15_000) {
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

/** Calls with the session (refreshed as needed): the pages' transport. */
export const apiTransport: Transport = (method, path, body) => api(method, path, body);

/** Calls without the session's token: the /auth endpoints. */
export const guestTransport: Transport = (method, path, body) => request(method, path, body, { auth: false });

/** Calls with the current access token as it is (no refresh: used while refreshing). */
const currentTokenTransport: Transport = (method, path, body) => request(method, path, body);

// ---------------------------------------------------------------------------------------------------------------
// The session's life
// ---------------------------------------------------------------------------------------------------------------

/** Rotates the refresh token. Single-flight per tab; serialized across tabs that share a session (duplicated tabs). */
export function refreshSession(): Promise<Schemas['SessionResponse']> {
  refresh.inFlight ??= doRefresh().finally(() => { refresh.inFlight = null; });
  return refresh.inFlight;
}

async function doRefresh(): Promise<Schemas['SessionResponse']> {
  const work = async (): Promise<Schemas['SessionResponse']> => {
    const token = storedRefreshToken();
    if (!token) throw endSession('Your session has ended. Sign in again.');
    let data: Schemas['SessionResponse'];
    try {
      data = await call(guestTransport, 'refreshToken', { body: { refresh_token: token } });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 422)) throw endSession(e.detail);
      scheduleRefresh(30); // server or network trouble: keep the session and try again soon
      throw e;
    }
    const previousRole = state.role;
    applySession(data, { rotatedFrom: token });
    await loadPermissions(); // the role or team may have changed since the last read
    if (previousRole && previousRole !== data.role) hooks?.roleChanged(previousRole, data.role);
    // Hold the lock a moment so the rotation message reaches sibling tabs before one of them refreshes.
    if (channel && navigator.locks) await sleep(150);
    return data;
  };
  return navigator.locks ? navigator.locks.request('agentops-refresh', work) : work();
}

function applySession(data: Schemas['SessionResponse'], { rotatedFrom = null }: { rotatedFrom?: string | null } = {}): void {
  const sameUser = state.user?.id === data.user.id;
  state.accessToken = data.access_token;
  state.expiresAt = Date.now() + data.expires_in * 1000;
  state.user = data.user;
  state.org = data.organization;
  state.role = data.role;
  if (!sameUser) { state.team = null; state.permissions = null; }
  storeRefreshToken(data.refresh_token);
  if (rotatedFrom) tell({ type: 'rotated', from: rotatedFrom, to: data.refresh_token });
  scheduleRefresh(data.expires_in);
  hooks?.applied();
}

/**
 * What this person may do, as the server decides it (Rbac.cs, MemberRules.cs, ApiKeyRules.cs): read after sign-in and
 * whenever the role changes. Until it arrives (or if it cannot be read) nothing that needs a permission is offered.
 */
async function loadPermissions(): Promise<void> {
  try {
    const permissions = await call(currentTokenTransport, 'getMyPermissions');
    state.permissions = permissions;
    state.team = permissions.team;
  } catch {
    state.permissions = null; // offered nothing; the next refresh tries again
  }
}

/** Refresh a minute before expiry (or at 80 % of short lifetimes). */
function scheduleRefresh(expiresInSeconds: number): void {
  clearTimeout(refresh.timer);
  const lead = Math.min(60, expiresInSeconds * 0.2);
  const delay = Math.max(5, expiresInSeconds - lead) * 1000;
  refresh.timer = setTimeout(() => { refreshSession().catch(() => { /* reported by the next call */ }); }, delay);
}

/** Starts the session a sign-in, sign-up or accepted invitation answered, and reads its permissions. */
export async function beginSession(data: Schemas['SessionResponse']): Promise<void> {
  applySession(data);
  await loadPermissions();
}

/** Forget the session locally; the shell goes to the sign-in page (hooks.ended). Returns a SessionEnded to throw. */
export function endSession(message: string, kind = 'info', { rememberRoute = true }: { rememberRoute?: boolean } = {}): SessionEnded {
  const wasSignedIn = !!state.accessToken;
  clearTimeout(refresh.timer);
  Object.assign(state, SIGNED_OUT);
  storeRefreshToken(null);
  hooks?.ended(message ? { kind, text: message } : null, { wasSignedIn, rememberRoute });
  return new SessionEnded(message);
}

export async function logout(): Promise<void> {
  const token = storedRefreshToken();
  try { await call(apiTransport, 'logOut'); } catch { /* the session ends locally whatever the server says */ }
  if (token) tell({ type: 'logout', token });
  // If the server already ended the session, api() has shown why; otherwise confirm the sign-out.
  if (state.accessToken) endSession('You have signed out.', 'success', { rememberRoute: false });
}

/**
 * Ends on the server the session held in this tab now, once another has replaced it (best effort); null when none is
 * held. Read before the call that starts the new session.
 */
export function replacedSession(): (() => void) | null {
  const token = state.accessToken;
  return token ? () => { request('POST', '/auth/logout', undefined, { token }).catch(() => {}); } : null;
}

/** The organization's profile as just read or saved. */
export function setOrg(org: Schemas['OrgView']): void {
  state.org = org;
}

/** A current access token for the live stream (refreshed when near its expiry), or null when signed out. */
export async function liveToken(): Promise<string | null> {
  if (!state.accessToken) return null;
  if (state.expiresAt - Date.now() < 15_000) await refreshSession().catch(() => {});
  return state.accessToken;
}

// ---------------------------------------------------------------------------------------------------------------
// What the signed-in person may do: the server's answer (GET /me/permissions). The rules that depend on the item
// (ApiKeyRules.MayRevoke, MemberRules' team rule), which the server still enforces, live with the pages (PageContext.me)
// ---------------------------------------------------------------------------------------------------------------

export const holds = (permission: string): boolean => !!state.permissions?.permissions.includes(permission);

/** After a 403 the role may have changed under us: re-read it (the refresh answer carries the current role). */
export function resync(): void {
  if (state.accessToken) refreshSession().catch(() => {});
}
