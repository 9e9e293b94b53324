import { createStore, type Store } from "./context.js";
import { AgentOpsError, AgentPausedError, ConfigurationError, ValidationError } from "./errors.js";
import { env, monotonicMs, newId, onBeforeExit, sleep } from "./runtime.js";
import { PAUSED_PROBE_INTERVAL_MS, PROBE, REQUEST_TIMEOUT_MS, Transport, describe, type FlushResult, type Stats, type WireEvent } from "./transport.js";

/* eslint-disable @typescript-eslint/no-explicit-any */

export const SDK_VERSION = "0.1.0";

/** Default bound of the queue, in events (queued and in flight). */
export const DEFAULT_MAX_QUEUE_EVENTS = 10_000;
/** Default number of events per request (the server takes 1,000). */
export const DEFAULT_BATCH_MAX_EVENTS = 500;
/** Default size of a request body before compression (the server takes 5 MiB). */
export const DEFAULT_BATCH_MAX_BYTES = 1024 * 1024;
/** Default time between two background sends. */
export const DEFAULT_FLUSH_INTERVAL_MS = 1000;
/** Default timeout of `flush()` (and of `run.end()` in sync mode). */
export const DEFAULT_FLUSH_TIMEOUT_MS = 5000;
/** The flush at process exit (`beforeExit`) waits at most this long. */
export const EXIT_FLUSH_TIMEOUT_MS = 2000;
/** Default timeout of a policy check request. */
export const DEFAULT_POLICY_TIMEOUT_MS = 10_000;
/** Default total wait of `waitForApproval`. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 300_000;
/** The server holds one approval long-poll at most this long (GET /approvals/{id}/wait?timeout_s=1..60). */
export const APPROVAL_POLL_MAX_S = 60;
/** Extra time a long-poll request may take beyond the wait it asked for before it is abandoned. */
export const APPROVAL_POLL_GRACE_MS = 10_000;
/** Pause between two long-polls after a failed one (network error, 5xx). */
export const APPROVAL_RETRY_DELAY_MS = 1000;
/** The shortest time between two approval polls: a server answering `pending` at once is not asked in a hot loop. */
export const APPROVAL_MIN_POLL_INTERVAL_MS = 1000;
/** The longest delay a timer takes (2³¹−1 ms); longer flush timeouts are cut to it. */
export const MAX_TIMER_MS = 2_147_483_647;
/** The agent name used when neither `agent` nor AGENTOPS_AGENT is set. */
export const DEFAULT_AGENT = "default";

export type Logger = (level: "warn" | "error" | "debug", message: string) => void;

export interface AgentOpsOptions {
  /** The API key (scope `ingest`; `read` to wait on approvals; `write` to register agents by name). Env AGENTOPS_API_KEY. */
  apiKey?: string;
  /** The server, e.g. `https://agentops.example.com`. Env AGENTOPS_URL. */
  baseUrl?: string;
  /** The agent's name or id. Env AGENTOPS_AGENT. */
  agent?: string;
  /** The runs' environment (`production`, `staging`, …). */
  environment?: string;
  /** Serverless mode: no background sender; `run.end()` and `flush()` send before they resolve. */
  sync?: boolean;
  /** Raise configuration and validation errors (and AgentPausedError from record calls) instead of logging them. */
  strict?: boolean;
  /** Bound of the queue (queued and in-flight events); the newest event is dropped when full. Default 10,000. */
  maxQueueEvents?: number;
  /** Events per request. Default 500. */
  batchMaxEvents?: number;
  /** Request body size before compression, in bytes. Default 1 MiB. */
  batchMaxBytes?: number;
  /** Time between background sends, in ms. Default 1,000. */
  flushIntervalMs?: number;
  /**
   * What `checkPolicy` answers when it cannot ask the server (not configured, unreachable, or an error answer):
   * `block` (default) or `allow`, with `fromServer` false. Strict mode rejects instead.
   */
  policyFallback?: "block" | "allow";
  /** One ingest request at most this long, in ms. Default 30,000. */
  requestTimeoutMs?: number;
  /** One policy check request at most this long, in ms (a call's `timeoutMs` wins). Default 10,000. */
  policyTimeoutMs?: number;
  /** How often a paused agent's events are let through again, as a probe. Default 30 s. */
  pausedProbeIntervalMs?: number;
  /** Called once each time an agent becomes paused. */
  onPaused?: (agent: string) => void;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Where the SDK's own warnings go (default: console.warn / console.error; debug is silent). */
  logger?: Logger;
  /** Flush at process exit (Node/Bun `beforeExit`), 2 s. Default true. */
  flushOnExit?: boolean;
}

/** Something events can hang under: a run (directly in it) or a span. */
export type Parent = Run | Span;

export interface RecordOptions {
  /** The run or span it belongs to; default the ambient one (`withRun` / `withSpan`). */
  parent?: Parent;
  /** Free-form attributes (at most 16 KiB of JSON). */
  metadata?: Record<string, unknown>;
}

export interface LlmCallOptions extends RecordOptions {
  model: string;
  provider?: string;
  /** The model the provider answered with, when it differs from the one asked for. */
  responseModel?: string;
  /** All input tokens, cached ones included. */
  tokensIn?: number;
  tokensOut?: number;
  /** The part of tokensIn read from the provider's cache. */
  tokensCached?: number;
  latencyMs?: number;
  timeToFirstTokenMs?: number;
  /** A cost you computed; it wins over the server's price list. */
  costUsd?: number;
  input?: unknown;
  output?: unknown;
  error?: unknown;
  /** `chat` (default), `text_completion`, `embeddings`, … */
  operation?: string;
  name?: string;
}

