import { describe, expect, it } from 'vitest';
import { call, operationUrl } from './client';

describe('operation URLs', () => {
  it('fills and encodes path parameters; a catch-all keeps its slashes', () => {
    expect(operationUrl('/api/v1/budgets/{id}', { id: 'a b' })).toBe('/budgets/a%20b');
    expect(operationUrl('/api/v1/runs/{**id}', { id: 'svc/run 1' })).toBe('/runs/svc/run%201');
    expect(() => operationUrl('/api/v1/budgets/{id}', {})).toThrow(/missing path parameter id/);
  });

  it('orders the query and leaves out empty values', () => {
    expect(operationUrl('/api/v1/runs', {}, { to: 'b', from: 'a&c', agent: undefined, q: '', limit: 5, status: null })).toBe('/runs?from=a%26c&limit=5&to=b');
  });

  it('sends through the transport by operation id', async () => {
    const sent: unknown[] = [];
    await call(async (...args) => { sent.push(args); return null; }, 'getAnalyticsSummary', { query: { from: 'x', bucket: 'hour' } });
    expect(sent).toEqual([['GET', '/analytics/summary?bucket=hour&from=x', undefined]]);
  });
});
