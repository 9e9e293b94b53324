// Toasts: short confirmations and failures of actions, in the shell's #toasts region (a polite live region).
import { ApiError, SessionEnded } from '../api/errors';
import { h } from '../lib/dom';
import { reportForbidden } from '../lib/forbidden';

export function toast(message: string, kind: 'success' | 'info' | 'warning' | 'error' = 'success'): void {
  const host = document.getElementById('toasts');
  if (!host) return;
  const el = h('div', { class: `toast ${kind}` }, message);
  host.append(el);
  setTimeout(() => el.classList.add('leaving'), 4500);
  setTimeout(() => el.remove(), 5000);
}

/** Row actions' failures: a toast, and a fresh look at the role after a 403. */
export function actionFailed(what: string, error: unknown): void {
  if (error instanceof SessionEnded) return;
  if (error instanceof ApiError && error.status === 403) reportForbidden();
  const detail = error instanceof ApiError ? error.detail : 'Something went wrong in the dashboard.';
  toast(`${what}: ${detail}`, 'error');
}
