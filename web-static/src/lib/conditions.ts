// A policy's conditions as the visual builder edits them, and the conversion to and from the API's JSON
// ({all: [...]}, {any: [...]}, {not: ...}, {field, operator, value}). Pure: the builder component draws this tree, the
// server stays the judge of what is valid (its errors come back by JSON path, and paths() says which row each belongs to).

export const OPERATORS = [
  ['equals', 'equals'], ['not_equals', 'does not equal'], ['in', 'is one of'], ['not_in', 'is none of'],
  ['contains', 'contains'], ['starts_with', 'starts with'], ['regex', 'matches regex'],
  ['greater_than', '>'], ['greater_than_or_equal', '≥'], ['less_than', '<'], ['less_than_or_equal', '≤'], ['exists', 'exists'],
] as const;
export type OperatorName = (typeof OPERATORS)[number][0];

/** Fields a policy check sends (offered as suggestions; any dotted path under agent, run, action or context is allowed). */
export const FIELD_SUGGESTIONS = [
  'agent.name', 'agent.team', 'agent.environment', 'agent.tags', 'run.id', 'run.cost_usd', 'run.tokens_in', 'run.tokens_out',
  'run.llm_calls', 'action.type', 'action.amount', 'action.to', 'action.tool', 'context.user', 'context.channel',
] as const;

export interface Comparison { kind: 'comparison'; not: boolean; field: string; operator: string; value: string }
export interface Group { kind: 'all' | 'any'; not: boolean; items: Condition[] }
export type Condition = Comparison | Group;

/** Deepest nesting the builder draws (the API allows 16; deeper trees stay in the JSON mode). */
export const MAX_BUILDER_DEPTH = 8;

export const comparison = (field = '', operator: string = 'equals', value = ''): Comparison => ({ kind: 'comparison', not: false, field, operator, value });
export const group = (kind: 'all' | 'any' = 'all', items: Condition[] = []): Group => ({ kind, not: false, items });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The value as the builder's text box shows it: text as itself; numbers, true, false and null as JSON; text that would
 * read as one of those in quotes (so "10" the text survives the round trip); a list for in / not_in, comma-separated.
 */
export function valueText(value: unknown, operator: string): string {
  if (value === undefined) return '';
  if ((operator === 'regex' || operator === 'starts_with') && typeof value === 'string') return value;
  if ((operator === 'in' || operator === 'not_in') && Array.isArray(value)) return value.map((v) => literalText(v, true)).join(', ');
  return literalText(value, false);
}

function literalText(v: unknown, inList: boolean): string {
  if (typeof v !== 'string') return JSON.stringify(v);
  // In a list, commas separate items and quotes group them: an item holding either is written quoted.
  return readsAsLiteral(v) || v.trim() !== v || inList && /[,"\\]/.test(v) ? JSON.stringify(v) : v;
}

const readsAsLiteral = (text: string) => /^\s*(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null|".*")\s*$/.test(text);

/** The text of one value: a JSON number, true, false, null or a quoted string when it reads as one, else the text as is. */
export function parseLiteral(text: string): unknown {
  const t = text.trim();
  if (readsAsLiteral(t)) {
    try { return JSON.parse(t); } catch { /* an unterminated quote: text */ }
  }
  return t;
}

/** Splits "a, b, \"c, d\"" into its items (commas inside quotes do not split). */
export function splitList(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    // Inside quotes a backslash escapes the next character (JSON's rule), so \" does not close them.
    if (quoted && c === '\\' && i + 1 < text.length) { current += c + text[++i]; continue; }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) { items.push(current); current = ''; } else current += c;
  }
  items.push(current);
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** The API's JSON for a condition. Values are typed by the operator; a value of the wrong type goes as typed, for the API to name. */
export function toJson(c: Condition): unknown {
  let json: unknown;
  if (c.kind === 'comparison') {
    const base: Record<string, unknown> = { field: c.field.trim(), operator: c.operator };
    if (c.operator === 'exists') { if (c.value.trim() === 'false') base.value = false; }
    else if (c.operator === 'in' || c.operator === 'not_in') base.value = splitList(c.value).map(parseLiteral);
    else if (c.operator === 'regex' || c.operator === 'starts_with') base.value = c.value;
    else base.value = parseLiteral(c.value);
    json = base;
  } else {
    json = { [c.kind]: c.items.map(toJson) };
  }
  return c.not ? { not: json } : json;
}

