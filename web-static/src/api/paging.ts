// Lists read whole: a page at a time through next_cursor, up to a limit (a page names the rest "truncated").

/** The API's largest page. */
export const LIST_PAGE_SIZE = 200;
/** Where a list read whole stops. */
export const LIST_MAX_ITEMS = 5000;

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Follows next_cursor from the first page; `page(cursor)` reads one (cursor null: the first). */
export async function readAll<T>(page: (cursor: string | null) => Promise<Page<T>>, max = LIST_MAX_ITEMS): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const next: Page<T> = await page(cursor);
    items.push(...next.items);
    cursor = next.next_cursor;
  } while (cursor && items.length < max);
  return { items, truncated: !!cursor };
}
