import { describe, expect, it } from 'vitest';
import { parseChoice, resolveTheme } from './theme';

describe('the theme', () => {
  it('follows the system unless a theme was picked, and reads anything unknown as the system', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
    expect(parseChoice('dark')).toBe('dark');
    expect(parseChoice('purple')).toBe('system');
    expect(parseChoice(null)).toBe('system');
  });
});
