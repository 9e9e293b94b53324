// A page's live re-read (the jobs and orchestrations pages): at once on a live hint of its topics, and by a timer while
// the live stream is down (the fallback) and something shown can still change. It waits while the tab is hidden or the
// page is busy (a dialog open, a page loading), keeping a hint that came meanwhile, and says in a note when it last
// read, or why it did not.
import { ApiError, SessionEnded } from '../api/errors';
import type { PageContext } from '../pages/context';

const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export interface LiveRefreshOptions {
  ctx: Pick<PageContext, 'alive' | 'live' | 'isLive'>;
  topics: readonly string[];
  /** The timer's period, and the least time between two hinted reads. */
  everyMs: number | (() => number);
  /** Something shown can still change (running, or about to start): the timer runs and hints are taken. */
  watching(): boolean;
  /** Re-reads and redraws; throws what the API throws. */
  read(): Promise<void>;
  /** Where "Live: updated …", "Paused while the tab is hidden" and failures are said. */
  note: HTMLElement;
  /** Wait for the next round (a dialog is open, "Load more" is loading). */
  busy?(): boolean;
  /** A hint may be about a row not shown yet (a list): take it even when nothing shown is watched. */
  everyHint?: boolean;
  /**
   * Poll even while the live stream is up: what is shown also changes without a hint (an orchestration's own
   * transitions, such as suspend and resume, send none).
   */
  pollWhileLive?: boolean;
  /** How a failed read starts its note. */
  failedText?: string;
}

export interface LiveRefresh {
  /** After a read made by the page (its first load, a manual refresh): says so in the note and arms the timer. */
  done(): void;
  /** After such a read failed (something is shown already): says why in the note and tries again later. */
  failed(error: unknown): void;
  /** A load of the page's own is under way: no timer meanwhile. */
  stop(): void;
}

/** The note after a read: the time while something can change, nothing once all is settled. */
export const liveNoteText = (watching: boolean, at: Date): string => (watching ? `Live: updated ${timeOfDay.format(at)}` : '');

/** The wait after a failed read: twice the period, or longer when the API asked (429 Retry-After). */
export const retryWait = (everyMs: number, retryAfterSeconds: number | null): number => Math.max(everyMs * 2, (retryAfterSeconds ?? 0) * 1000);

export function liveRefresh(o: LiveRefreshOptions): LiveRefresh {
  const period = () => (typeof o.everyMs === 'number' ? o.everyMs : o.everyMs());
  let timer: ReturnType<typeof setTimeout> | undefined;
  let hinted = false; // a hint came while the page had to wait
  let paused = false; // the tab was hidden when the timer fired

  const arm = (wait = period()) => {
    clearTimeout(timer);
    if (o.ctx.alive() && o.watching()) timer = setTimeout(() => void tick(false), wait);
  };

  async function tick(hint: boolean): Promise<void> {
    if (!o.ctx.alive() || (hint && !o.everyHint && !o.watching())) return;
    clearTimeout(timer);
    hinted ||= hint;
    if (document.visibilityState !== 'visible') { paused = true; o.note.textContent = 'Paused while the tab is hidden'; return; }
    if (o.busy?.() || (o.ctx.isLive() && !o.pollWhileLive && !hinted)) { arm(); return; }
    hinted = false;
    try {
      await o.read();
    } catch (e) {
      api.failed(e);
      return;
    }
    api.done();
  }

  const api: LiveRefresh = {
    done() {
      if (!o.ctx.alive()) return;
      o.note.textContent = liveNoteText(o.watching(), new Date());
      arm();
    },
    failed(error) {
      if (error instanceof SessionEnded || !o.ctx.alive()) return;
      o.note.textContent = `${o.failedText ?? 'Auto-refresh failed'}: ${error instanceof ApiError ? error.detail : 'unexpected error.'} Retrying.`;
      clearTimeout(timer);
      timer = setTimeout(() => void tick(false), retryWait(period(), error instanceof ApiError ? error.retryAfter : null));
    },
    stop() {
      clearTimeout(timer);
    },
  };

  o.ctx.live(o.topics, () => void tick(true), period());
  const onVisibility = () => {
    if (!o.ctx.alive()) { document.removeEventListener('visibilitychange', onVisibility); return; }
    // What was shown may be old by now: read at once.
    if (document.visibilityState === 'visible' && paused) { paused = false; void tick(true); }
  };
  document.addEventListener('visibilitychange', onVisibility);
  return api;
}
