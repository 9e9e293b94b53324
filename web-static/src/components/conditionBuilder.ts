// The policy conditions editor: a visual builder (groups of "all" / "any", comparisons, "not" on any of them) and a
// JSON mode, switchable both ways. The API's errors come back by JSON path and are shown on the row they belong to
// (lib/conditions.ts maps paths to rows); conditions the builder cannot draw stay in the JSON mode, saying why.
import { canonicalJson } from '../lib/diff';
import {
  comparison, depthOf, FIELD_SUGGESTIONS, fromJson, group, MAX_BUILDER_DEPTH, nodeForPath, OPERATORS, paths, replace, toJson,
  type Comparison, type Condition, type Group,
} from '../lib/conditions';
import { h, setChildren } from '../lib/dom';

export interface ConditionEditor {
  element: HTMLElement;
  /** The conditions to send, or why they cannot be read (JSON mode only: the builder always yields JSON). */
  read(): { value: unknown } | { error: string };
  /** Shows "path: message" errors: on their rows in the builder, listed under the text in the JSON mode. */
  showErrors(errors: readonly { path: string; message: string }[]): void;
  clearErrors(): void;
}

let editors = 0;

export function conditionEditor(initial: unknown): ConditionEditor {
  const uid = `cond-${++editors}`;
  const drawn = fromJson(initial);
  let root: Group = 'condition' in drawn ? drawn.condition : group();
  let mode: 'builder' | 'json' = 'condition' in drawn ? 'builder' : 'json';
  let rowErrors = new Map<Condition, string[]>();
  /** Whether the person changed anything in the builder (or came from the JSON mode). */
  let touched = false;

  const fields = h('datalist', { id: `${uid}-fields` }, FIELD_SUGGESTIONS.map((f) => h('option', { value: f })));
  const builder = h('div', { class: 'cond-builder', role: 'group', 'aria-label': 'Conditions' });
  const text = h('textarea', { id: `${uid}-json`, rows: 12, spellcheck: 'false', class: 'mono', 'aria-label': 'Conditions as JSON', 'aria-describedby': `${uid}-errors` },
    canonicalJson(initial ?? { all: [] }));
  const listed = h('ul', { id: `${uid}-errors`, class: 'path-errors', role: 'alert', hidden: true });
  const note = h('p', { class: 'muted small', role: 'status' });
  const builderTab = h('button', { type: 'button', class: 'segment', onclick: () => switchTo('builder') }, 'Builder');
  const jsonTab = h('button', { type: 'button', class: 'segment', onclick: () => switchTo('json') }, 'JSON');
  const hint = h('p', { class: 'hint' },
    'Numbers, true, false and null are read as such; put text that looks like one in quotes ("10"). Lists (is one of): comma-separated.');
  const element = h('div', { class: 'field cond-editor' },
    h('div', { class: 'cond-head' }, h('span', { class: 'cond-title' }, 'Conditions'),
      h('div', { class: 'time-picker', role: 'group', 'aria-label': 'Edit conditions as' }, builderTab, jsonTab)),
    fields, builder, hint, text, note, listed);

  function switchTo(next: 'builder' | 'json'): void {
    if (next === mode) return;
    note.textContent = '';
    if (next === 'json') text.value = canonicalJson(toJson(root));
    else {
      let parsed: unknown;
      try { parsed = JSON.parse(text.value); } catch (e) { note.textContent = `Not JSON, so the builder cannot read it: ${e instanceof Error ? e.message : e}`; return; }
      const r = fromJson(parsed);
      if ('error' in r) { note.textContent = r.error; return; }
      root = r.condition;
      touched = true;
    }
    mode = next;
    clearErrors();
    sync();
  }

  function sync(): void {
    builderTab.setAttribute('aria-pressed', String(mode === 'builder'));
    jsonTab.setAttribute('aria-pressed', String(mode === 'json'));
    builder.hidden = hint.hidden = mode !== 'builder';
    text.hidden = mode !== 'json';
    if (mode === 'builder') draw();
  }

  /** Structural changes give a new tree (lib/conditions replace); typing edits a comparison in place (no redraw, focus kept). */
  function change(target: Condition, next: Condition | null): void {
    touched = true;
    root = target === root ? (next as Group) : replace(root, target, next);
    rowErrors = new Map();
    draw();
  }

  function draw(): void {
    setChildren(builder, groupEl(root, true));
  }

  function errorsOf(c: Condition): HTMLElement | null {
    const messages = rowErrors.get(c);
    return messages?.length ? h('ul', { class: 'path-errors', role: 'alert' }, messages.map((m) => h('li', {}, m))) : null;
  }

  function notToggle(c: Condition): HTMLElement {
    return h('label', { class: 'checkbox cond-not', title: 'Negate: holds when this does not' },
      h('input', { type: 'checkbox', checked: c.not, onchange: (e: Event) => change(c, { ...c, not: (e.target as HTMLInputElement).checked }) }), ' Not');
  }

  function groupEl(g: Group, isRoot: boolean): HTMLElement {
    const kind = h('select', { 'aria-label': 'Match', class: 'cond-kind', onchange: () => change(g, { ...g, kind: kind.value as Group['kind'] }) },
      h('option', { value: 'all', selected: g.kind === 'all' }, 'All of these hold'), h('option', { value: 'any', selected: g.kind === 'any' }, 'Any of these holds'));
    const deep = depthOf(root, g) + 1 >= MAX_BUILDER_DEPTH;
    return h('div', { class: `cond-group${isRoot ? ' root' : ''}${g.not ? ' negated' : ''}` },
      h('div', { class: 'cond-row' }, isRoot && !g.not ? null : notToggle(g), kind,
        isRoot ? null : h('button', { type: 'button', class: 'btn ghost small', 'aria-label': 'Remove group', onclick: () => change(g, null) }, 'Remove group')),
      errorsOf(g),
      g.items.length
        ? h('ol', { class: 'cond-items' }, g.items.map((item) => h('li', {}, item.kind === 'comparison' ? comparisonEl(item) : groupEl(item, false))))
        : h('p', { class: 'muted small cond-empty' }, g.kind === 'all' ? 'No conditions: holds for every check.' : 'No conditions: never holds.'),
      h('div', { class: 'cond-add' },
        h('button', { type: 'button', class: 'btn secondary small', onclick: () => change(g, { ...g, items: [...g.items, comparison()] }) }, '+ Condition'),
        deep ? null : h('button', { type: 'button', class: 'btn ghost small', onclick: () => change(g, { ...g, items: [...g.items, group(g.kind === 'all' ? 'any' : 'all', [comparison()])] }) }, '+ Group')));
  }

  function comparisonEl(c: Comparison): HTMLElement {
    const field = h('input', { type: 'text', class: 'mono', 'aria-label': 'Field', list: `${uid}-fields`, value: c.field, placeholder: 'action.type', maxlength: 700,
      oninput: () => { c.field = field.value; touched = true; } });
    const operator = h('select', { 'aria-label': 'Operator', onchange: () => change(c, { ...c, operator: operator.value, value: operator.value === 'exists' ? '' : c.value }) },
      OPERATORS.map(([value, label]) => h('option', { value, selected: value === c.operator }, label)),
      OPERATORS.some(([value]) => value === c.operator) ? null : h('option', { value: c.operator, selected: true }, c.operator));
    const value = c.operator === 'exists'
      ? h('select', { 'aria-label': 'Value', onchange: (e: Event) => { c.value = (e.target as HTMLSelectElement).value; touched = true; } },
        h('option', { value: '', selected: c.value !== 'false' }, 'is present'), h('option', { value: 'false', selected: c.value === 'false' }, 'is absent'))
      : h('input', { type: 'text', 'aria-label': 'Value', value: c.value, placeholder: c.operator === 'in' || c.operator === 'not_in' ? 'a, b, c' : 'value', maxlength: 10000,
        oninput: (e: Event) => { c.value = (e.target as HTMLInputElement).value; touched = true; } });
    return h('div', { class: `cond-comparison${c.not ? ' negated' : ''}` },
      h('div', { class: 'cond-row' }, notToggle(c), field, operator, value,
        h('button', { type: 'button', class: 'btn ghost small icon', 'aria-label': 'Remove condition', title: 'Remove condition', onclick: () => change(c, null) }, '×')),
      errorsOf(c));
  }

  function clearErrors(): void {
    rowErrors = new Map();
    listed.hidden = true;
    setChildren(listed);
    if (mode === 'builder') draw();
  }

  function showErrors(errors: readonly { path: string; message: string }[]): void {
    rowErrors = new Map();
    const unplaced: string[] = [];
    const index = mode === 'builder' ? paths(root) : new Map<Condition, string>();
    for (const e of errors) {
      const node = nodeForPath(index, e.path);
      if (!node) { unplaced.push(`${e.path}: ${e.message}`); continue; }
      const own = index.get(node)!;
      const rest = e.path.slice(own.length).replace(/^\./, '');
      rowErrors.set(node, [...(rowErrors.get(node) ?? []), rest ? `${rest}: ${e.message}` : e.message]);
    }
    setChildren(listed, unplaced.map((u) => h('li', {}, u)));
    listed.hidden = unplaced.length === 0;
    if (mode === 'builder') draw();
    (element.querySelector<HTMLElement>('.path-errors:not([hidden])')?.closest('.cond-comparison, .cond-group')?.querySelector<HTMLElement>('input, select')
      ?? (mode === 'json' ? text : null))?.focus();
  }

  function read(): { value: unknown } | { error: string } {
    // Untouched conditions go back as they came: the builder's form of them means the same but would read as a change
    // in the policy's history (a bare comparison wrapped in "all", a double "not" dropped).
    if (mode === 'builder') return { value: touched ? toJson(root) : initial };
    try {
      return { value: JSON.parse(text.value) };
    } catch (e) {
      return { error: jsonError(text.value, e) };
    }
  }

  sync();
  if ('error' in drawn) note.textContent = drawn.error;
  return { element, read, showErrors, clearErrors };
}

/** Where the text stops being JSON: line and column (engines give the position in the message). */
export function jsonError(text: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const position = /position (\d+)/.exec(message);
  if (!position) return `Not JSON: ${message}`;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  return `Not JSON at line ${line}, column ${before.length - before.lastIndexOf('\n')}: ${message.replace(/ in JSON at position \d+.*$/, '')}`;
}
