// The dashboard's live stream (GET /api/v1/live, server-sent events): one per tab, opened with the shell. Topics arrive
// as hints ("runs changed"); listeners re-read what they show. While the stream is up the pages do not poll; while it
// is down they poll as before (the fallback), and on every (re)connect ("ready") everything is read again, because hints
// sent in between were not seen. fetch() rather than EventSource, which cannot send the Authorization header.
import { reconnectDelay, SseParser } from './lib/sse';

export type LiveState = 'connecting' | 'live' | 'down' | 'stopped';

export interface LiveSettings {
  /** The stream's URL (…/api/v1/live). */
  url: string;
  /** A current access token (refreshed when near its expiry), or null when signed out (the stream stops). */
  token(): Promise<string | null>;
}

type Listener = (topic: string) => void;

/** Topics every listener of any topic also gets: read everything again. */
const EVERYTHING = ['ready', 'resync'];

/**
 * The server sends a heartbeat after 20 s without a hint (LiveOptions.Heartbeat); a stream silent for this long is
 * dead (a laptop slept, the network changed, a proxy dropped it without closing) and is replaced.
 */
export const SILENCE_MS = 45_000;

/** A stream that stayed up this long resets the backoff (one cut right after "ready" does not). */
const STABLE_MS = 30_000;

export class LiveConnection {
  private listeners = new Map<string, Set<Listener>>();
  private stateListeners = new Set<(state: LiveState) => void>();
  private abort: AbortController | null = null;
  /** Each start begins a new generation; a loop of an older one (asleep or awaiting when stopped) ends when it wakes. */
  private generation = 0;
  private running = false;
  /** Topics that arrived while the tab was hidden: delivered when it is shown again. */
  private hidden = new Set<string>();
  state: LiveState = 'stopped';

  constructor(private readonly settings: LiveSettings) {
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible' || this.hidden.size === 0) return;
      const topics = [...this.hidden];
      this.hidden.clear();
      for (const topic of topics) this.dispatch(topic);
    });
  }

  get connected(): boolean {
    return this.state === 'live';
  }

  /** Calls fn on each hint of the topics (and on every (re)connect); answers the function that stops it. */
  on(topics: readonly string[], fn: Listener): () => void {
    for (const topic of [...topics, ...EVERYTHING]) {
      let set = this.listeners.get(topic);
      if (!set) this.listeners.set(topic, (set = new Set()));
      set.add(fn);
    }
    return () => { for (const set of this.listeners.values()) set.delete(fn); };
  }

  onState(fn: (state: LiveState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.run(++this.generation);
  }

  stop(): void {
    this.running = false;
    this.generation++;
    this.abort?.abort();
    this.hidden.clear();
    this.setState('stopped');
  }

  private setState(state: LiveState): void {
    if (this.state === state) return;
    this.state = state;
    for (const fn of this.stateListeners) fn(state);
  }

  private dispatch(topic: string): void {
    if (document.visibilityState !== 'visible') { this.hidden.add(topic); return; }
    const fns = new Set(this.listeners.get(topic) ?? []);
    for (const fn of fns) {
      try { fn(topic); } catch (error) { console.error('live listener failed', error); }
    }
  }

  private async run(generation: number): Promise<void> {
    const current = () => this.running && generation === this.generation;
    let attempt = 0;
    while (current()) {
      const token = await this.settings.token();
      if (!current()) return;
      if (!token) { this.stop(); return; }
      this.setState('connecting');
      const abort = (this.abort = new AbortController());
      let ended = false;
      let since = 0;
      // Replaced when silent for too long (heartbeats count): a hung read would otherwise keep "live" forever.
      let heard = Date.now();
      const watchdog = setInterval(() => { if (Date.now() - heard > SILENCE_MS) abort.abort(); }, 5000);
      try {
        const response = await fetch(this.settings.url, {
          headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
          signal: abort.signal, cache: 'no-store', credentials: 'omit',
        });
        if (!response.ok || !response.body) throw new Error(`live stream: HTTP ${response.status}`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done || !current()) break;
          heard = Date.now();
          for (const event of parser.push(value)) {
            if (event.type === 'ready') { since = Date.now(); this.setState('live'); }
            if (event.type === 'end') ended = true;
            else if (event.type !== 'heartbeat') this.dispatch(event.type);
          }
        }
      } catch {
        // network error, abort (stop, watchdog) or refused: decided below
      } finally {
        clearInterval(watchdog);
      }
      if (!current()) return;
      if (since && Date.now() - since > STABLE_MS) attempt = 0;
      // The server ended the stream's lifetime: reconnect at once. Anything else: back off (1 s … 30 s, jittered).
      if (!ended) {
        this.setState('down');
        await sleep(reconnectDelay(attempt++), () => !current());
      }
    }
  }
}

/** Waits, waking early (checked every 250 ms) once `cancelled` says so. */
async function sleep(ms: number, cancelled: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !cancelled()) await new Promise((resolve) => setTimeout(resolve, Math.min(250, until - Date.now())));
}
