// Links to the dashboard's own pages (hash routes), with their filters as query parameters.

export type HrefParams = Record<string, string | null | undefined>;

/** #<path>?<params>, empty values left out. */
export function hashHref(path: string, params: HrefParams = {}): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== null && entry[1] !== undefined && entry[1] !== ''));
  const qs = query.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

/** #/runs with these filters. */
export const runsHref = (params: HrefParams = {}): string => hashHref('/runs', params);

/** #/costs with a range (from, to) and optionally one agent or team. */
export const costsHref = (params: HrefParams = {}): string => hashHref('/costs', params);
