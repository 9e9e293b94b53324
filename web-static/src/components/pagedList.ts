// The paging of a filtered list view (agents, audit log, notifications, jobs, orchestrations); the view keeps its rows
// and draws them. load() reads the first page, or with append the page after the cursor ("Load more", leaving out rows
// already shown). Meanwhile the rows shown stay, dimmed (or a loading panel shows), and "Load more" is disabled. A
// newer load wins over an older one still in flight. A 400/422 (the filters) is shown at the filters over an empty
// list; any other failure offers a retry in place of the list.
import { ApiError } from '../api/errors';
import type { Page } from '../api/paging';
import { h, setChildren } from '../lib/dom';
import { clearProblem, showProblem } from './forms';
import { emptyState, errorPanel, loadingPanel } from './panels';

export interface PagedListOptions<T> {
  ctx: { alive(): boolean; onForbidden(): void };
  list: HTMLElement;
  more: HTMLElement;
  filters: HTMLElement;
  loadingText: string;
  rejectedText: string;
  /** The API call (cursor null for the first page). */
  fetchPage(cursor: string | null): Promise<Page<T>>;
  /** The rows shown. */
  shown(): readonly T[];
  idOf(row: T): string;
  /** The rows to show now. */
  onPage(rows: T[]): void;
  /** The filters were refused: the view empties what it keeps. */
  onRejected?(): void;
  /** Before each load. */
  onStart?(append: boolean): void;
}

export interface PagedList<T> {
  cursor: string | null;
  /** Counts loads: a read that started before the latest load is stale. */
  token: number;
  load(options?: { append?: boolean }): Promise<void>;
  /** "Load more", while there is more. */
  drawMore(label?: string): void;
  /**
   * Reads the rows shown again (up to `max`, the API's largest page, and at least a page): null when a load started
   * meanwhile (its answer wins). Throws what the read throws.
   */
  reread(read: (limit: number) => Promise<Page<T>>, sizes: { pageSize: number; max: number }): Promise<{ next: T[]; added: T[] } | null>;
}

/** How many rows a live re-read asks for: those shown, at least a page, at most the API's largest page. */
export const rereadLimit = (shown: number, pageSize: number, max: number): number => Math.min(max, Math.max(pageSize, shown));

/**
 * A re-read of the first `max` rows replaces those shown, and rows shown below `max` (loaded with "Load more") stay.
 * Answers the rows to show, those new since the last look, and whether the page's cursor still applies.
 */
export function mergeReread<T>(shown: readonly T[], page: Page<T>, max: number, idOf: (row: T) => string): { next: T[]; added: T[]; cursorApplies: boolean } {
  const known = new Set(shown.map(idOf));
  const added = page.items.filter((x) => !known.has(idOf(x)));
  if (shown.length <= max) return { next: page.items, added, cursorApplies: true };
  const seen = new Set(page.items.map(idOf));
  return { next: [...page.items, ...shown.slice(max).filter((x) => !seen.has(idOf(x)))], added, cursorApplies: false };
}

export function pagedList<T>(o: PagedListOptions<T>): PagedList<T> {
  const pager: PagedList<T> = {
    cursor: null,
    token: 0,
    async load({ append = false } = {}) {
      const token = ++pager.token;
      o.onStart?.(append);
      if (!append) {
        if (o.list.querySelector('table, ul')) o.list.setAttribute('aria-busy', 'true'); else setChildren(o.list, loadingPanel(o.loadingText));
      }
      const button = o.more.querySelector('button');
      if (button) button.disabled = true;
      try {
        const page = await o.fetchPage(append ? pager.cursor : null);
        if (!o.ctx.alive() || token !== pager.token) return;
        o.list.removeAttribute('aria-busy');
        clearProblem(o.filters);
        pager.cursor = page.next_cursor;
        const known = new Set(o.shown().map(o.idOf));
        o.onPage(append ? [...o.shown(), ...page.items.filter((x) => !known.has(o.idOf(x)))] : page.items);
      } catch (e) {
        if (!o.ctx.alive() || token !== pager.token) return;
        o.list.removeAttribute('aria-busy');
        if (button) button.disabled = false;
        if (e instanceof ApiError && (e.status === 422 || e.status === 400)) {
          pager.cursor = null;
          o.onRejected?.();
          setChildren(o.more);
          showProblem(o.filters, e);
          setChildren(o.list, emptyState('Check the filters.', o.rejectedText));
          return;
        }
        setChildren(o.list, errorPanel(e, () => void pager.load({ append }), o.ctx.onForbidden));
      }
    },
    drawMore(label = 'Load more') {
      setChildren(o.more, pager.cursor ? h('button', { type: 'button', class: 'btn secondary', onclick: () => void pager.load({ append: true }) }, label) : null);
    },
    async reread(read, { pageSize, max }) {
      const token = pager.token;
      const page = await read(rereadLimit(o.shown().length, pageSize, max));
      if (!o.ctx.alive() || token !== pager.token) return null;
      const { next, added, cursorApplies } = mergeReread(o.shown(), page, max, o.idOf);
      if (cursorApplies) pager.cursor = page.next_cursor;
      return { next, added };
    },
  };
  return pager;
}
