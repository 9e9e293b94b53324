// A list page remembers how it was filtered (its hash), so a detail page's "← Runs" goes back to the same view, in
// this tab, across reloads (sessionStorage: per tab, gone with it).

const key = (list: string) => `agentops.list.${list}`;

export function rememberList(list: string, hash: string): void {
  try {
    sessionStorage.setItem(key(list), hash);
  } catch {
    // Storage refused (private mode, quota): the way back is the plain list.
  }
}

/** The list's hash as last seen in this tab, or the fallback; only a hash of that list is ever answered. */
export function listHref(list: string, fallback: string): string {
  try {
    const stored = sessionStorage.getItem(key(list));
    return stored && (stored === fallback || stored.startsWith(`${fallback}?`)) ? stored : fallback;
  } catch {
    return fallback;
  }
}