export interface ToolCallOptions extends RecordOptions {
  /** The tool's name. */
  name: string;
  input?: unknown;
  output?: unknown;
  latencyMs?: number;
  error?: unknown;
}

export interface ExternalActionOptions extends RecordOptions {
  name: string;
  input?: unknown;
  output?: unknown;
  latencyMs?: number;
  error?: unknown;
}

export interface LogOptions extends RecordOptions {
  level?: "debug" | "info" | "warn" | "error";
}

export interface ScoreOptions extends RecordOptions {
  comment?: string;
}

export interface StartRunOptions {
  /** A run id of your own (≤ 128 characters); default a random one. */
  id?: string;
  /** The agent of this run (default the client's). */
  agent?: string;
  input?: unknown;
  tags?: string[];
  metadata?: Record<string, unknown>;
  environment?: string;
}

export interface EndOptions {
  output?: unknown;
  error?: unknown;
  /** How long `end()` may wait in sync mode. Default 5 s. */
  flushTimeoutMs?: number;
}

export interface SpanOptions {
  parent?: Parent;
  metadata?: Record<string, unknown>;
  input?: unknown;
}

export interface ApprovalInfo {
  id: string;
  status: "pending" | "approved" | "rejected" | "expired" | string;
  expiresAt?: string;
  waitUrl?: string;
}

export interface ApprovalResult {
  /** `approved`, `rejected`, `expired`, or `pending` when the wait timed out. */
  status: "approved" | "rejected" | "expired" | "pending";
  id: string;
  /** Why it was decided (`expired`, `agent_paused`, a reviewer's comment, …), when the server says. */
  reason?: string;
  comment?: string;
  /** The server's whole answer of the last poll. */
  approval?: Record<string, unknown>;
}

export interface WaitOptions {
  /** The total wait, in ms (default 5 minutes); long-polls of ≤ 60 s are repeated until it passes. */
  timeoutMs?: number;
  /** Cancels the wait: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface CheckPolicyOptions {
  /** Your name for this step of the run: a repeated check of the same run and step returns the same approval request. */
  step?: string;
  context?: Record<string, unknown>;
  /** The run (default the ambient one). */
  run?: Run;
  agent?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The answer of a policy check. */
export class PolicyDecision {
  readonly decision: "allow" | "block" | "require_approval" | string;
  readonly reason: string;
  readonly policy: { id: string; name: string; version: number } | null;
  readonly matched: string[];
  readonly approval: ApprovalInfo | null;
  readonly checkId: string | null;
  /** false when the server was not asked or could not answer; the decision is then the client's `policyFallback`. */
  readonly fromServer: boolean;
  /** The problem's `code` (or `http_<status>`) when the server answered the check with an error. */
  readonly problemCode: string | null;
  private readonly client: AgentOps;

  constructor(client: AgentOps, body: any, fromServer = true, problemCode: string | null = null) {
    this.client = client;
    this.decision = String(body?.decision ?? "block");
    this.reason = String(body?.reason ?? "");
    this.policy = body?.policy ?? null;
    this.matched = Array.isArray(body?.matched) ? body.matched : [];
    const a = body?.approval;
    this.approval = a
      ? { id: String(a.id), status: String(a.status), expiresAt: a.expires_at ?? undefined, waitUrl: a.wait_url ?? undefined }
      : null;
    this.checkId = body?.check_id ?? null;
    this.fromServer = fromServer;
    this.problemCode = problemCode;
  }

  get allowed(): boolean {
    return this.decision === "allow";
  }

  /** Waits for the approval request of this decision; `approved` at once for an allow, `rejected` for a block. */
  async waitForApproval(options: WaitOptions = {}): Promise<ApprovalResult> {
    if (this.approval) {
      if (this.approval.status !== "pending") {
        return { status: this.approval.status as ApprovalResult["status"], id: this.approval.id };
      }
      return this.client.waitForApproval(this.approval.id, options);
    }
    return { status: this.allowed ? "approved" : "rejected", id: "", reason: this.reason };
  }
}

interface Scope {
  run: Run;
  span?: Span;
}

abstract class Handle {
  /** The event id (a span) or run id (a run). */
  abstract readonly id: string;
  abstract readonly run: Run;
  protected abstract readonly client: AgentOps;

