// Modal dialogs (<dialog>: the browser traps focus and Esc closes) and confirmations of destructive actions.
import { ApiError } from '../api/errors';
import { h, nextId, setChildren, type Child } from '../lib/dom';
import { handleSubmit } from './forms';
import { toast } from './toast';

export interface Dialog {
  /** Asked before Esc, × or Cancel close the dialog: false keeps it open (a secret not yet copied). */
  guard: (() => boolean) | null;
  /** The element to focus on closing, when the opener was redrawn meanwhile. */
  returnFocus: (() => HTMLElement | null) | null;
  body: HTMLDivElement;
  /** Closes (through the guard unless forced). */
  close(force?: boolean): void;
  setContent(...nodes: Child[]): void;
  setTitle(title: string): void;
}

let afterLastClose: () => void = () => {};

/** The shell's hook: called when a dialog has closed and none is open any more (it redraws a page it held back). */
export function onDialogsClosed(fn: () => void): void {
  afterLastClose = fn;
}

export function openDialog({ title, content, wide = false, initialFocus = null, onClose = null }: {
  title: string; content: Child; wide?: boolean; initialFocus?: HTMLElement | null; onClose?: (() => void) | null;
}): Dialog {
  const opener = document.activeElement;
  const titleId = nextId('dialog-title');
  const body = h('div', { class: 'modal-body' }, content);
  const heading = h('h2', { id: titleId }, title);
  const ctl: Dialog = {
    guard: null,
    returnFocus: null,
    body,
    close(force = false) {
      if (!force && ctl.guard && !ctl.guard()) return;
      if (dialog.open) dialog.close();
    },
    setContent(...nodes) { setChildren(body, ...nodes); },
    setTitle(t) { heading.textContent = t; },
  };
  const dialog = h('dialog', { class: `modal${wide ? ' wide' : ''}`, 'aria-labelledby': titleId },
    h('div', { class: 'modal-head' },
      heading,
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close dialog', onclick: () => ctl.close() }, '×')),
    body);
  dialog.addEventListener('cancel', (event) => { if (ctl.guard && !ctl.guard()) event.preventDefault(); });
  dialog.addEventListener('close', () => {
    dialog.remove();
    onClose?.();
    const back = ctl.returnFocus?.();
    if (back instanceof HTMLElement && back.isConnected) back.focus();
    else if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    else document.getElementById('page-title')?.focus();
    if (!document.querySelector('dialog[open]')) afterLastClose();
  });
  document.body.append(dialog);
  dialog.showModal();
  (initialFocus ?? body.querySelector<HTMLElement>('input:not([readonly]), select, textarea, button'))?.focus();
  return ctl;
}

/** Returned by a confirmAction action that replaced the dialog's content and keeps it open. */
export const KEEP_OPEN = Symbol('keep-open');

export interface ConfirmOptions {
  title: string;
  message: string;
  details?: Child;
  confirmLabel: string;
  danger?: boolean;
  codePaths?: Record<string, string>;
}

/** Confirmation for a destructive action; the action's failure is shown inside the dialog. */
export function confirmAction({ title, message, details = null, confirmLabel, danger = true, action, codePaths }: ConfirmOptions & {
  action: () => Promise<unknown>;
}): Dialog {
  const cancel = h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel');
  const form = h('form', { class: 'stack' },
    h('p', {}, message),
    details,
    h('div', { class: 'problem-slot' }),
    h('div', { class: 'form-actions' }, cancel, h('button', { type: 'submit', class: `btn ${danger ? 'danger' : 'primary'}` }, confirmLabel)));
  const dialog = openDialog({ title, content: form, initialFocus: cancel });
  handleSubmit(form, async () => {
    if ((await action()) !== KEEP_OPEN) dialog.close(true);
  }, { codePaths });
  return dialog;
}

/**
 * Confirmation, then `remove` (the DELETE). Afterwards toasts `done` and calls `after` (default: `reload`); a 404
 * (someone else deleted it first) reloads and shows the problem in the dialog.
 */
export function confirmDelete({ remove, done, reload, after = reload, ...dialog }: ConfirmOptions & {
  remove: () => Promise<unknown>; done: string; reload: () => void; after?: () => void;
}): void {
  confirmAction({
    ...dialog,
    action: async () => {
      try {
        await remove();
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) reload();
        throw e;
      }
      toast(done);
      after();
    },
  });
}

/**
 * A refusal that means the thing moved on meanwhile (a 409 whose code is in `known`): the message says so plainly,
 * the dialog keeps only its way out (there is nothing to try again). Any other error is returned as it was.
 */
export function explainConflict(e: unknown, dialog: Dialog, known: Record<string, string>): unknown {
  const explanation = e instanceof ApiError ? known[e.code] : undefined;
  if (!(e instanceof ApiError) || !explanation) return e;
  const submit = dialog.body.querySelector<HTMLButtonElement>('[type=submit]');
  if (submit) submit.hidden = true;
  return new ApiError({ ...e, detail: `${e.detail} ${explanation}` });
}
