// Table cells labelled for the stacked (card) layout of small screens: the CSS shows data-label before each value.
import { h, type Child } from '../lib/dom';

export function cell(label: string, ...content: Child[]): HTMLTableCellElement {
  return h('td', { 'data-label': label }, h('div', { class: 'cell' }, content));
}

export function numCell(label: string, ...content: Child[]): HTMLTableCellElement {
  return h('td', { 'data-label': label, class: 'num' }, h('div', { class: 'cell' }, content));
}

/** The row's buttons; an empty cell when there are none (the caller may not change anything). */
export function actionsCell(...content: Child[]): HTMLTableCellElement {
  return h('td', { 'data-label': 'Actions', class: 'actions-col' }, content.some(Boolean) ? h('div', { class: 'cell' }, content) : null);
}