  llmCall(options: LlmCallOptions): string | undefined {
    return this.client.llmCall({ ...options, parent: this as any });
  }
  toolCall(options: ToolCallOptions): string | undefined {
    return this.client.toolCall({ ...options, parent: this as any });
  }
  externalAction(options: ExternalActionOptions): string | undefined {
    return this.client.externalAction({ ...options, parent: this as any });
  }
  log(message: string, options: LogOptions = {}): string | undefined {
    return this.client.log(message, { ...options, parent: this as any });
  }
  error(error: unknown, options: RecordOptions = {}): string | undefined {
    return this.client.error(error, { ...options, parent: this as any });
  }
  score(name: string, value: number, options: ScoreOptions = {}): string | undefined {
    return this.client.score(name, value, { ...options, parent: this as any });
  }
  /** Starts a span under this run or span (explicit handles: no ambient context needed). */
  startSpan(name: string, options: Omit<SpanOptions, "parent"> = {}): Span {
    return this.client.startSpan(name, { ...options, parent: this as any });
  }
  /** Runs `fn` in a span under this handle, with the span as the ambient context. */
  withSpan<T>(name: string, fn: (span: Span) => T | Promise<T>, options: Omit<SpanOptions, "parent"> = {}): Promise<T> {
    return this.client.withSpan(name, fn, { ...options, parent: this as any });
  }
}

/** A run: one execution of the agent. `end()` it (or use `withRun`, or `await using`). */
export class Run extends Handle {
  /** `await using run = client.startRun(…)` ends the run (where the runtime has Symbol.asyncDispose). */
  declare [Symbol.asyncDispose]: () => Promise<void>;
  /** `using run = client.startRun(…)` ends the run without waiting for sync mode's send. */
  declare [Symbol.dispose]: () => void;
  /** "run" (handles are told apart by this, not by class: the ESM and CommonJS builds may both be loaded). */
  readonly kind = "run" as const;
  readonly id: string;
  readonly name: string;
  readonly agent: string;
  protected readonly client: AgentOps;
  private ended = false;

  /** @internal */
  constructor(client: AgentOps, name: string, id: string, agent: string) {
    super();
    this.client = client;
    this.name = name;
    this.id = id;
    this.agent = agent;
  }

  get run(): Run {
    return this;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Ends the run (`succeeded`, `failed`, `cancelled`; `ok`/`error`/`timeout` are folded by the server). Idempotent.
   * In sync mode it sends what is queued before it resolves (bounded by `flushTimeoutMs`); it never rejects.
   */
  async end(status = "succeeded", options: EndOptions = {}): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.client._endRun(this, status, options);
    if (this.client.options.sync) await this.client.flush(options.flushTimeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS);
  }
}

/** A span: a named step of a run, the parent of what happens inside it. `end()` it (or use `withSpan`). */
export class Span extends Handle {
  /** `await using span = run.startSpan(…)` ends the span. */
  declare [Symbol.asyncDispose]: () => Promise<void>;
  /** `using span = run.startSpan(…)` ends the span. */
  declare [Symbol.dispose]: () => void;
  readonly kind = "span" as const;
  readonly id: string;
  readonly name: string;
  readonly run: Run;
  readonly parentId: string | undefined;
  protected readonly client: AgentOps;
  /** Set when the span was started outside any run and so started its own: ending the span ends that run. */
  ownsRun = false;
  private readonly startedAt: number;
  private readonly input: unknown;
  private readonly metadata: Record<string, unknown> | undefined;
  private ended = false;

  /** @internal */
  constructor(client: AgentOps, name: string, run: Run, parentId: string | undefined, options: SpanOptions) {
    super();
    this.client = client;
    this.id = newId();
    this.name = name;
    this.run = run;
    this.parentId = parentId;
    this.startedAt = Date.now();
    this.input = options.input;
    this.metadata = options.metadata;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Ends the span (its event is queued now, with the start as `timestamp` and now as `ended_at`). Idempotent. */
  end(options: { output?: unknown; error?: unknown; metadata?: Record<string, unknown> } = {}): void {
    if (this.ended) return;
    this.ended = true;
    const now = Date.now();
    const event: WireEvent = {
      id: this.id,
      type: "span",
      timestamp: new Date(this.startedAt).toISOString(),
      ended_at: new Date(now).toISOString(),
      run_id: this.run.id,
      agent: this.run.agent,
      name: this.name,
    };
    if (this.parentId) event.parent_id = this.parentId;
    if (this.input !== undefined) event.input = this.input;
    if (options.output !== undefined) event.output = options.output;
    if (options.error !== undefined) event.error = errorValue(options.error);
    const metadata = options.metadata ? { ...this.metadata, ...options.metadata } : this.metadata;
    if (metadata) event.metadata = metadata;
    try {
      this.client._submit(event);
    } catch {
      /* strict + paused: ending a span never throws */
    }
    if (this.ownsRun) void this.run.end(options.error !== undefined ? "failed" : "succeeded", { error: options.error });
  }
}

// `await using run = client.startRun(...)` / `using span = ...` where the runtime has explicit resource management.
const asyncDispose: symbol | undefined = (Symbol as any).asyncDispose;
const dispose: symbol | undefined = (Symbol as any).dispose;
if (asyncDispose) {
  (Run.prototype as any)[asyncDispose] = function (this: Run) {
    return this.end();
  };
  (Span.prototype as any)[asyncDispose] = function (this: Span) {
    this.end();
    return Promise.resolve();
  };
}
if (dispose) {
  (Run.prototype as any)[dispose] = function (this: Run) {
    void this.end();
  };
  (Span.prototype as any)[dispose] = function (this: Span) {
    this.end();
  };
}

interface PauseState {
  probeAt: number;
}

/** The AgentOps client. One per process is the usual shape (`init()` / `getClient()`). */
export class AgentOps {
  readonly options: Required<
    Pick<
      AgentOpsOptions,
      "sync" | "strict" | "maxQueueEvents" | "batchMaxEvents" | "batchMaxBytes" | "flushIntervalMs" | "policyFallback" | "requestTimeoutMs" | "policyTimeoutMs"
    >
  > & { baseUrl: string; agent: string; environment?: string };
  private readonly apiKey: string;
  private readonly fetchFn: typeof fetch;
  private readonly transport: Transport;
  private readonly store: Store<Scope>;
  private readonly logger: Logger;
  private readonly onPaused?: (agent: string) => void;
  private readonly paused = new Map<string, PauseState>();
  private readonly disabled: boolean;
  private readonly warnedOnce = new Set<string>();
  private unregisterExit: () => void = () => {};
  private exitFlushed = false;
  private stepUnsupported = false;
  /** The run id of policy checks made outside any run (one per client, so that their steps stay idempotent). */
  private readonly adHocRunId = newId();
  private readonly probeIntervalMs: number;

