// The states a page or panel shows: loading, failed (with a retry), empty; the page header; badges.
import { ApiError, SessionEnded } from '../api/errors';
import { append, h, type Child } from '../lib/dom';

export function badge(label: string, kind = 'neutral', title: string | null = null): HTMLSpanElement {
  return h('span', { class: `badge ${kind}`, title }, label);
}

export function loadingPanel(label: string): HTMLDivElement {
  return h('div', { class: 'panel-state', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), label);
}

/**
 * Why something could not be loaded, with a retry. A 403 says so (and calls onForbidden: the role may have changed);
 * a session that ended shows nothing (the app is already on the sign-in page).
 */
export function errorPanel(error: unknown, retry: (() => void) | null, onForbidden: () => void = () => {}): HTMLDivElement {
  const box = h('div', { class: 'panel-state error' });
  if (error instanceof SessionEnded) return box;
  if (error instanceof ApiError && error.status === 403) {
    append(box, [h('p', { class: 'strong' }, 'You do not have access to this page.'), h('p', {}, error.detail)]);
    onForbidden();
    return box;
  }
  const detail = error instanceof ApiError ? error.detail : 'Something went wrong in the dashboard.';
  append(box, [
    h('p', { class: 'strong' }, 'Could not load this page.'),
    h('p', {}, detail),
    error instanceof ApiError && error.traceId && error.status >= 500 ? h('p', { class: 'muted' }, `Reference: ${error.traceId}`) : null,
    retry && h('button', { type: 'button', class: 'btn secondary', onclick: retry }, 'Try again'),
  ]);
  return box;
}

export function pageHeader(title: string, description: string | null, actions: Child = null): HTMLDivElement {
  return h('div', { class: 'page-header' },
    h('div', {},
      h('h1', { id: 'page-title', tabindex: '-1' }, title),
      description && h('p', { class: 'page-desc' }, description)),
    h('div', { class: 'page-actions' }, actions));
}

export function emptyState(title: string, text: string | null, action: Child = null): HTMLDivElement {
  return h('div', { class: 'panel-state empty' }, h('p', { class: 'strong' }, title), text && h('p', {}, text), action);
}
