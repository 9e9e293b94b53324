import { describe, expect, it } from 'vitest';
import { isPlainObject, prop, textProp } from './json';

describe('JSON values', () => {
  it('tells objects from arrays, null and scalars', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(null)).toBe(false);
    expect(isPlainObject('x')).toBe(false);
  });

  it('reads keys of objects only, and text only as text', () => {
    expect(prop({ a: 1 }, 'a')).toBe(1);
    expect(prop(['a'], '0')).toBeUndefined();
    expect(textProp({ a: 'x' }, 'a')).toBe('x');
    expect(textProp({ a: 1 }, 'a')).toBeNull();
    expect(textProp(null, 'a')).toBeNull();
  });
});
