import { describe, expect, it } from 'vitest';
import { readAll, type Page } from './paging';

/** A list of `total` numbers served `size` at a time, recording the cursors asked for. */
function pages(total: number, size: number) {
  const asked: (string | null)[] = [];
  const page = async (cursor: string | null): Promise<Page<number>> => {
    asked.push(cursor);
    const start = cursor ? Number(cursor) : 0;
    const items = Array.from({ length: Math.min(size, total - start) }, (_, i) => start + i);
    return { items, next_cursor: start + size < total ? String(start + size) : null };
  };
  return { asked, page };
}

describe('reading a list whole', () => {
  it('follows the cursor to the last page', async () => {
    const list = pages(5, 2);
    expect(await readAll(list.page)).toEqual({ items: [0, 1, 2, 3, 4], truncated: false });
    expect(list.asked).toEqual([null, '2', '4']);
  });

  it('stops at the limit and says there is more', async () => {
    const list = pages(10, 3);
    expect(await readAll(list.page, 5)).toEqual({ items: [0, 1, 2, 3, 4, 5], truncated: true });
  });
});
