import type { Schemas, Transport } from '../api/client';

/** What a page gets from the app shell: the API, its URL parameters, navigation and the caller's permissions. */
export interface PageContext {
  transport: Transport;
  /** The hash's query parameters (#/overview?range=7d). */
  params: URLSearchParams;
  /** False once the user has gone to another page: late answers are dropped, timers stop. */
  alive(): boolean;
  /** Go to a route, with parameters (empty values left out). */
  go(path: string, params?: Record<string, string>): void;
  /**
   * Calls fn on live hints of the topics (runs, approvals, controls, notifications, jobs) and on every (re)connect of
   * the live stream, at most once per minIntervalMs (default 1 s), while the page is open.
   */
  live(topics: readonly string[], fn: () => void, minIntervalMs?: number): void;
  /** Whether the live stream is up (pages poll only while it is not). */
  isLive(): boolean;
  /** Whether the caller holds a permission (GET /me/permissions: agents_write, controls, …). */
  holds(permission: string): boolean;
  /** A 403 came back: the role may have changed (the shell re-reads it). */
  onForbidden(): void;
  /** A text resource under /api/v1 (a stored payload), with the session's token. */
  text(pathAndQuery: string): Promise<string>;
  /** A file under /api/v1 (a CSV export) as `accept`: its content and the name the server suggests, if any. */
  download(pathAndQuery: string, accept: string): Promise<{ blob: Blob; filename: string | null }>;
  /** The signed-in organization: its name (for titles) and its time zone (the calendar of costs and budgets). */
  org(): { name: string; timezone: string } | null;
  /** Something may have paused agents (a budget's auto-pause): the shell re-reads the controls status for its banner. */
  refreshControls(): void;
  /**
   * The kill switch as the shell last read it (GET /controls/status, re-read on live hints; its banner and nav badge
   * show it), and when; null before the first answer.
   */
  controlStatus(): { status: Schemas['ControlStatus']; checkedAt: Date } | null;
  /** Re-reads the kill switch now (the latest read wins); unlike refreshControls, rejects when the read fails. */
  checkControls(): Promise<void>;
  /** A status an action answered with (kill switch, resume all): the banner and the listening pages take it at once. */
  setControlStatus(status: Schemas['ControlStatus']): void;
  /**
   * Calls fn after every read of the kill switch's status (the shell's and the page's own) while the page is open;
   * `changed`: the status differs from the one read before.
   */
  onControlStatus(fn: (status: Schemas['ControlStatus'], info: { changed: boolean }) => void): void;
  /**
   * The person signed in, for the rules that depend on an item (an approval request is never decided by who asked; a
   * team lead manages only their own team; a key is revoked by its creator or an admin). `team` as GET /me/permissions
   * last said: null for none, and until it has been read.
   */
  me(): { id: string; email: string; role: string; team: string | null } | null;
  /**
   * What the person may hand out (GET /me/permissions): the roles they may invite or give, and the API key scopes they
   * may grant. Empty until it has been read.
   */
  grantable(): { roles: string[]; scopes: string[] };
  /**
   * Re-reads the session: the refresh answer carries the current role, and the permissions are read again (a changed
   * role redraws the page). After the person's own role or team changed. Never rejects.
   */
  refreshSession(): Promise<void>;
  /** Ends the session in this tab (the person left the organization) and goes to the sign-in page, which shows the message. */
  endSession(message: string): void;
  /** The organization's profile as just read or saved: the shell shows it (the top bar, titles, org()). */
  setOrg(org: Schemas['OrgView']): void;
  /**
   * The Approvals page read the pending queue: the shell's nav badge shows its size at once (null: the queue is longer
   * than a page, and the shell asks the server's count).
   */
  pendingApprovals(count: number | null): void;
  /**
   * Something changed the person's notifications (a decision): the shell re-reads the bell's count. With a count (all
   * marked read: 0), the bell shows it at once instead, until the next read.
   */
  refreshNotifications(unread?: number): void;
  /**
   * The page's own keys (j/k on the run view): called with a key pressed outside any field and dialog, without Ctrl,
   * Alt or Meta, that no global shortcut took; answers whether it used it. One handler per page, gone with the page.
   */
  keys(handler: (key: string) => boolean): void;
}

/** Where the dashboard opens once signed in. */
export const HOME_ROUTE = '/overview';

/**
 * What the pages outside the shell get (sign-in, sign-up, accepting an invitation): calls to the /auth endpoints, which
 * need no session, and the start of a session.
 */
export interface GuestContext {
  /** Calls without the session's token (the /auth endpoints). */
  transport: Transport;
  /** The hash's query parameters (#/accept-invite?token=…). */
  params: URLSearchParams;
  /** The one-time notice for the card (why the session ended, a sign-out), taken: the next call answers null. */
  takeFlash(): { kind: string; text: string } | null;
  /** Who is signed in in this tab, if anyone (an invitation can be accepted while signed in as someone else). */
  me(): { email: string } | null;
  /**
   * Ends on the server the session held in this tab now, once another has replaced it (best effort, never rejects);
   * null when none is held. Read it before the call that starts the new session.
   */
  replacedSession(): (() => void) | null;
  /**
   * Starts the session a sign-in, sign-up or accepted invitation answered: reads its permissions, then goes to the page
   * asked for before signing in (or the overview), with `message` as a toast.
   */
  signedIn(session: Schemas['SessionResponse'], message?: string): Promise<void>;
}
