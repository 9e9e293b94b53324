// Global keyboard shortcuts on the signed-in pages (the decision: lib/shortcuts.ts): "/" to search, "g" then a letter
// to go to a page, "?" for the list. A page's own keys (PageContext.keys) get what no shortcut took.
import { openDialog } from '../components/dialog';
import { h } from '../lib/dom';
import { GO_KEYS, shortcutFor } from '../lib/shortcuts';

export interface KeyTargets {
  /** The shell is shown (the shortcuts are off on the sign-in pages). */
  active(): boolean;
  /** The keys of the page shown, if it registered any. */
  pageKeys(): ((key: string) => boolean) | null;
  go(path: string): void;
}

export function installShortcuts(targets: KeyTargets): void {
  /** When "g" was pressed, while its second key may follow. */
  let gPressedAt: number | null = null;
  document.addEventListener('keydown', (event) => {
    if (!targets.active() || document.querySelector('dialog[open]')) return;
    const el = document.activeElement;
    const typing = el instanceof HTMLElement && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
    const shortcut = shortcutFor({ key: event.key, ctrlKey: event.ctrlKey, altKey: event.altKey, metaKey: event.metaKey, typing }, gPressedAt, Date.now());
    const wasPending = gPressedAt !== null;
    gPressedAt = shortcut?.kind === 'pending' ? Date.now() : null;
    const pageKeys = targets.pageKeys();
    if (!shortcut && !wasPending && !typing && !event.ctrlKey && !event.altKey && !event.metaKey && pageKeys) {
      if (pageKeys(event.key)) event.preventDefault();
      return;
    }
    if (!shortcut || shortcut.kind === 'pending') return;
    event.preventDefault();
    if (shortcut.kind === 'go') targets.go(shortcut.path);
    else if (shortcut.kind === 'search') document.querySelector<HTMLElement>('#main input[type=search]')?.focus();
    else showShortcuts();
  });
}

function showShortcuts(): void {
  openDialog({
    title: 'Keyboard shortcuts',
    content: h('dl', { class: 'details shortcuts' },
      h('dt', {}, h('kbd', {}, '/')), h('dd', {}, 'Search on this page'),
      h('dt', {}, h('kbd', {}, '?')), h('dd', {}, 'This list'),
      h('dt', {}, h('kbd', {}, 'j'), ' ', h('kbd', {}, 'k')), h('dd', {}, 'On a run: next and previous event'),
      h('dt', {}, h('kbd', {}, 'h'), ' ', h('kbd', {}, 'l')), h('dd', {}, 'On a run: collapse and expand the selected event'),
      h('dt', {}, h('kbd', {}, 'e')), h('dd', {}, 'On a run: the first error'),
      Object.entries(GO_KEYS).map(([key, target]) => [h('dt', {}, h('kbd', {}, 'g'), ' ', h('kbd', {}, key)), h('dd', {}, target.label)])),
  });
}
