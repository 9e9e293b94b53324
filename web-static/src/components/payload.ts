// Inputs, outputs, results and errors as sent: JSON pretty-printed, in a block that scrolls by keyboard.
import { h } from '../lib/dom';

/** Inputs and outputs arrive as text or as JSON: JSON (objects, arrays) is pretty-printed, anything else shown as sent. */
export function prettyPayload(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value, null, 2) ?? String(value);
  const trimmed = value.trim();
  if (!/^[[{]/.test(trimmed)) return value;
  try { return JSON.stringify(JSON.parse(trimmed), null, 2); } catch { return value; }
}

/** A pre-formatted payload, a labelled region (its label names it for assistive tech and tests). */
export function payloadPre(label: string, value: unknown, { error = false } = {}): HTMLPreElement {
  return h('pre', { class: `payload${error ? ' error' : ''}`, tabindex: '0', role: 'region', 'aria-label': label }, prettyPayload(value));
}
