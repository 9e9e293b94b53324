// Records the calls of the official `openai` npm client. The SDK does not import `openai`: it patches the methods of
// the instance it is given, and leaves what they return as it is (the APIPromise with withResponse/asResponse, the
// Stream with controller/tee/toReadableStream): only the stream's iterator is wrapped, to see its chunks.

import { getClient, type AgentOps, type Parent } from "./client.js";
import { monotonicMs } from "./runtime.js";

/* eslint-disable @typescript-eslint/no-explicit-any */

/** The most output text kept from a streamed answer (the server keeps events' outputs up to 2 MiB). */
export const STREAM_OUTPUT_MAX_CHARS = 64 * 1024;

export interface UsageInfo {
  model: string;
  provider: string;
  tokensIn?: number;
  tokensOut?: number;
  tokensCached?: number;
}

export interface WrapOpenAIOptions {
  /** The AgentOps client (default: `getClient()`). */
  client?: AgentOps;
  /** `gen_ai.provider.name` (default `openai`; e.g. `azure.ai.openai` for Azure). */
  provider?: string;
  /** Record the request's messages and the answer (default true). */
  recordContent?: boolean;
  /** Your own cost computation; the server prices from its list otherwise. */
  cost?: (usage: UsageInfo) => number | undefined;
}

const WRAPPED = Symbol.for("agentops.openai.wrapped");

/**
 * Patches `openai.chat.completions.create` and `openai.responses.create` of this instance so that every call (JSON or
 * `stream: true`) records an `llm.call` with model, tokens (cached ones included), latency and time to first token.
 * Returns the same instance.
 */
export function wrapOpenAI<T extends object>(openai: T, options: WrapOpenAIOptions = {}): T {
  const o: any = openai;
  if (!o || o[WRAPPED]) return openai;
  const completions = o.chat?.completions;
  if (completions && typeof completions.create === "function") {
    patch(completions, "chat", options);
  }
  const responses = o.responses;
  if (responses && typeof responses.create === "function") {
    patch(responses, "responses", options);
  }
  try {
    Object.defineProperty(o, WRAPPED, { value: true });
  } catch {
    /* a frozen object: it is still wrapped */
  }
  return openai;
}

function patch(resource: any, kind: "chat" | "responses", options: WrapOpenAIOptions): void {
  const original = resource.create;
  resource.create = function create(this: unknown, ...args: any[]) {
    const started = monotonicMs();
    const client = options.client ?? getClient();
    const parent: Parent | undefined = client.currentSpan() ?? client.currentRun();
    const params = args[0] ?? {};
    const result = original.apply(this, args);
    try {
      const recorder = new CallRecorder(client, parent, kind, params, started, options);
      if (result && typeof result.then === "function") {
        // A side chain: the returned promise (and its withResponse / asResponse) is left as it is. It is registered
        // first, so a stream's iterator is wrapped before the caller's continuation sees the stream.
        result.then(
          (value: any) => recorder.onResult(value),
          (err: unknown) => recorder.finish(undefined, err),
        );
      }
    } catch {
      /* recording never breaks the call */
    }
    return result;
  };
}

class CallRecorder {
  private firstChunkAt: number | undefined;
  private model: string | undefined;
  private usage: any;
  private text = "";
  private done = false;

  constructor(
    private readonly client: AgentOps,
    private readonly parent: Parent | undefined,
    private readonly kind: "chat" | "responses",
    private readonly params: any,
    private readonly started: number,
    private readonly options: WrapOpenAIOptions,
  ) {}

  onResult(value: any): void {
    try {
      if (value && typeof value.iterator === "function" && typeof value.tee === "function") {
        this.wrapStream(value);
      } else {
        this.finish(value, undefined);
      }
    } catch {
      /* never break the caller */
    }
  }

  private wrapStream(stream: any): void {
    const original = stream.iterator;
    const self = this;
    stream.iterator = async function* recorded() {
      let error: unknown;
      try {
        for await (const chunk of original.call(stream)) {
          try {
            self.observeChunk(chunk);
          } catch {
            /* ignore */
          }
          yield chunk;
        }
      } catch (err) {
        error = err;
        throw err;
      } finally {
        self.finish(undefined, error);
      }
    };
  }

  private observeChunk(chunk: any): void {
    if (this.firstChunkAt === undefined) this.firstChunkAt = monotonicMs();
    if (this.kind === "chat") {
      if (chunk?.model) this.model = chunk.model;
      if (chunk?.usage) this.usage = chunk.usage;
      const delta = chunk?.choices?.[0]?.delta?.content;
      if (typeof delta === "string" && this.text.length < STREAM_OUTPUT_MAX_CHARS) this.text += delta;
    } else {
      const type = chunk?.type;
      if (type === "response.output_text.delta" && typeof chunk.delta === "string" && this.text.length < STREAM_OUTPUT_MAX_CHARS) {
        this.text += chunk.delta;
      }
      const response = chunk?.response;
      if (response?.model) this.model = response.model;
      if (response?.usage) this.usage = response.usage;
    }
  }

  finish(value: any, error: unknown): void {
    if (this.done) return;
    this.done = true;
    try {
      const latencyMs = monotonicMs() - this.started;
      let output: unknown;
      if (value) {
        this.model = value.model ?? this.model;
        this.usage = value.usage ?? this.usage;
        output = this.kind === "chat" ? value.choices?.[0]?.message?.content ?? value.choices?.[0]?.message : value.output_text ?? value.output;
      } else if (this.text) {
        output = this.text;
      }
      const u = this.usage ?? {};
      const tokensIn = u.prompt_tokens ?? u.input_tokens;
      const tokensOut = u.completion_tokens ?? u.output_tokens;
      const tokensCached = u.prompt_tokens_details?.cached_tokens ?? u.input_tokens_details?.cached_tokens;
      const requestModel = String(this.params?.model ?? this.model ?? "unknown");
      const provider = this.options.provider ?? "openai";
      const usage: UsageInfo = { model: this.model ?? requestModel, provider, tokensIn, tokensOut, tokensCached };
      const recordContent = this.options.recordContent ?? true;
      let costUsd: number | undefined;
      try {
        costUsd = this.options.cost?.(usage);
      } catch {
        costUsd = undefined;
      }
      this.client.llmCall({
        parent: this.parent,
        model: requestModel,
        responseModel: this.model,
        provider,
        tokensIn,
        tokensOut,
        tokensCached,
        latencyMs,
        timeToFirstTokenMs: this.firstChunkAt !== undefined ? this.firstChunkAt - this.started : undefined,
        costUsd,
        input: recordContent ? this.params?.messages ?? this.params?.input : undefined,
        output: recordContent ? output : undefined,
        error,
        operation: "chat",
        metadata: this.firstChunkAt !== undefined ? { "agentops.stream": true } : undefined,
      });
    } catch {
      /* recording never breaks the call (strict-mode errors included) */
    }
  }
}
