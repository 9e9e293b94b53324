import { describe, expect, it } from 'vitest';
import { GO_TIMEOUT_MS, shortcutFor } from './shortcuts';

const press = (key: string, extra: Partial<Parameters<typeof shortcutFor>[0]> = {}) => ({ key, ctrlKey: false, altKey: false, metaKey: false, typing: false, ...extra });

describe('keyboard shortcuts', () => {
  it('goes to a page with g then a letter, within the timeout', () => {
    expect(shortcutFor(press('g'), null, 0)).toEqual({ kind: 'pending' });
    expect(shortcutFor(press('r'), 1000, 1500)).toEqual({ kind: 'go', path: '/runs' });
    expect(shortcutFor(press('r'), 1000, 1000 + GO_TIMEOUT_MS + 1)).toBeNull();
    expect(shortcutFor(press('x'), 1000, 1200)).toBeNull();
  });

  it('searches with / and lists shortcuts with ?', () => {
    expect(shortcutFor(press('/'), null, 0)).toEqual({ kind: 'search' });
    expect(shortcutFor(press('?'), null, 0)).toEqual({ kind: 'help' });
  });

  it('stays out of the way while typing or with a modifier', () => {
    expect(shortcutFor(press('/', { typing: true }), null, 0)).toBeNull();
    expect(shortcutFor(press('g', { ctrlKey: true }), null, 0)).toBeNull();
    expect(shortcutFor(press('r', { metaKey: true }), 1000, 1100)).toBeNull();
  });
});
