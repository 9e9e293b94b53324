// A read-only value with a copy button: secrets shown once (keys, invitation links, webhook secrets), ids and hashes.
import { h, nextId } from '../lib/dom';

export interface CopyFieldOptions {
  label: string;
  value: string;
  hint?: string | null;
  secret?: boolean;
  multiline?: boolean;
}

/** The field, with its input (dialogs of secrets focus it, wipe it, and hear its `copied` event). */
export type CopyField = HTMLDivElement & { input: HTMLInputElement | HTMLTextAreaElement };

export function copyField({ label, value, hint = null, secret = false, multiline = false }: CopyFieldOptions): CopyField {
  const id = nextId('copy');
  const input = multiline
    ? h('textarea', { id, readOnly: true, rows: secret ? 2 : 3, class: 'mono', spellcheck: 'false', autocomplete: 'off' })
    : h('input', { id, type: 'text', readOnly: true, class: 'mono', spellcheck: 'false', autocomplete: 'off' });
  input.value = value;
  input.addEventListener('focus', () => input.select());
  const status = h('span', { class: 'copy-status', role: 'status', 'aria-live': 'polite' });
  const button = h('button', {
    type: 'button', class: 'btn secondary', 'aria-label': `Copy ${label.toLowerCase()}`,
    onclick: async () => {
      const ok = await copyText(input);
      status.textContent = ok ? 'Copied to clipboard.' : 'Copy failed: select the text and press Ctrl+C (⌘C).';
      button.textContent = ok ? 'Copied' : 'Copy';
      if (ok) setTimeout(() => { button.textContent = 'Copy'; }, 2500);
      else input.select();
      if (ok) input.dispatchEvent(new CustomEvent('copied'));
    },
  }, 'Copy');
  const wrap = h('div', { class: `field copy-field${secret ? ' secret' : ''}` },
    h('label', { for: id }, label),
    h('div', { class: 'input-with-button' }, input, button),
    hint && h('p', { class: 'hint' }, hint),
    status);
  return Object.assign(wrap, { input });
}

/** The clipboard API where the page may use it (a secure context), else the selection and execCommand. */
async function copyText(input: HTMLInputElement | HTMLTextAreaElement): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(input.value);
      return true;
    }
  } catch { /* fall back to the selection */ }
  try {
    input.focus();
    input.select();
    return document.execCommand('copy');
  } catch {
    return false;
  }
}