  constructor(options: AgentOpsOptions = {}) {
    this.logger = options.logger ?? defaultLogger;
    const apiKey = options.apiKey ?? env("AGENTOPS_API_KEY") ?? "";
    const baseUrl = (options.baseUrl ?? env("AGENTOPS_URL") ?? "").replace(/\/+$/, "");
    const agent = options.agent ?? env("AGENTOPS_AGENT") ?? "";
    const strict = options.strict ?? false;
    this.options = {
      baseUrl,
      agent: agent || DEFAULT_AGENT,
      environment: options.environment ?? env("AGENTOPS_ENVIRONMENT"),
      sync: options.sync ?? false,
      strict,
      maxQueueEvents: positive(options.maxQueueEvents, DEFAULT_MAX_QUEUE_EVENTS),
      batchMaxEvents: positive(options.batchMaxEvents, DEFAULT_BATCH_MAX_EVENTS),
      batchMaxBytes: positive(options.batchMaxBytes, DEFAULT_BATCH_MAX_BYTES),
      flushIntervalMs: positive(options.flushIntervalMs, DEFAULT_FLUSH_INTERVAL_MS),
      policyFallback: options.policyFallback === "allow" ? "allow" : "block",
      requestTimeoutMs: positive(options.requestTimeoutMs, REQUEST_TIMEOUT_MS),
      policyTimeoutMs: positive(options.policyTimeoutMs, DEFAULT_POLICY_TIMEOUT_MS),
    };
    this.apiKey = apiKey;
    this.probeIntervalMs = positive(options.pausedProbeIntervalMs, PAUSED_PROBE_INTERVAL_MS);
    this.onPaused = options.onPaused;
    const fetchFn = options.fetch ?? (globalThis as any).fetch;
    this.fetchFn = typeof fetchFn === "function" ? fetchFn.bind(globalThis) : undefined!;

    const problems: string[] = [];
    if (!apiKey) problems.push("no API key (apiKey or AGENTOPS_API_KEY)");
    if (!baseUrl) problems.push("no server URL (baseUrl or AGENTOPS_URL)");
    else if (!/^https?:\/\//.test(baseUrl)) problems.push(`the base URL ${baseUrl} is not http(s)`);
    if (typeof fetchFn !== "function") problems.push("this runtime has no fetch; pass options.fetch");
    if (problems.length > 0) {
      if (strict) throw new ConfigurationError(`AgentOps: ${problems.join("; ")}`);
      this.logger("warn", `AgentOps: ${problems.join("; ")}`);
    }
    this.disabled = !apiKey || typeof fetchFn !== "function" || !/^https?:\/\//.test(baseUrl);
    if (this.disabled) this.logger("warn", "AgentOps: nothing will be sent");

    this.store = createStore<Scope>();
    this.transport = new Transport({
      baseUrl,
      apiKey,
      fetch: this.fetchFn,
      requestTimeoutMs: this.options.requestTimeoutMs,
      maxQueueEvents: this.options.maxQueueEvents,
      batchMaxEvents: this.options.batchMaxEvents,
      batchMaxBytes: this.options.batchMaxBytes,
      flushIntervalMs: this.options.flushIntervalMs,
      sync: this.options.sync,
      userAgent: `agentops-sdk-typescript/${SDK_VERSION}`,
      log: this.logger,
      onAgentPaused: (a) => this.markPaused(a),
      onAgentResumed: (a) => this.paused.delete(a),
      isPaused: (a) => this.paused.has(a),
    });
    if (this.disabled) this.transport.close();
    if (options.flushOnExit ?? true) {
      this.unregisterExit = onBeforeExit(() => {
        if (this.exitFlushed || this.transport.pending === 0 || this.disabled) return;
        this.exitFlushed = true;
        void this.transport.flush(EXIT_FLUSH_TIMEOUT_MS);
      });
    }
  }

  /** Whether AsyncLocalStorage carries the ambient run/span across awaits in this runtime. */
  get hasAsyncContext(): boolean {
    return this.store.async;
  }

  // ---------------------------------------------------------------- runs and spans

  /** Starts a run. End it with `run.end(status)`; prefer `withRun`, which also sets the ambient context. */
  startRun(name: string, options: StartRunOptions = {}): Run {
    const run = new Run(this, name, options.id ?? newId(), options.agent ?? this.options.agent);
    const event: WireEvent = {
      id: newId(),
      type: "run.start",
      timestamp: new Date().toISOString(),
      run_id: run.id,
      agent: run.agent,
      name,
    };
    const environment = options.environment ?? this.options.environment;
    if (environment) event.environment = environment;
    if (options.input !== undefined) event.input = options.input;
    if (options.tags) event.tags = options.tags;
    if (options.metadata) event.metadata = options.metadata;
    this._submit(event);
    return run;
  }

  /**
   * Runs `fn` in a new run, with the run as the ambient context: spans and records inside (and in every task `fn`
   * starts) belong to it. The run ends `succeeded`, or `failed` with the error if `fn` throws (the error is re-thrown).
   */
  async withRun<T>(name: string, fn: (run: Run) => T | Promise<T>, options: StartRunOptions = {}): Promise<T> {
    const run = this.startRun(name, options);
    let result: T;
    try {
      result = await this.store.run({ run }, () => fn(run));
    } catch (err) {
      // An abort (AbortSignal, AbortController) is a cancellation, as in the other SDKs.
      await run.end((err as any)?.name === "AbortError" ? "cancelled" : "failed", { error: err });
      throw err;
    }
    await run.end("succeeded");
    return result;
  }

  /** Starts a span under `options.parent`, else the ambient span or run. Outside any run it starts a run instead. */
  startSpan(name: string, options: SpanOptions = {}): Span {
    const parent = options.parent ?? this.currentScope();
    if (!parent) {
      // A span outside any run starts a run of its own, ended with the span.
      const span = new Span(this, name, this.startRun(name), undefined, options);
      span.ownsRun = true;
      return span;
    }
    const run = parent.run;
    const parentSpan = isSpan(parent) ? parent : isRun(parent) ? undefined : (parent as Scope).span;
    return new Span(this, name, run, parentSpan?.id, options);
  }

  /**
   * Runs `fn` in a new span with it as the ambient context (nested calls and concurrent tasks inside nest under it).
   * Outside any run, a run of the same name is started and ended around it.
   */
  async withSpan<T>(name: string, fn: (span: Span) => T | Promise<T>, options: SpanOptions = {}): Promise<T> {
    const parent = options.parent ?? this.currentScope();
    if (!parent) return this.withRun(name, () => this.withSpan(name, fn, options));
    const span = this.startSpan(name, { ...options, parent: isHandle(parent) ? parent : parent.span ?? parent.run });
    try {
      const result = await this.store.run({ run: span.run, span }, () => fn(span));
      span.end();
      return result;
    } catch (err) {
      span.end({ error: err });
      throw err;
    }
  }

  /** Runs `fn` with `handle` (a run or a span) as the ambient context, e.g. to continue a run in another task. */
  withContext<T>(handle: Parent, fn: () => T): T {
    const scope: Scope = isSpan(handle) ? { run: handle.run, span: handle } : { run: handle.run };
    return this.store.run(scope, fn);
  }

  /** The ambient run, if any. */
  currentRun(): Run | undefined {
    return this.store.getStore()?.run;
  }

  /** The ambient span, if any. */
  currentSpan(): Span | undefined {
    return this.store.getStore()?.span;
  }

  /** Wraps a function so that each call runs in a span named `name` (a run when called outside any). */
  traced<A extends unknown[], R>(name: string, fn: (...args: A) => R | Promise<R>): (...args: A) => Promise<R> {
    return (...args: A) => this.withSpan(name, () => fn(...args));
  }

  private currentScope(): Scope | undefined {
    return this.store.getStore();
  }

  // ---------------------------------------------------------------- records (the hot path: build an object, queue it)

  /** Records an LLM call; returns its event id (undefined when dropped). */
  llmCall(o: LlmCallOptions): string | undefined {
    if (!o || !o.model) return this.invalid("llmCall needs a model");
    const where = this.resolve(o.parent);
    if (!where) return undefined;
    const now = Date.now();
    const metadata: Record<string, unknown> = {
      "gen_ai.operation.name": o.operation ?? "chat",
      "gen_ai.request.model": o.model,
    };
    if (o.provider) metadata["gen_ai.provider.name"] = o.provider;
    metadata["gen_ai.response.model"] = o.responseModel ?? o.model;
    if (o.tokensIn !== undefined) metadata["gen_ai.usage.input_tokens"] = o.tokensIn;
    if (o.tokensOut !== undefined) metadata["gen_ai.usage.output_tokens"] = o.tokensOut;
    if (o.tokensCached !== undefined) metadata["gen_ai.usage.cache_read.input_tokens"] = o.tokensCached;
    if (o.timeToFirstTokenMs !== undefined) metadata["gen_ai.response.time_to_first_chunk"] = o.timeToFirstTokenMs / 1000;
    if (o.metadata) Object.assign(metadata, o.metadata);
    const event: WireEvent = {
      id: newId(),
      type: "llm.call",
      timestamp: new Date(o.latencyMs ? now - o.latencyMs : now).toISOString(),
      run_id: where.run.id,
      agent: where.run.agent,
      model: o.responseModel ?? o.model,
      metadata,
    };
    if (where.parentId) event.parent_id = where.parentId;
    if (o.name) event.name = o.name;
    if (o.provider) event.provider = o.provider;
    if (o.tokensIn !== undefined) event.tokens_in = o.tokensIn;
    if (o.tokensOut !== undefined) event.tokens_out = o.tokensOut;
    if (o.tokensCached !== undefined) event.tokens_cached = o.tokensCached;
    if (o.latencyMs !== undefined) event.latency_ms = Math.max(0, Math.round(o.latencyMs));
    if (o.costUsd !== undefined) event.cost_usd = o.costUsd;
    if (o.input !== undefined) event.input = o.input;
    if (o.output !== undefined) event.output = o.output;
    if (o.error !== undefined) event.error = errorValue(o.error);
    return this._submit(event);
  }

  /** Records a tool call. */
  toolCall(o: ToolCallOptions): string | undefined {
    if (!o || !o.name) return this.invalid("toolCall needs a name");
    return this.simple("tool.call", o, { tool_name: o.name });
  }

  /** Records an action with effects outside the agent (an e-mail sent, a payment made). */
  externalAction(o: ExternalActionOptions): string | undefined {
    if (!o || !o.name) return this.invalid("externalAction needs a name");
    return this.simple("external.action", o, { name: o.name });
  }

  /** Records a log line (its message is the event's name, cut at 256 characters; a longer one is also its output). */
  log(message: string, o: LogOptions = {}): string | undefined {
    const text = String(message);
    const where = this.resolve(o.parent);
    if (!where) return undefined;
    const event = this.base("log", where, Date.now());
    event.name = text.length > 256 ? text.slice(0, 256) : text;
    if (text.length > 256) event.output = text;
    event.metadata = o.metadata ? { level: o.level ?? "info", ...o.metadata } : { level: o.level ?? "info" };
    return this._submit(event);
  }

  /** Records an error: an Error (`name` its type, `error` "<type>: <message>", `metadata["exception.type"]`), a string, or any value. */
  error(error: unknown, o: RecordOptions = {}): string | undefined {
    const where = this.resolve(o.parent);
    if (!where) return undefined;
    const event = this.base("error", where, Date.now());
    event.error = errorValue(error);
    event.name = error instanceof Error ? error.name : "error";
    if (error instanceof Error || o.metadata) {
      event.metadata = { ...(error instanceof Error ? { "exception.type": error.name } : {}), ...o.metadata };
    }
    return this._submit(event);
  }

  /** Records a score (an evaluation: helpfulness, correctness, …). */
  score(name: string, value: number, o: ScoreOptions = {}): string | undefined {
    if (!name || typeof value !== "number" || !Number.isFinite(value)) return this.invalid("score needs a name and a finite number");
    const where = this.resolve(o.parent);
    if (!where) return undefined;
    const event = this.base("score", where, Date.now());
    event.name = name;
    event.score = value;
    if (o.comment || o.metadata) event.metadata = { ...(o.comment ? { comment: o.comment } : {}), ...o.metadata };
    return this._submit(event);
  }

  private simple(
    type: string,
    o: { parent?: Parent; metadata?: Record<string, unknown>; input?: unknown; output?: unknown; latencyMs?: number; error?: unknown },
    fields: Record<string, unknown>,
  ): string | undefined {
    const where = this.resolve(o.parent);
    if (!where) return undefined;
    const now = Date.now();
    const event = this.base(type, where, o.latencyMs ? now - o.latencyMs : now);
    Object.assign(event, fields);
    if (o.input !== undefined) event.input = o.input;
    if (o.output !== undefined) event.output = o.output;
    if (o.latencyMs !== undefined) event.latency_ms = Math.max(0, Math.round(o.latencyMs));
    if (o.error !== undefined) event.error = errorValue(o.error);
    if (o.metadata) event.metadata = o.metadata;
    return this._submit(event);
  }

  private base(type: string, where: { run: Run; parentId?: string }, at: number): WireEvent {
    const event: WireEvent = {
      id: newId(),
      type,
      timestamp: new Date(at).toISOString(),
      run_id: where.run.id,
      agent: where.run.agent,
    };
    if (where.parentId) event.parent_id = where.parentId;
    return event;
  }

  private resolve(parent: Parent | undefined): { run: Run; parentId?: string } | undefined {
    if (isSpan(parent)) return { run: parent.run, parentId: parent.id };
    if (isRun(parent)) return { run: parent };
    const scope = this.store.getStore();
    if (scope) return { run: scope.run, parentId: scope.span?.id };
    if (this.options.strict) throw new ValidationError("no run: record inside withRun/withSpan or pass { parent }");
    this.warnOnce("no-run", "an event was recorded outside any run (use withRun / withSpan or pass { parent }); dropped");
    this.transport.counters.droppedInvalid++;
    return undefined;
  }

  private invalid(message: string): undefined {
    if (this.options.strict) throw new ValidationError(message);
    this.warnOnce(message, `${message}; the event was dropped`);
    this.transport.counters.droppedInvalid++;
    return undefined;
  }

  /** @internal Queues a wire event (drops it, counted, when the agent is paused or the queue is full). */
  _submit(event: WireEvent): string | undefined {
    if (this.disabled) return undefined;
    if (this.paused.size > 0 && this.paused.has(event.agent)) {
      if (!this.probeDue(event.agent)) {
        this.transport.countDroppedPaused();
        if (this.options.strict) throw new AgentPausedError(event.agent);
        return undefined;
      }
      (event as any)[PROBE] = true;
    }
    this.exitFlushed = false;
    return this.transport.enqueue(event) ? event.id : undefined;
  }

  /** @internal */
  _endRun(run: Run, status: string, options: EndOptions): void {
    const now = new Date().toISOString();
    const event: WireEvent = { id: newId(), type: "run.end", timestamp: now, ended_at: now, run_id: run.id, agent: run.agent, status };
    if (options.output !== undefined) event.output = options.output;
    if (options.error !== undefined) event.error = errorValue(options.error);
    try {
      this._submit(event);
    } catch {
      /* strict + paused: ending a run never throws */
    }
  }

  // ---------------------------------------------------------------- transport

  /** Sends what is queued. Always resolves within `timeoutMs` (default 5 s), with how many events are still unsent. */
  flush(timeoutMs: number = DEFAULT_FLUSH_TIMEOUT_MS): Promise<FlushResult> {
    timeoutMs = typeof timeoutMs === "number" && !Number.isNaN(timeoutMs) ? Math.min(Math.max(0, timeoutMs), MAX_TIMER_MS) : DEFAULT_FLUSH_TIMEOUT_MS;
    if (this.disabled) return Promise.resolve({ unsent: this.transport.pending, timedOut: false, elapsedMs: 0 });
    return this.transport.flush(timeoutMs);
  }

  /** Flushes (bounded) and stops the background sender; later records are dropped. */
  async shutdown(timeoutMs: number = DEFAULT_FLUSH_TIMEOUT_MS): Promise<FlushResult> {
    const result = await this.flush(timeoutMs);
    this.transport.close();
    this.unregisterExit();
    return result;
  }

  /** The counters: queued, sent, retries, droppedQueueFull, droppedPaused, droppedRejected, rejectedByCode, … */
  stats(): Stats {
    return this.transport.stats();
  }

  // ---------------------------------------------------------------- paused agents

  /** Whether the server said this agent (default: the client's) is paused. */
  isPaused(agent: string = this.options.agent): boolean {
    return this.paused.has(agent);
  }

  private probeDue(agent: string): boolean {
    const state = this.paused.get(agent);
    if (!state) return true;
    if (monotonicMs() < state.probeAt) return false;
    state.probeAt = monotonicMs() + this.probeIntervalMs;
    return true;
  }

  private markPaused(agent: string): void {
    const state = this.paused.get(agent);
    if (state) {
      state.probeAt = monotonicMs() + this.probeIntervalMs;
      return;
    }
    this.paused.set(agent, { probeAt: monotonicMs() + this.probeIntervalMs });
    this.logger("warn", `AgentOps: the agent ${agent} is paused; its events are dropped until it is resumed`);
    if (this.onPaused) {
      try {
        this.onPaused(agent);
      } catch (err) {
        this.logger("error", `AgentOps: onPaused threw: ${describe(err)}`);
      }
    }
  }

  // ---------------------------------------------------------------- control

  /**
   * Asks the control plane whether the agent may take `action` ({type, …}) in the run (`{run}`, else the ambient one,
   * else the client's ad-hoc run). Resolves with the decision; rejects only with AgentPausedError (the agent is
   * paused) or when `signal` aborts. When it cannot ask the server the decision is the client's `policyFallback`
   * (`block` by default) with `fromServer` false and reason `check_failed` (unreachable, or an error answer: its code
   * in `problemCode`) or `not_configured`; strict mode rejects with ConfigurationError instead.
   */
  async checkPolicy(action: Record<string, unknown>, options: CheckPolicyOptions = {}): Promise<PolicyDecision> {
    const run = options.run ?? this.currentRun();
    const agent = options.agent ?? run?.agent ?? this.options.agent;
    const fallback = (reason: string, problemCode: string | null = null) =>
      new PolicyDecision(this, { decision: this.options.policyFallback, reason }, false, problemCode);
    if (this.disabled) {
      if (this.options.strict) throw new ConfigurationError("checkPolicy: AgentOps is not configured");
      return fallback("not_configured");
    }
    const body: Record<string, unknown> = { run_id: run?.id ?? this.adHocRunId, agent, action };
    if (options.context) body.context = options.context;
    if (options.step && !this.stepUnsupported) body.step = options.step;
    const timeoutMs = options.timeoutMs ?? this.options.policyTimeoutMs;
    let answer: { status: number; body: any } | undefined;
    try {
      answer = await this.request("POST", "/api/v1/policy/check", body, timeoutMs, options.signal);
      if (answer.status === 400 && answer.body?.code === "unknown_field" && body.step !== undefined && answer.body?.errors?.["$.step"]) {
        // A server older than idempotent steps: ask without it (a repeated check then makes a new request).
        this.stepUnsupported = true;
        this.warnOnce("step", "this server does not take policy check steps; checks are not idempotent per step");
        delete body.step;
        answer = await this.request("POST", "/api/v1/policy/check", body, timeoutMs, options.signal);
      }
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason ?? err;
      if (this.paused.has(agent)) throw new AgentPausedError(agent);
      if (this.options.strict) throw new AgentOpsError(`policy check failed: ${describe(err)}`);
      this.logger("warn", `AgentOps: policy check failed: ${describe(err)}; answering ${this.options.policyFallback}`);
      return fallback("check_failed");
    }
    if (answer.status !== 200) {
      const code = answer.body?.code ?? `http_${answer.status}`;
      if (this.paused.has(agent)) throw new AgentPausedError(agent);
      if (this.options.strict) throw new AgentOpsError(`policy check failed: ${answer.status} ${code}`);
      this.logger("warn", `AgentOps: policy check answered ${answer.status} ${code}; answering ${this.options.policyFallback}`);
      return fallback("check_failed", code);
    }
    const decision = new PolicyDecision(this, answer.body);
    if (decision.decision === "block" && (decision.reason === "agent_paused" || decision.reason === "org_killed")) {
      this.markPaused(agent);
      throw new AgentPausedError(agent);
    }
    this.paused.delete(agent);
    return decision;
  }

  /**
   * Waits until the approval request `id` is decided or `timeoutMs` passes: long-polls
   * GET /api/v1/approvals/{id}/wait (≤ 60 s each, never past the timeout). Resolves with `approved`, `rejected`,
   * `expired` or `pending` (timed out); rejects when `signal` aborts (with its reason) and with AgentOpsError when the
   * server refuses the wait (a 4xx other than 408/429: an unknown id, a key without `read`).
   */
  async waitForApproval(id: string, options: WaitOptions = {}): Promise<ApprovalResult> {
    if (this.disabled) return approvalResult(id, "pending", undefined); // nothing to ask (not configured)
    const timeoutMs = options.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    const deadline = monotonicMs() + timeoutMs;
    let last: any;
    let first = true;
    for (;;) {
      options.signal?.throwIfAborted?.();
      const remaining = deadline - monotonicMs();
      if (remaining <= 0 && !first) break;
      first = false;
      const waitS = Math.min(APPROVAL_POLL_MAX_S, Math.max(1, Math.floor(remaining / 1000)));
      const pollStarted = monotonicMs();
      try {
        const answer = await this.request(
          "GET",
          `/api/v1/approvals/${encodeURIComponent(id)}/wait?timeout_s=${waitS}`,
          undefined,
          waitS * 1000 + APPROVAL_POLL_GRACE_MS,
          options.signal,
        );
        if (answer.status === 200) {
          last = answer.body;
          const status = String(last?.status ?? "pending");
          if (status !== "pending") return approvalResult(id, status, last);
          // Answered well before its timeout_s (pending, or an empty body): wait out the minimum interval.
          const early = APPROVAL_MIN_POLL_INTERVAL_MS - (monotonicMs() - pollStarted);
          if (early > 0) await sleepOrAbort(Math.min(early, Math.max(0, deadline - monotonicMs())), options.signal);
        } else if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 && answer.status !== 429) {
          // A refusal (unknown id, no read scope) is not worth waiting out; the other SDKs raise it too.
          throw new AgentOpsError(`waiting for approval ${id} failed: ${answer.status} ${answer.body?.code ?? ""}`.trim());
        } else {
          await sleepOrAbort(Math.min(APPROVAL_RETRY_DELAY_MS, Math.max(0, deadline - monotonicMs())), options.signal);
        }
      } catch (err) {
        if (options.signal?.aborted) throw options.signal.reason ?? err;
        if (err instanceof AgentOpsError) throw err; // the refusal thrown above: not a network error to retry
        await sleepOrAbort(Math.min(APPROVAL_RETRY_DELAY_MS, Math.max(0, deadline - monotonicMs())), options.signal);
      }
      if (deadline - monotonicMs() < 1000) {
        // Less than the shortest poll the server takes is left: one that long would overrun the timeout.
        if (deadline - monotonicMs() <= 0) break;
        await sleepOrAbort(deadline - monotonicMs(), options.signal);
        break;
      }
    }
    return approvalResult(id, "pending", last);
  }

