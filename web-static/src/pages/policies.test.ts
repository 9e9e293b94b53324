import { describe, expect, it } from 'vitest';
import { parseJson, splitErrors } from './policies';

describe('the policy editor', () => {
  it('puts field errors on fields and condition errors, with their paths, under the conditions', () => {
    expect(splitErrors({ '$.name': ['is required.'], '$.conditions.any[1].field': ['must start with agent, run, action or context.'], '$.conditions': ['too deep.'] })).toEqual({
      fields: { name: 'is required.' },
      conditions: [{ path: '$.conditions.any[1].field', message: 'must start with agent, run, action or context.' }, { path: '$.conditions', message: 'too deep.' }],
    });
  });

  it('says where the conditions stop being JSON', () => {
    expect(parseJson('{"all": []}')).toEqual({ value: { all: [] } });
    const bad = parseJson('{\n  "all": [\n    {"field": "action.type",}\n  ]\n}');
    expect('error' in bad && bad.error).toMatch(/^Not JSON/);
  });
});
