import { describe, expect, it } from 'vitest';
import { mergeReread, rereadLimit } from './pagedList';

const rows = (...ids: string[]) => ids.map((id) => ({ id }));
const idOf = (r: { id: string }) => r.id;

describe('a paged list’s live re-read', () => {
  it('asks for the rows shown, at least a page, at most the largest page', () => {
    expect(rereadLimit(3, 50, 200)).toBe(50);
    expect(rereadLimit(120, 50, 200)).toBe(120);
    expect(rereadLimit(500, 50, 200)).toBe(200);
  });

  it('replaces the rows shown and names the new ones', () => {
    const { next, added, cursorApplies } = mergeReread(rows('b', 'a'), { items: rows('c', 'b'), next_cursor: 'x' }, 2, idOf);
    expect(next.map(idOf)).toEqual(['c', 'b']);
    expect(added.map(idOf)).toEqual(['c']);
    expect(cursorApplies).toBe(true);
  });

  it('keeps rows loaded below the re-read, once each', () => {
    const { next, cursorApplies } = mergeReread(rows('c', 'b', 'a'), { items: rows('d', 'c'), next_cursor: 'x' }, 2, idOf);
    expect(next.map(idOf)).toEqual(['d', 'c', 'a']);
    expect(cursorApplies).toBe(false);
  });
});
