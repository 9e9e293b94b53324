import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import { visiblePrices } from './prices';

const price = (model: string, extra: Partial<Schemas['PriceView']> = {}) =>
  ({ id: model, model, provider: 'openai', aliases: [], public: true, effective_from: '2025-01-01T00:00:00Z', effective_to: null, ...extra }) as Schemas['PriceView'];

describe('the prices page', () => {
  const now = new Date('2026-12-06T00:00:00Z');
  const all = [price('gpt-4o'), price('claude-sonnet', { provider: 'anthropic' }), price('my-model', { public: false }),
    price('old', { effective_to: '2026-01-01T00:00:00Z' }), price('gpt-4o-mini', { aliases: ['mini'] })];

  it('shows the prices in force, the organization’s first', () => {
    expect(visiblePrices(all, '', now).map((p) => p.model)).toEqual(['my-model', 'claude-sonnet', 'gpt-4o', 'gpt-4o-mini']);
  });

  it('finds a model by name, alias or provider', () => {
    expect(visiblePrices(all, 'MINI', now).map((p) => p.model)).toEqual(['gpt-4o-mini']);
    expect(visiblePrices(all, 'anthropic', now).map((p) => p.model)).toEqual(['claude-sonnet']);
  });
});
