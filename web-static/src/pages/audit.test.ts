import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import { auditFilters, auditHref, auditTime, changedKeys, csvName, diffSummary, entityName, filterQuery, isoToLocalInput, snapshotLines, verdictText } from './audit';

const verdict = (v: Partial<Schemas['Verdict']>): Schemas['Verdict'] => ({ intact: true, rows: 0, broken_at: null, reason: null, head_hash: null, ...v });

describe('the audit log', () => {
  it('reads its filters from the URL and writes them back in the same order, empty ones left out', () => {
    const f = auditFilters(new URLSearchParams('to=2025-06-02T00%3A00%3A00.000Z&action=member.*&junk=1'));
    expect(f).toEqual({ actor: '', action: 'member.*', entity_type: '', entity_id: '', from: '', to: '2025-06-02T00:00:00.000Z' });
    expect(filterQuery(f)).toEqual({ action: 'member.*', to: '2025-06-02T00:00:00.000Z' });
    expect(auditHref(f)).toBe('#/audit?action=member.*&to=2025-06-02T00%3A00%3A00.000Z');
    expect(auditHref(auditFilters(new URLSearchParams()))).toBe('#/audit');
  });

  it('shows a time from the URL in the date input, and nothing for one that is not a time', () => {
    expect(isoToLocalInput('')).toBe('');
    expect(isoToLocalInput('yesterday')).toBe('');
    expect(isoToLocalInput(new Date(2025, 5, 1, 9, 5).toISOString())).toBe('2025-06-01T09:05');
  });

  it('marks the top-level keys a change touched, and none when a side is missing', () => {
    expect([...changedKeys({ a: 1, b: [1], c: 'x' }, { a: 2, b: [1], d: true })]).toEqual(['a', 'c', 'd']);
    expect(changedKeys(null, { a: 1 }).size).toBe(0);
    expect(changedKeys([1], [2]).size).toBe(0);
  });

  it('says what a row did', () => {
    expect(diffSummary(null, null, new Set())).toBe('No snapshot: the action changes no stored state.');
    expect(diffSummary(null, { a: 1 }, new Set())).toBe('Created: there is no state before.');
    expect(diffSummary({ a: 1 }, null, new Set())).toBe('Removed: there is no state after.');
    expect(diffSummary({ a: 1 }, { a: 2 }, new Set(['a']))).toBe('Changed: a.');
    expect(diffSummary({ a: 1 }, { a: 1 }, new Set())).toBe('No top-level value changed.');
  });

  it('prints a snapshot one key a line, nested values indented, the changed keys named', () => {
    expect(snapshotLines({ a: 1, b: { c: 2 } }, new Set(['b']))).toEqual([
      { text: '{', changed: null },
      { text: '  "a": 1,', changed: null },
      { text: '  "b": {\n    "c": 2\n  }', changed: 'b' },
      { text: '}', changed: null },
    ]);
    expect(snapshotLines([1, 2], new Set())).toBeNull();
  });

  it('names the entity by the snapshot after, else before; by name, else email', () => {
    expect(entityName({ before: { name: 'old' }, after: { name: 'new' } })).toBe('new');
    expect(entityName({ before: { email: 'a@b' }, after: null })).toBe('a@b');
    expect(entityName({ before: null, after: { name: '', id: 1 } })).toBeNull();
    expect(entityName({ before: null, after: null })).toBeNull();
  });

  it('words the verdict', () => {
    expect(verdictText(verdict({ rows: 5, head_hash: 'h' }), '2:00 PM')).toEqual({
      title: 'Chain intact', text: 'All 5 rows verified at 2:00 PM: each row’s hash matches its content and links to the row before it, with no gap.',
    });
    expect(verdictText(verdict({}), '2:00 PM').title).toBe('Nothing to verify yet');
    expect(verdictText(verdict({ intact: false, rows: 5, broken_at: 3 }), '2:00 PM')).toEqual({
      title: 'Chain broken at row 3', text: 'Rows 1 to 2 link up correctly; verification stopped at row 3 (checked at 2:00 PM).',
    });
    expect(verdictText(verdict({ intact: false, broken_at: 1 }), '2:00 PM').text).toBe('Verification stopped at the first row (checked at 2:00 PM).');
  });

  it('shows the year only when it is not this one, and names a CSV by its time', () => {
    const now = new Date(2025, 5, 2, 12);
    expect(auditTime(new Date(2025, 0, 3, 4, 5, 6).toISOString(), now)).not.toContain('2025');
    expect(auditTime(new Date(2024, 0, 3, 4, 5, 6).toISOString(), now)).toContain('2024');
    expect(csvName(new Date(Date.UTC(2025, 5, 2, 12, 3, 4)))).toBe('audit-20250602-120304.csv');
  });
});
