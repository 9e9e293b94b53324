// Everything that differs between runtimes (Node, Deno, Bun, edge workers, browsers) lives here, each probe guarded:
// no Node-only module is imported at the top level, so the package loads wherever `fetch` exists.

/* eslint-disable @typescript-eslint/no-explicit-any */
// CommonJS's `require`, declared here only: this package is built without Node's types so that nothing Node-only
// slips in unguarded.
declare const require: ((id: string) => any) | undefined;
const g: any = globalThis as any;

/** A Node built-in module when the runtime has one: `process.getBuiltinModule` (Node ≥ 20.16), else CommonJS `require`. */
export function builtin<T = any>(name: string): T | undefined {
  try {
    const fromProcess = g.process?.getBuiltinModule?.(name);
    if (fromProcess) return fromProcess as T;
  } catch {
    /* not available */
  }
  try {
    // Only the CommonJS build has a `require` in scope; the ESM build sees `undefined` here.
    if (typeof require === "function") return require(name) as T;
  } catch {
    /* not available */
  }
  return undefined;
}

/** The environment variables when the runtime exposes `process.env` (Node, Bun, Deno's Node compatibility). */
export function env(name: string): string | undefined {
  try {
    const value = g.process?.env?.[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  } catch {
    return undefined;
  }
}

const nodeCrypto: any = g.crypto?.randomUUID ? undefined : builtin("node:crypto");

/** 128 random bits as 32 lower-case hex characters: a client event id (retries re-send it; the server stores it once). */
export function newId(): string {
  const c = g.crypto;
  if (c?.randomUUID) return c.randomUUID().replace(/-/g, "");
  if (nodeCrypto?.randomUUID) return nodeCrypto.randomUUID().replace(/-/g, "");
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  let hex = "";
  for (let i = 0; i < 16; i++) hex += bytes[i]!.toString(16).padStart(2, "0");
  return hex;
}

/** A timer that never keeps the process alive (Node / Bun `unref`; elsewhere timers do not hold a process anyway). */
export function unrefTimer<T>(timer: T): T {
  (timer as any)?.unref?.();
  return timer;
}

export function sleep(ms: number, keepAlive = false): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, Math.max(0, ms));
    if (!keepAlive) unrefTimer(t);
  });
}

/** A monotonic clock in milliseconds. */
export const monotonicMs: () => number =
  typeof g.performance?.now === "function" ? () => g.performance.now() : () => Date.now();

const zlib: any = builtin("node:zlib");

/**
 * Gzip: node:zlib when the runtime has it (fastest), else the web `CompressionStream`, else `undefined` (the body is
 * sent uncompressed).
 */
export async function gzip(data: Uint8Array): Promise<Uint8Array | undefined> {
  if (zlib?.gzip) {
    return await new Promise<Uint8Array | undefined>((resolve) => {
      zlib.gzip(data, (err: unknown, out: Uint8Array) => resolve(err ? undefined : out));
    });
  }
  if (typeof g.CompressionStream === "function" && typeof g.Response === "function") {
    try {
      const stream = new g.Blob([data]).stream().pipeThrough(new g.CompressionStream("gzip"));
      return new Uint8Array(await new g.Response(stream).arrayBuffer());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Registers `fn` for the process's `beforeExit` (Node, Bun); returns how to unregister it. */
export function onBeforeExit(fn: () => void): () => void {
  const proc = g.process;
  if (typeof proc?.on !== "function" || typeof proc?.off !== "function") return () => {};
  proc.on("beforeExit", fn);
  return () => proc.off("beforeExit", fn);
}
