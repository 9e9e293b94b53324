// The transport: a bounded queue of wire events and one sender that batches, compresses, retries and counts.
// Recording only pushes an object onto the queue; everything that costs (JSON, gzip, the network) happens here, on
// timers, off the caller's path.

import { gzip, monotonicMs, sleep, unrefTimer } from "./runtime.js";

/* eslint-disable @typescript-eslint/no-explicit-any */

/** Base of the exponential backoff between retries of a batch (full jitter: a uniform delay in [0, base·2ⁿ]). */
export const RETRY_BASE_MS = 500;
/** Cap of the backoff between retries of a batch. */
export const RETRY_CAP_MS = 30_000;
/** Bodies above this size are gzip-compressed. */
export const GZIP_MIN_BYTES = 1024;
/** How long one ingest request may take before it is abandoned (and its batch retried). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** A paused agent's events are dropped; after this long the next batch carries its events again, as a probe. */
export const PAUSED_PROBE_INTERVAL_MS = 30_000;
/** Drop warnings are logged at most this often. */
export const DROP_WARNING_INTERVAL_MS = 60_000;
/** The ingest path. */
export const INGEST_PATH = "/api/v1/ingest";

/** A wire event, in the snake_case of spec/events.schema.json. Serialized only when sent. */
export type WireEvent = Record<string, unknown> & { id: string; type: string; run_id: string; agent: string };

/** The client's counters (`client.stats()`). */
export interface Stats {
  /** Events waiting to be sent now (queued and in flight). */
  queued: number;
  /** Events the server accepted. */
  sent: number;
  /** Re-sends of a batch (network errors, 5xx, 408, 429). */
  retries: number;
  /** Events dropped because the queue was full (the newest are dropped). */
  droppedQueueFull: number;
  /** Events of a paused agent, not sent. */
  droppedPaused: number;
  /** Events the server refused: a whole batch refused with a 4xx (not 408/429), or items refused in a 207. */
  droppedRejected: number;
  /** Refused events by the server's problem `code` (e.g. `agent_paused`, `invalid_value`). */
  rejectedByCode: Record<string, number>;
  /** Events recorded with a missing required field, dropped before queueing (non-strict mode). */
  droppedInvalid: number;
  /** Batches the server answered (accepted, partly accepted or refused). */
  batches: number;
}

/** What a flush achieved. */
export interface FlushResult {
  /** Events still not sent (queued or in flight) when the flush returned. */
  unsent: number;
  /** Whether the flush ended because its timeout passed. */
  timedOut: boolean;
  /** How long the flush took, in milliseconds. */
  elapsedMs: number;
}

export interface TransportOptions {
  /** One ingest request at most this long (default REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  baseUrl: string;
  apiKey: string;
  fetch: typeof fetch;
  maxQueueEvents: number;
  batchMaxEvents: number;
  batchMaxBytes: number;
  flushIntervalMs: number;
  sync: boolean;
  userAgent: string;
  log: (level: "warn" | "error" | "debug", message: string) => void;
  onAgentPaused: (agent: string) => void;
  onAgentResumed: (agent: string) => void;
  isPaused: (agent: string) => boolean;
}

/** Marks an event let through while its agent is paused: the probe that finds out whether it was resumed. */
export const PROBE = Symbol("agentops.probe");

interface Batch {
  events: WireEvent[];
  body?: Uint8Array;
  gzipped?: boolean;
  attempts: number;
}

type Outcome = "done" | "retry" | "resend";

class TimeoutAbort extends Error {}

export class Transport {
  private readonly o: TransportOptions;
  private queue: WireEvent[] = [];
  private head = 0;
  private inflight: Batch | null = null;
  private controller: AbortController | null = null;
  private pumping: Promise<void> | null = null;
  private wantAll = false;
  private backoffUntil = 0;
  private backoffAttempt = 0;
  private gzipAccepted = true;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastDropWarning = -Infinity;
  private closed = false;
  readonly counters: Stats = {
    queued: 0,
    sent: 0,
    retries: 0,
    droppedQueueFull: 0,
    droppedPaused: 0,
    droppedRejected: 0,
    rejectedByCode: {},
    droppedInvalid: 0,
    batches: 0,
  };