/**
 * The builder's tree for the API's JSON, or why it cannot be drawn (then the JSON mode is the only one). A bare
 * comparison or a "not" at the top comes back inside an "all" group of one, which means the same.
 */
export function fromJson(json: unknown): { condition: Group } | { error: string } {
  const read = (j: unknown, depth: number): Condition | string => {
    if (depth > MAX_BUILDER_DEPTH) return `nests deeper than ${MAX_BUILDER_DEPTH} levels`;
    if (!isObject(j)) return 'holds something that is not a condition object';
    const keys = Object.keys(j);
    if (keys.length === 1 && (keys[0] === 'all' || keys[0] === 'any')) {
      const list = j[keys[0]];
      if (!Array.isArray(list)) return `has an "${keys[0]}" that is not a list`;
      const items: Condition[] = [];
      for (const item of list) {
        const c = read(item, depth + 1);
        if (typeof c === 'string') return c;
        items.push(c);
      }
      return group(keys[0], items);
    }
    if (keys.length === 1 && keys[0] === 'not') {
      const inner = read(j.not, depth + 1);
      if (typeof inner === 'string') return inner;
      return { ...inner, not: !inner.not };
    }
    if (keys.some((k) => k !== 'field' && k !== 'operator' && k !== 'value')) return `has a key the builder does not know (${keys.join(', ')})`;
    if (typeof j.field !== 'string' || typeof j.operator !== 'string') return 'has a comparison without a text field and operator';
    if (isObject(j.value) || Array.isArray(j.value) && !(j.operator === 'in' || j.operator === 'not_in') || Array.isArray(j.value) && j.value.some((v) => isObject(v) || Array.isArray(v)))
      return `compares ${j.field} with a structured value`;
    return { kind: 'comparison', not: false, field: j.field, operator: j.operator, value: valueText(j.value, j.operator) };
  };
  const root = read(json, 0);
  if (typeof root === 'string') return { error: `These conditions cannot be drawn in the builder: it ${root}. Edit them as JSON.` };
  return { condition: root.kind === 'comparison' || root.not ? group('all', [root]) : root };
}

/**
 * The API's JSON path of every node of the tree as toJson writes it ("$.conditions.all[0]", "$.conditions.all[1].not"),
 * so an error the API names by path lands on its row. Keyed by node identity.
 */
export function paths(root: Condition, base = '$.conditions'): Map<Condition, string> {
  const out = new Map<Condition, string>();
  const walk = (c: Condition, path: string) => {
    const own = c.not ? `${path}.not` : path;
    out.set(c, own);
    if (c.kind !== 'comparison') c.items.forEach((item, i) => walk(item, `${own}.${c.kind}[${i}]`));
  };
  walk(root, base);
  return out;
}

/** The node an API error path belongs to: the deepest node whose path is a prefix of it (".field", ".value" and so on below). */
export function nodeForPath(index: Map<Condition, string>, errorPath: string): Condition | undefined {
  let best: Condition | undefined;
  let bestLength = -1;
  for (const [node, path] of index)
    if ((errorPath === path || errorPath.startsWith(`${path}.`) || errorPath.startsWith(`${path}[`)) && path.length > bestLength) { best = node; bestLength = path.length; }
  return best;
}

/** The tree with `target` replaced by `next` (or removed when next is null); the rest shared. */
export function replace(root: Group, target: Condition, next: Condition | null): Group {
  const walk = (c: Condition): Condition | null => {
    if (c === target) return next;
    if (c.kind === 'comparison') return c;
    const items = c.items.map(walk).filter((x): x is Condition => x !== null);
    return items.length === c.items.length && items.every((x, i) => x === c.items[i]) ? c : { ...c, items };
  };
  return (walk(root) as Group | null) ?? group();
}

/** Depth of a node below the root (root 0): the builder stops offering "Add group" at MAX_BUILDER_DEPTH. */
export function depthOf(root: Condition, target: Condition): number {
  const walk = (c: Condition, d: number): number => {
    if (c === target) return d;
    if (c.kind === 'comparison') return -1;
    for (const item of c.items) { const found = walk(item, d + 1); if (found >= 0) return found; }
    return -1;
  };
  return walk(root, 0);
}
