// Keyboard shortcuts: "/" to search, "g" then a letter to go to a page, "?" for the list. Pure decision; the app wires
// it to keydown. Never while typing in a field, and never with Ctrl, Alt or Meta (those belong to the browser).

export const GO_KEYS: Record<string, { path: string; label: string }> = {
  o: { path: '/overview', label: 'Overview' },
  a: { path: '/agents', label: 'Agents' },
  r: { path: '/runs', label: 'Runs' },
  c: { path: '/costs', label: 'Costs' },
  k: { path: '/controls', label: 'Controls (kill switch)' },
  p: { path: '/approvals', label: 'Approvals' },
  b: { path: '/budgets', label: 'Budgets' },
  l: { path: '/audit', label: 'Audit log' },
  j: { path: '/jobs', label: 'Jobs' },
  m: { path: '/prices', label: 'Model prices' },
  s: { path: '/org', label: 'Organization settings' },
};

/** How long after "g" the second key counts. */
export const GO_TIMEOUT_MS = 1500;

export type Shortcut = { kind: 'search' } | { kind: 'help' } | { kind: 'go'; path: string } | { kind: 'pending' } | null;

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  /** The focus is in a text field, a select or an editable element. */
  typing: boolean;
}

/** What a key press means, given when "g" was last pressed (or null). */
export function shortcutFor(press: KeyPress, gPressedAt: number | null, now: number): Shortcut {
  if (press.typing || press.ctrlKey || press.altKey || press.metaKey) return null;
  if (gPressedAt !== null && now - gPressedAt <= GO_TIMEOUT_MS) {
    const target = GO_KEYS[press.key.toLowerCase()];
    return target ? { kind: 'go', path: target.path } : null;
  }
  if (press.key === '/') return { kind: 'search' };
  if (press.key === '?') return { kind: 'help' };
  if (press.key === 'g') return { kind: 'pending' };
  return null;
}
