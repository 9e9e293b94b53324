import { describe, expect, it } from 'vitest';
import { reconnectDelay, SseParser } from './sse';

describe('event-stream parsing', () => {
  it('reads events cut anywhere, with any line ending', () => {
    const parser = new SseParser();
    const text = 'retry: 3000\r\nevent: ready\r\ndata: {"expires_in":300}\r\n\r\n: heartbeat comment\n\nevent: runs\ndata: {}\n\nevent: x\rdata: a\rdata: b\r\r\n';
    const events = [];
    for (let i = 0; i < text.length; i += 3) events.push(...parser.push(text.slice(i, i + 3)));
    expect(events).toEqual([
      { type: 'ready', data: '{"expires_in":300}', retry: 3000 },
      { type: 'runs', data: '{}' },
      { type: 'x', data: 'a\nb' },
    ]);
  });

  it('holds an unfinished event until its blank line', () => {
    const parser = new SseParser();
    expect(parser.push('event: runs\ndata: {}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ type: 'runs', data: '{}' }]);
  });

  it('calls an event without a type a message, and drops one without data', () => {
    expect(new SseParser().push('data: hi\n\n')).toEqual([{ type: 'message', data: 'hi' }]);
    expect(new SseParser().push('event: runs\n\nevent: x\ndata: 1\n\n')).toEqual([{ type: 'x', data: '1' }]);
  });
});

describe('reconnecting', () => {
  it('backs off exponentially to 30 s with full jitter', () => {
    expect(reconnectDelay(0, () => 1)).toBe(1000);
    expect(reconnectDelay(3, () => 1)).toBe(8000);
    expect(reconnectDelay(20, () => 1)).toBe(30_000);
    expect(reconnectDelay(5, () => 0)).toBe(0);
  });
});
