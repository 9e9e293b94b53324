// JSON the API passes on as it got it (audit snapshots, approval contexts): `unknown` until looked at. Pure.

/** An object with keys (not null, not an array). */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A key's value when v is an object (undefined otherwise, as `v?.key` reads it in plain JS). */
export const prop = (v: unknown, key: string): unknown => (isPlainObject(v) ? v[key] : undefined);

/** A key's value when it is text. */
export function textProp(v: unknown, key: string): string | null {
  const value = prop(v, key);
  return typeof value === 'string' ? value : null;
}
