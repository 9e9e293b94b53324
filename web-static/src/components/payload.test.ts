import { describe, expect, it } from 'vitest';
import { prettyPayload } from './payload';
import { progressPercent } from './progress';
import { liveNoteText, retryWait } from './liveRefresh';

describe('payloads, progress and live notes', () => {
  it('pretty-prints JSON, whether sent as text or as a value, and leaves other text alone', () => {
    expect(prettyPayload('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyPayload({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(prettyPayload('not { json')).toBe('not { json');
    expect(prettyPayload('{ broken')).toBe('{ broken');
  });

  it('clamps a progress bar to 0–100 %', () => {
    expect(progressPercent(0.5)).toBe(50);
    expect(progressPercent(2)).toBe(100);
    expect(progressPercent(Number.NaN)).toBe(0);
  });

  it('says when a live page last read, and waits longer after a failure', () => {
    expect(liveNoteText(false, new Date())).toBe('');
    expect(liveNoteText(true, new Date())).toMatch(/^Live: updated /);
    expect(retryWait(2000, null)).toBe(4000);
    expect(retryWait(2000, 30)).toBe(30_000);
  });
});
