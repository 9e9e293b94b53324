// A server-sent events parser (the WHATWG event-stream format): fed text as it arrives, in chunks cut anywhere, it
// returns the complete events. Pure. Used instead of EventSource, which cannot send an Authorization header (and a
// token in the URL would end up in logs).

export interface SseEvent {
  type: string;
  data: string;
  /** The stream's reconnection time in milliseconds, when the event set one. */
  retry?: number;
}

export class SseParser {
  private buffer = '';
  private type = '';
  private data: string[] = [];
  private retry: number | undefined;

  /** Feeds a chunk; answers the events it completed. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    let newline: number;
    while ((newline = this.nextLineEnd()) >= 0) {
      let line = this.buffer.slice(0, newline);
      // CRLF, CR or LF end a line.
      const skip = this.buffer[newline] === '\r' && this.buffer[newline + 1] === '\n' ? 2 : 1;
      this.buffer = this.buffer.slice(newline + skip);
      if (line === '') {
        // An event without data is not dispatched (the WHATWG rule); its type is forgotten with it.
        if (this.data.length > 0) events.push({ type: this.type || 'message', data: this.data.join('\n'), ...(this.retry !== undefined ? { retry: this.retry } : {}) });
        this.type = '';
        this.data = [];
        this.retry = undefined;
        continue;
      }
      if (line.startsWith(':')) continue; // a comment (heartbeat)
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      line = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') this.type = line;
      else if (field === 'data') this.data.push(line);
      else if (field === 'retry' && /^\d+$/.test(line)) this.retry = Number(line);
    }
    return events;
  }

  private nextLineEnd(): number {
    const lf = this.buffer.indexOf('\n');
    const cr = this.buffer.indexOf('\r');
    // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
    if (cr >= 0 && (lf < 0 || cr < lf)) return cr === this.buffer.length - 1 ? -1 : cr;
    return lf;
  }
}

/** The wait before reconnect attempt n (0-based): exponential from 1 s to 30 s, with full jitter (random in [0, cap]). */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 10));
  return Math.round(cap * random());
}