  constructor(options: TransportOptions) {
    this.o = options;
    if (!options.sync) {
      this.timer = unrefTimer(setInterval(() => this.kick(true), Math.max(1, options.flushIntervalMs)));
    }
  }

  /** Events queued or in flight. */
  get pending(): number {
    return this.queue.length - this.head + (this.inflight ? this.inflight.events.length : 0);
  }

  /** Puts an event on the queue; false (and counted) when the queue is full. The hot path: no allocation but the push. */
  enqueue(event: WireEvent): boolean {
    if (this.closed) return false;
    if (this.pending >= this.o.maxQueueEvents) {
      this.counters.droppedQueueFull++;
      this.warnDrops();
      return false;
    }
    this.queue.push(event);
    if (!this.o.sync && this.queue.length - this.head === this.o.batchMaxEvents && !this.pumping) {
      // A full batch is waiting: send it now rather than at the next tick (without waiting on the caller's stack).
      unrefTimer(setTimeout(() => this.kick(false), 0));
    }
    return true;
  }

  countDroppedPaused(): void {
    this.counters.droppedPaused++;
    this.warnDrops();
  }

  stats(): Stats {
    return { ...this.counters, queued: this.pending, rejectedByCode: { ...this.counters.rejectedByCode } };
  }

  /** Starts the sender unless it runs. `all`: send the partial last batch too (a tick or a flush), not only full ones. */
  kick(all: boolean): void {
    if (all) this.wantAll = true;
    if (this.pumping || this.closed) return;
    if (this.pending === 0) return;
    this.startPump(Infinity);
  }

  private startPump(deadline: number): void {
    this.pumping = this.pump(deadline)
      .catch((err) => this.o.log("error", `the sender failed: ${describe(err)}`))
      .finally(() => {
        this.pumping = null;
      });
  }

