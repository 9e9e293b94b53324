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

export class LiveConnection {
  private listeners = new Map<string, Set<Listener>>();
  private stateListeners = new Set<(state: LiveState) => void>();
  private abort: AbortController | null = null;
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
    void this.run();
  }

  stop(): void {
    this.running = false;
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

  private async run(): Promise<void> {
    let attempt = 0;
    while (this.running) {
      const token = await this.settings.token();
      if (!token || !this.running) { this.stop(); return; }
      this.setState('connecting');
      const abort = (this.abort = new AbortController());
      let ended = false;
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
          if (done) break;
          for (const event of parser.push(value)) {
            if (event.type === 'ready') { attempt = 0; this.setState('live'); }
            if (event.type === 'end') ended = true;
            else if (event.type !== 'heartbeat') this.dispatch(event.type);
          }
        }
      } catch {
        if (!this.running) return;
      }
      // The server ended the stream's lifetime: reconnect at once. Anything else: back off (1 s … 30 s, jittered).
      if (!ended) {
        this.setState('down');
        await new Promise((resolve) => setTimeout(resolve, reconnectDelay(attempt++)));
      }
    }
  }
}