  /** A JSON request to the server with the API key; never throws but for network errors and aborts. */
  private async request(
    method: string,
    path: string,
    body: unknown,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: any }> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new Error("request timeout")), timeoutMs);
    try {
      const response = await this.fetchFn(this.options.baseUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          "user-agent": `agentops-sdk-typescript/${SDK_VERSION}`,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: controller.signal,
      });
      const text = await response.text();
      let parsed: any;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, body: parsed };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  private warnOnce(key: string, message: string): void {
    if (this.warnedOnce.has(key)) return;
    this.warnedOnce.add(key);
    this.logger("warn", `AgentOps: ${message}`);
  }
}

function isRun(value: unknown): value is Run {
  return (value as Run | undefined)?.kind === "run";
}

function isSpan(value: unknown): value is Span {
  return (value as Span | undefined)?.kind === "span";
}

function isHandle(value: unknown): value is Run | Span {
  return isRun(value) || isSpan(value);
}

function approvalResult(id: string, status: string, body: any): ApprovalResult {
  const known = status === "approved" || status === "rejected" || status === "expired" ? status : "pending";
  const result: ApprovalResult = { status: known, id };
  if (body && typeof body === "object") {
    result.approval = body;
    const reason = body.decision_reason ?? body.reason;
    if (typeof reason === "string") result.reason = reason;
    if (typeof body.comment === "string") result.comment = body.comment;
  }
  return result;
}

