// Typed calls by operation id. The shapes come from the committed contract (sdk/spec/openapi.json) through
// openapi-typescript (schema.d.ts) and the operation table (operations.ts), both generated at build time: a page that
// reads a field the API does not declare does not compile.
import type { components, operations } from './schema';
import { OPERATIONS } from './operations';

export type Schemas = components['schemas'];
export type OperationId = keyof typeof OPERATIONS & keyof operations;

type Parameters<O extends OperationId> = operations[O]['parameters'];
export type QueryOf<O extends OperationId> = NonNullable<Parameters<O>['query']>;
export type PathParamsOf<O extends OperationId> = NonNullable<Parameters<O>['path']>;
type JsonContent<R> = R extends { content: { 'application/json': infer J } } ? J : never;
export type ResultOf<O extends OperationId> = operations[O]['responses'] extends infer R
  ? R extends { 200: infer A } ? JsonContent<A> : R extends { 201: infer B } ? JsonContent<B> : R extends { 202: infer C } ? JsonContent<C> : void
  : never;
export type BodyOf<O extends OperationId> = operations[O] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export interface CallArgs<O extends OperationId> {
  query?: QueryOf<O>;
  path?: PathParamsOf<O>;
  body?: BodyOf<O>;
}

/** Sends one request to the API and answers its JSON (the session-aware `api` of shell/session.ts: refresh, 401, problems). */
export type Transport = (method: string, pathAndQuery: string, body?: unknown) => Promise<unknown>;

/**
 * The path and query of an operation under /api/v1: path parameters filled in (encoded; a catch-all `{**id}` keeps its
 * slashes), query parameters in a stable order with empty ones (undefined, null, '') left out.
 */
export function operationUrl(template: string, path: Record<string, unknown> = {}, query: Record<string, unknown> = {}): string {
  const filled = template.replace(/\{(\*\*)?([A-Za-z_]+)(:[a-z]+)?\}/g, (_, catchAll: string | undefined, name: string) => {
    const value = path[name];
    if (value === undefined || value === null || value === '') throw new Error(`missing path parameter ${name} for ${template}`);
    const text = String(value);
    return catchAll ? text.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(text);
  });
  const search = new URLSearchParams();
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const relative = filled.replace(/^\/api\/v1/, '');
  const qs = search.toString();
  return qs ? `${relative}?${qs}` : relative;
}

export function call<O extends OperationId>(transport: Transport, id: O, args: CallArgs<O> = {}): Promise<ResultOf<O>> {
  const op = OPERATIONS[id];
  const url = operationUrl(op.path, (args.path ?? {}) as Record<string, unknown>, (args.query ?? {}) as Record<string, unknown>);
  return transport(op.method, url, args.body) as Promise<ResultOf<O>>;
}
