// The run view's tree operations over the timeline, pure. The API sends the timeline in pre-order (parents before
// children) with each event's depth, so a subtree is the run of rows after its root that are deeper than it.

export interface Row {
  id: string;
  depth: number;
}

export interface Searchable {
  id: string;
  type: string;
  name: string | null;
  model: string | null;
  provider: string | null;
  tool_name: string | null;
  status: string | null;
  error: string | null;
  input: string | null;
  output: string | null;
  metadata?: unknown;
}

const FAILED_STATUSES = new Set(['error', 'failed', 'failure', 'timeout', 'timed_out']);

/** An event that went wrong: it carries an error, has a failed status, or is an error event. */
export function failed(e: Pick<Searchable, 'type' | 'status' | 'error'>): boolean {
  return !!e.error || e.type === 'error' || FAILED_STATUSES.has((e.status ?? '').toLowerCase());
}

/** The index just past row i's subtree. */
export function subtreeEnd(rows: readonly Row[], i: number): number {
  const depth = rows[i]?.depth ?? 0;
  let j = i + 1;
  while (j < rows.length && rows[j]!.depth > depth) j++;
  return j;
}

/** For each row, whether a collapsed ancestor hides it (the collapsed row itself stays shown). */
export function hiddenByCollapse(rows: readonly Row[], collapsed: ReadonlySet<string>): boolean[] {
  const hidden = new Array<boolean>(rows.length).fill(false);
  if (!collapsed.size) return hidden;
  for (let i = 0; i < rows.length; i++) {
    if (hidden[i] || !collapsed.has(rows[i]!.id)) continue;
    const end = subtreeEnd(rows, i);
    for (let j = i + 1; j < end; j++) hidden[j] = true;
  }
  return hidden;
}

/** The indices of row i's ancestors, nearest first. */
export function ancestors(rows: readonly Row[], i: number): number[] {
  const result: number[] = [];
  let depth = rows[i]?.depth ?? 0;
  for (let j = i - 1; j >= 0 && depth > 0; j--) {
    if (rows[j]!.depth < depth) {
      result.push(j);
      depth = rows[j]!.depth;
    }
  }
  return result;
}

/** The next shown row after (direction 1) or before (-1) from; from null starts at the edge. Null at the end. */
export function step(shown: readonly boolean[], from: number | null, direction: 1 | -1): number | null {
  let i = from === null ? (direction === 1 ? -1 : shown.length) : from;
  for (i += direction; i >= 0 && i < shown.length; i += direction) if (shown[i]) return i;
  return null;
}

/** Whether an event matches a search (case-insensitive, every word somewhere in its id, names, payloads or metadata). */
export function matches(e: Searchable, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return false;
  const text = [e.id, e.type, e.name, e.model, e.provider, e.tool_name, e.status, e.error, e.input, e.output,
    e.metadata === null || e.metadata === undefined ? null : JSON.stringify(e.metadata)]
    .filter((v): v is string => !!v).join('\n').toLowerCase();
  return words.every((w) => text.includes(w));
}
