// Building DOM without a framework: h('button', { class: 'btn', onclick }, 'Save'). Text goes in as text nodes and
// attributes as attributes (never innerHTML), which keeps the strict CSP and makes data unable to become markup.

export type Child = Node | string | number | null | undefined | false | readonly Child[];
export type Props = Record<string, unknown>;

/** Set as DOM properties rather than attributes (their attribute only sets the initial state). */
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'readOnly', 'selected', 'hidden', 'open', 'tabIndex', 'indeterminate']);

/** Children may be strings, numbers, nodes, arrays, null or false (skipped). `on…` props with functions are listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value as EventListener);
    else if (PROPERTIES.has(key)) (el as unknown as Record<string, unknown>)[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Replaces an element's children (skipping null/false, unlike replaceChildren, which would print "null"). */
export function setChildren<E extends Element>(parent: E, ...children: Child[]): E {
  parent.replaceChildren();
  return append(parent, children);
}

export function append<E extends Element>(parent: E, children: readonly Child[]): E {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

let idCounter = 0;
/** An id unique in the document (labels, aria-labelledby), shared by every page so that two never collide. */
export const nextId = (prefix: string): string => `${prefix}-${++idCounter}`;

/**
 * Keeps keyboard focus on the "same" control when a refresh redraws a region: controls name themselves with
 * data-focus (e.g. "edit:<id>"), which survives the redraw when the elements do not.
 */
export function withFocusKept(region: Element, redraw: () => void): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && region.contains(active) ? active.dataset.focus : undefined;
  redraw();
  if (key) focusTarget(region, key)?.focus();
}

/** The control in a region that names itself `key` with data-focus. */
export function focusTarget(region: Element, key: string): HTMLElement | null {
  return [...region.querySelectorAll<HTMLElement>('[data-focus]')].find((el) => el.dataset.focus === key) ?? null;
}

/** Saves a downloaded Blob under a name, through a temporary object URL. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