async function sleepOrAbort(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return sleep(ms, true);
  signal.throwIfAborted?.();
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(done, ms);
    function done() {
      signal!.removeEventListener("abort", aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(t);
      reject(signal!.reason);
    }
    signal.addEventListener("abort", aborted, { once: true });
  });
}

/** The wire form of an error: `"<type>: <message>"` for an Error, the value itself otherwise. */
export function errorValue(error: unknown): unknown {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return error;
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
}

const defaultLogger: Logger = (level, message) => {
  if (level === "debug") return;
  // eslint-disable-next-line no-console
  (level === "error" ? console.error : console.warn)(message);
};

// ---------------------------------------------------------------- the default client

let defaultClient: AgentOps | undefined;

/** Creates the process's default client (replacing an earlier one) and returns it. */
export function init(options: AgentOpsOptions = {}): AgentOps {
  defaultClient = new AgentOps(options);
  return defaultClient;
}

/** The default client; created from the environment (AGENTOPS_URL, AGENTOPS_API_KEY, AGENTOPS_AGENT) on first use. */
export function getClient(): AgentOps {
  return (defaultClient ??= new AgentOps());
}

/** Wraps `fn` so that each call runs in a span `name` of the default client (a run when called outside any). */
export function traced<A extends unknown[], R>(name: string, fn: (...args: A) => R | Promise<R>): (...args: A) => Promise<R> {
  return (...args: A) => getClient().withSpan(name, () => fn(...args));
}
