// What the shell watches from every page while signed in: the kill switch (for its banner and nav badge; the page:
// pages/controls.ts), the size of the pending approvals queue (the nav badge) and the unread notifications (the bell).
// They re-read on live hints while the stream is up, and poll while it is down; background tabs skip the polls and
// check at once when shown again. The shell draws what they read (layout.ts).
import { call, type Schemas } from '../api/client';
import type { LiveConnection } from '../live';
import { apiTransport, session } from './session';

type ControlStatus = Schemas['ControlStatus'];
type ControlListener = (status: ControlStatus, info: { changed: boolean }) => void;

const CONTROL_WATCH_MS = 10_000;
const PENDING_WATCH_MS = 10_000;
const UNREAD_WATCH_MS = 30_000;

const visible = (): boolean => document.visibilityState === 'visible';

/** The kill switch's state, as last read from GET /controls/status (or as an action answered it). */
export class ControlWatch {
  /** The last status, when it was read, and its JSON (to tell a change); null before the first answer. */
  private last: { status: ControlStatus; checkedAt: Date; key: string } | null = null;
  /** Every read takes a number: an answer older than the latest read or applied status is dropped. */
  private seq = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopLive: (() => void) | null = null;
  private readonly listeners = new Set<ControlListener>();

  /** `redraw(lifted)`: the status changed (lifted: the switch was on and is now off). */
  constructor(private readonly live: LiveConnection, private readonly redraw: (lifted: boolean) => void) {
    document.addEventListener('visibilitychange', () => {
      if (visible() && this.timer !== undefined && session.accessToken) void this.check();
    });
  }

  get status(): ControlStatus | null {
    return this.last?.status ?? null;
  }

  /** The status and when it was read; null before the first answer. */
  get read(): { status: ControlStatus; checkedAt: Date } | null {
    return this.last && { status: this.last.status, checkedAt: this.last.checkedAt };
  }

  /** As last read (false until the first answer). */
  get killed(): boolean {
    return !!this.last?.status.killed;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      // Background tabs skip the checks; showing the tab again checks at once. Live: hints say when.
      if (visible() && !this.live.connected) void this.check();
    }, CONTROL_WATCH_MS);
    this.stopLive = this.live.on(['controls'], () => { void this.check(); });
    void this.check();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopLive?.();
    this.stopLive = null;
    this.last = null;
    this.seq += 1;
    this.listeners.clear();
  }

  /** Reads the status now (the latest call wins). A failure keeps the last known state; `rethrow` hands it on. */
  async check({ rethrow = false }: { rethrow?: boolean } = {}): Promise<ControlStatus | null> {
    if (!session.accessToken) return this.status;
    const seq = ++this.seq;
    try {
      const status = await call(apiTransport, 'getControlStatus');
      if (seq === this.seq && session.accessToken) this.apply(status);
    } catch (e) {
      if (rethrow) throw e;
    }
    return this.status;
  }

  /** A status from a check or from an action's answer: redraws and tells the pages that listen. */
  apply(status: ControlStatus): void {
    this.seq += 1; // a check sent before this answer is older: drop it
    const key = JSON.stringify(status);
    const changed = this.last !== null && key !== this.last.key;
    const wasKilled = this.killed;
    this.last = { status, checkedAt: new Date(), key };
    this.redraw(wasKilled && !status.killed);
    for (const listener of [...this.listeners]) listener(status, { changed });
  }

  /** Calls fn(status, { changed }) after every status read while alive() (the page is open). */
  listen(alive: () => boolean, fn: ControlListener): void {
    const listener: ControlListener = (status, info) => {
      if (!alive()) { this.listeners.delete(listener); return; }
      fn(status, info);
    };
    this.listeners.add(listener);
  }
}

/** The counts the shell shows: pending approvals (null: not read yet; `pendingMore`: the server stopped counting). */
export interface Counts {
  readonly pending: number | null;
  readonly pendingMore: boolean;
  readonly unread: number | null;
}

/** Pending approvals (a count, not the list) and unread notifications. A failed read keeps the last count. */
export class CountWatch implements Counts {
  pending: number | null = null;
  pendingMore = false;
  unread: number | null = null;
  private pendingSeq = 0;
  private unreadSeq = 0;
  private timers: ReturnType<typeof setInterval>[] = [];
  private stopLive: (() => void)[] = [];

  /** `redraw()`: a count changed. */
  constructor(private readonly live: LiveConnection, private readonly redraw: () => void) {
    document.addEventListener('visibilitychange', () => {
      if (visible() && this.timers.length && session.accessToken) {
        void this.checkPending();
        void this.checkUnread();
      }
    });
  }

  start(): void {
    if (this.timers.length) return;
    // Background tabs skip the checks; showing the tab again checks at once.
    this.timers = [
      setInterval(() => { if (visible() && !this.live.connected) void this.checkPending(); }, PENDING_WATCH_MS),
      setInterval(() => { if (visible() && !this.live.connected) void this.checkUnread(); }, UNREAD_WATCH_MS),
    ];
    this.stopLive = [
      this.live.on(['approvals'], () => { void this.checkPending(); }),
      this.live.on(['notifications'], () => { void this.checkUnread(); }),
    ];
    void this.checkPending();
    void this.checkUnread();
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    for (const stop of this.stopLive) stop();
    this.timers = [];
    this.stopLive = [];
    this.pending = null;
    this.pendingMore = false;
    this.unread = null;
    this.pendingSeq += 1;
    this.unreadSeq += 1;
  }

  /** The size of the pending queue (the server stops at 1000: "1000+"). */
  async checkPending(): Promise<void> {
    if (!session.accessToken) return;
    const seq = ++this.pendingSeq;
    try {
      const { pending, capped } = await call(apiTransport, 'countPendingApprovals');
      if (seq === this.pendingSeq && session.accessToken) this.setPending(pending, capped);
    } catch { /* the next check tries again */ }
  }

  /** A count read by a check or by the Approvals page's own read. */
  setPending(n: number, more: boolean): void {
    this.pendingSeq += 1; // a check sent before this answer is older: drop it
    // A new request comes with a notification (approval.requested): the bell need not wait for its own round.
    if (this.pending !== null && n > this.pending) void this.checkUnread();
    this.pending = n;
    this.pendingMore = more;
    this.redraw();
  }

  /** The person's unread notifications. Read state is a person's: the dashboard has no API-key sessions, but stays safe. */
  async checkUnread(): Promise<void> {
    if (!session.accessToken || !session.user) return;
    const seq = ++this.unreadSeq;
    try {
      const { unread } = await call(apiTransport, 'countUnreadNotifications');
      if (seq === this.unreadSeq && session.accessToken) this.setUnread(unread);
    } catch { /* the next check tries again */ }
  }

  /** A count read by a check, or told by a page (all marked read: 0), until the next read. */
  setUnread(n: number): void {
    this.unread = n;
    this.redraw();
  }
}