  /**
   * Sends what is queued; always resolves within `timeoutMs` (the in-flight request is aborted at the deadline and
   * its batch kept for a later attempt).
   */
  async flush(timeoutMs: number): Promise<FlushResult> {
    const started = monotonicMs();
    const deadline = started + Math.max(0, timeoutMs);
    let timedOut = false;
    if (this.pending > 0) {
      let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
      // This timer is deliberately not unref'd: a flush the application awaits keeps the process alive until it
      // resolves, and it resolves by the deadline.
      const expired = new Promise<"timeout">((resolve) => {
        deadlineTimer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - monotonicMs()));
      });
      try {
        while (this.pending > 0 && !this.closed) {
          this.wantAll = true;
          if (!this.pumping) {
            // In sync mode there is no background sender: this call drives it, bounded by the deadline.
            this.startPump(this.o.sync ? deadline : Infinity);
          }
          const first = await Promise.race([this.pumping!.then(() => "done" as const), expired]);
          if (first === "timeout" || monotonicMs() >= deadline) {
            timedOut = true;
            break;
          }
        }
      } finally {
        if (deadlineTimer !== undefined) clearTimeout(deadlineTimer);
      }
      if (timedOut && this.controller) this.controller.abort(new TimeoutAbort("flush timeout"));
    }
    return {
      unsent: this.pending,
      timedOut: timedOut && this.pending > 0,
      elapsedMs: monotonicMs() - started,
    };
  }

  /** Stops the timer; queued events stay unsent. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.controller?.abort(new TimeoutAbort("closed"));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private warnDrops(): void {
    const now = monotonicMs();
    if (now - this.lastDropWarning < DROP_WARNING_INTERVAL_MS) return;
    this.lastDropWarning = now;
    const c = this.counters;
    this.o.log(
      "warn",
      `events are being dropped: ${c.droppedQueueFull} because the queue was full (max ${this.o.maxQueueEvents}), ` +
        `${c.droppedPaused} of paused agents, ${c.droppedRejected} refused by the server`,
    );
  }

  /** The sender loop: one request at a time, until nothing (or no full batch) is left, or the deadline. */
  private async pump(deadline: number): Promise<void> {
    for (;;) {
      if (this.closed || monotonicMs() >= deadline) return;
      if (!this.inflight) {
        const queued = this.queue.length - this.head;
        if (queued === 0) return;
        if (!this.wantAll && queued < this.o.batchMaxEvents && deadline === Infinity) return;
        this.inflight = this.takeBatch();
        if (this.queue.length - this.head === 0) this.wantAll = false;
        if (!this.inflight) continue;
      }
      const wait = this.backoffUntil - monotonicMs();
      if (wait > 0) {
        await sleep(Math.min(wait, deadline - monotonicMs()));
        continue;
      }
      const batch = this.inflight;
      const outcome = await this.send(batch, deadline);
      if (outcome === "done") {
        this.inflight = null;
        this.backoffAttempt = 0;
      } else if (outcome === "retry") {
        batch.attempts++;
        const delay = Math.random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** this.backoffAttempt);
        this.backoffAttempt = Math.min(this.backoffAttempt + 1, 30);
        this.backoffUntil = Math.max(this.backoffUntil, monotonicMs() + delay);
      }
      // "resend": the batch changed (split, or compression turned off); send it again at once.
    }
  }

  /** Takes the next batch off the queue, dropping the events of paused agents (but their probes). */
  private takeBatch(): Batch | null {
    const events: WireEvent[] = [];
    let bytes = 0;
    while (this.head < this.queue.length && events.length < this.o.batchMaxEvents) {
      const event = this.queue[this.head]!;
      if (this.o.isPaused(event.agent) && !(event as any)[PROBE]) {
        this.queue[this.head++] = undefined as any;
        this.counters.droppedPaused++;
        continue;
      }
      // The size is the length of the JSON text (UTF-16 units: the byte count of ASCII text; the server's own
      // limit, 5 MiB, leaves room for the rest).
      const text = serialize(event);
      if (events.length > 0 && bytes + text.length + 1 > this.o.batchMaxBytes) break;
      (event as any)[SERIALIZED] = text;
      events.push(event);
      bytes += text.length + 1;
      this.queue[this.head++] = undefined as any;
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return events.length > 0 ? { events, attempts: 0 } : null;
  }

  private async encode(batch: Batch): Promise<void> {
    if (batch.body) return;
    let text = '{"batch":[';
    for (let i = 0; i < batch.events.length; i++) {
      const e = batch.events[i]! as any;
      text += (i ? "," : "") + (e[SERIALIZED] ?? serialize(e));
    }
    text += "]}";
    const raw = new TextEncoder().encode(text);
    batch.gzipped = false;
    batch.body = raw;
    if (raw.length > GZIP_MIN_BYTES && this.gzipAccepted) {
      const zipped = await gzip(raw);
      if (zipped) {
        batch.body = zipped;
        batch.gzipped = true;
      }
    }
  }

  private async send(batch: Batch, deadline: number): Promise<Outcome> {
    await this.encode(batch);
    if (batch.attempts > 0) this.counters.retries++;
    const controller = new AbortController();
    this.controller = controller;
    const timeout = unrefTimer(
      setTimeout(
        () => controller.abort(new TimeoutAbort("request timeout")),
        Math.min(this.o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, Math.max(1, deadline - monotonicMs())),
      ),
    );
    let response: Response;
    let text: string;
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${this.o.apiKey}`,
        "content-type": "application/json",
        "user-agent": this.o.userAgent,
      };
      if (batch.gzipped) headers["content-encoding"] = "gzip";
      response = await this.o.fetch(this.o.baseUrl + INGEST_PATH, {
        method: "POST",
        headers,
        body: batch.body as any,
        signal: controller.signal,
      });
      text = await response.text();
    } catch (err) {
      this.o.log("debug", `ingest request failed: ${describe(err)}`);
      return "retry";
    } finally {
      clearTimeout(timeout);
      if (this.controller === controller) this.controller = null;
    }
    const status = response.status;
    if (status === 200 || status === 202) {
      this.counters.batches++;
      this.counters.sent += batch.events.length;
      this.resumeAgents(batch.events, null);
      return "done";
    }
    if (status === 207) {
      this.counters.batches++;
      this.handleMultiStatus(batch, parseJson(text));
      return "done";
    }
    const problem = parseJson(text);
    const code = typeof problem?.code === "string" ? problem.code : `http_${status}`;
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      if (retryAfterMs !== undefined) this.backoffUntil = monotonicMs() + retryAfterMs;
      this.o.log("debug", `ingest answered ${status} (${code}); the batch will be retried`);
      return "retry";
    }
    if (status === 415 && batch.gzipped) {
      // A server that takes no compressed bodies: send uncompressed from now on.
      this.gzipAccepted = false;
      batch.body = undefined;
      this.o.log("debug", "the server takes no gzip bodies; sending uncompressed");
      return "resend";
    }
    if (status === 413 && batch.events.length > 1) {
      // Too large for the server: split the batch and send the halves one after the other.
      const half = Math.ceil(batch.events.length / 2);
      const rest = batch.events.slice(half);
      this.queue.splice(this.head, 0, ...rest);
      batch.events = batch.events.slice(0, half);
      batch.body = undefined;
      return "resend";
    }
    this.counters.batches++;
    this.counters.droppedRejected += batch.events.length;
    this.counters.rejectedByCode[code] = (this.counters.rejectedByCode[code] ?? 0) + batch.events.length;
    this.o.log("error", `ingest refused a batch of ${batch.events.length} events: ${status} ${code}; dropped`);
    return "done";
  }

  private handleMultiStatus(batch: Batch, body: any): void {
    const results: any[] = Array.isArray(body?.results) ? body.results : [];
    const refusedAgents = new Set<string>();
    const seen = new Set<number>();
    for (const r of results) {
      const index = typeof r?.index === "number" ? r.index : -1;
      const event = batch.events[index];
      seen.add(index);
      if (r?.status === "accepted") {
        this.counters.sent++;
        continue;
      }
      const code = typeof r?.code === "string" ? r.code : "rejected";
      this.counters.droppedRejected++;
      this.counters.rejectedByCode[code] = (this.counters.rejectedByCode[code] ?? 0) + 1;
      if (code === "agent_paused" && event) {
        refusedAgents.add(event.agent);
      } else if (code !== "agent_paused") {
        this.o.log("warn", `ingest refused event ${r?.id ?? index}: ${code} ${r?.path ?? ""} ${r?.message ?? ""}`.trim());
      }
    }
    if (results.length === 0) this.counters.sent += batch.events.length; // an unreadable 207: nothing to re-send
    for (const agent of refusedAgents) this.o.onAgentPaused(agent);
    this.resumeAgents(
      batch.events.filter((e, i) => seen.has(i) && !refusedAgents.has(e.agent)),
      refusedAgents,
    );
  }

  private resumeAgents(accepted: WireEvent[], except: Set<string> | null): void {
    let last: string | undefined;
    for (const e of accepted) {
      if (e.agent === last || except?.has(e.agent)) continue;
      last = e.agent;
      if (this.o.isPaused(e.agent)) this.o.onAgentResumed(e.agent);
    }
  }
}

const SERIALIZED = Symbol("agentops.serialized");

/** JSON of one event; a value JSON cannot hold (a cycle, a BigInt) is replaced by a note rather than losing the event. */
export function serialize(event: WireEvent): string {
  try {
    return JSON.stringify(event);
  } catch {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(event)) {
      try {
        JSON.stringify(v);
        copy[k] = v;
      } catch (err) {
        copy[k] = k === "metadata" ? { "agentops.unserializable": describe(err) } : `[unserializable: ${describe(err)}]`;
      }
    }
    return JSON.stringify(copy);
  }
}

export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as any).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
