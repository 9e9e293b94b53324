// The ambient run and span. Node (and Bun, Deno, workers with Node compatibility) have AsyncLocalStorage: a value
// set by `withRun` / `withSpan` follows every await and every task started inside, so concurrent tasks
// (`Promise.all`) each see their own span. Elsewhere the SDK falls back to a synchronous slot (correct only for the
// synchronous part of the callback) and the explicit handles (`run.llmCall`, `span.startSpan`, `{ parent }`).

import { builtin } from "./runtime.js";

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface Store<T> {
  getStore(): T | undefined;
  run<R>(value: T, fn: () => R): R;
  /** true when the value follows async continuations (AsyncLocalStorage). */
  readonly async: boolean;
}

class SyncSlot<T> implements Store<T> {
  private current: T | undefined;
  readonly async = false;
  getStore(): T | undefined {
    return this.current;
  }
  run<R>(value: T, fn: () => R): R {
    const previous = this.current;
    this.current = value;
    try {
      return fn();
    } finally {
      this.current = previous;
    }
  }
}

function findAsyncLocalStorage(): any {
  const g: any = globalThis as any;
  if (typeof g.AsyncLocalStorage === "function") return g.AsyncLocalStorage; // Cloudflare Workers (nodejs_als)
  return builtin<any>("node:async_hooks")?.AsyncLocalStorage;
}

/** A store for the ambient context: AsyncLocalStorage when the runtime has it, else the synchronous slot. */
export function createStore<T>(): Store<T> {
  const Als = findAsyncLocalStorage();
  if (Als) {
    const als = new Als();
    return {
      async: true,
      getStore: () => als.getStore() as T | undefined,
      run: (value, fn) => als.run(value, fn),
    };
  }
  const g: any = globalThis as any;
  if (!g.process?.versions?.node) return new SyncSlot<T>();
  // Node 18 in an ES module: neither process.getBuiltinModule nor require. A guarded dynamic import upgrades the
  // store a moment after start-up; until then (the first tick) the synchronous slot answers.
  return new UpgradingStore<T>();
}

class UpgradingStore<T> implements Store<T> {
  private impl: Store<T> = new SyncSlot<T>();
  get async(): boolean {
    return this.impl.async;
  }
  constructor() {
    const specifier = "node:async_hooks";
    import(/* webpackIgnore: true */ specifier).then(
      (m: any) => {
        if (m?.AsyncLocalStorage) {
          const als = new m.AsyncLocalStorage();
          this.impl = { async: true, getStore: () => als.getStore(), run: (v, fn) => als.run(v, fn) };
        }
      },
      () => {},
    );
  }
  getStore(): T | undefined {
    return this.impl.getStore();
  }
  run<R>(value: T, fn: () => R): R {
    return this.impl.run(value, fn);
  }
}
