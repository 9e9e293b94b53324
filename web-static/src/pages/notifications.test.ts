import { describe, expect, it } from 'vitest';
import { noticeCountText, noticeFiltersOf, noticeKindLabel, noticeParams, noticeQuery, noticesHash, noticeTarget, severityOf } from './notifications';

describe('notification filters', () => {
  it('reads the URL, empty when absent', () => {
    expect(noticeFiltersOf(new URLSearchParams('unread=true&kind=budget.threshold'))).toEqual({ unread: 'true', kind: 'budget.threshold', severity: '' });
    expect(noticeFiltersOf(new URLSearchParams(''))).toEqual({ unread: '', kind: '', severity: '' });
  });

  it('writes the hash in the page order, leaving out empty filters', () => {
    expect(noticesHash({ unread: '', kind: '', severity: '' })).toBe('#/notifications');
    expect(noticesHash({ severity: 'critical', kind: 'approval.requested', unread: 'false' })).toBe('#/notifications?unread=false&kind=approval.requested&severity=critical');
    expect(noticeParams({ unread: '', kind: 'x', severity: '' }).toString()).toBe('kind=x');
  });

  it('sends unread as a boolean', () => {
    expect(noticeQuery({ unread: 'true', kind: '', severity: '' })).toEqual({ unread: true });
    expect(noticeQuery({ unread: 'false', kind: 'k', severity: 'info' })).toEqual({ unread: false, kind: 'k', severity: 'info' });
    expect(noticeQuery({ unread: 'maybe', kind: '', severity: '' })).toEqual({});
  });
});

describe('notification display', () => {
  it('labels kinds and severities, unknown ones as they are', () => {
    expect(noticeKindLabel('budget.auto_paused')).toBe('Budget paused agents');
    expect(noticeKindLabel('other.kind')).toBe('other.kind');
    expect(severityOf('critical')).toEqual({ label: 'Critical', glyph: '!!', kind: 'danger' });
    expect(severityOf('odd')).toEqual({ label: 'odd', glyph: '?', kind: 'neutral' });
  });

  it('links to the page of the entity, webhooks only for those who manage them', () => {
    const none = (): boolean => false;
    expect(noticeTarget('budget', none)).toEqual({ href: '#/budgets', label: 'Open budgets' });
    expect(noticeTarget('webhook', none)).toBeNull();
    expect(noticeTarget('webhook', (p) => p === 'webhooks_manage')).toEqual({ href: '#/webhooks', label: 'Open webhooks' });
    expect(noticeTarget(null, none)).toBeNull();
    expect(noticeTarget('run', none)).toBeNull();
  });

  it('counts those shown and unread', () => {
    expect(noticeCountText([], true)).toBe('');
    expect(noticeCountText([{ read: false }, { read: true }, { read: null }], false)).toBe('3 notifications shown · 1 unread');
    expect(noticeCountText([{ read: true }], true)).toBe('1 notification shown, more below');
  });
});
