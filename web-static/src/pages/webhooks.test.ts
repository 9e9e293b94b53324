import { describe, expect, it } from 'vitest';
import { deliveryCountText, deliveryStatusOf, formKinds, webhookCountText, WEBHOOKS_MAX } from './webhooks';

describe('webhooks', () => {
  it('counts the endpoints against the limit, and the inactive ones', () => {
    expect(webhookCountText([])).toBe('');
    expect(webhookCountText([{ active: true }])).toBe(`1 endpoint of ${WEBHOOKS_MAX}`);
    expect(webhookCountText([{ active: true }, { active: false }, { active: false }])).toBe('3 endpoints of 20 · 2 inactive');
  });

  it('counts the deliveries shown', () => {
    expect(deliveryCountText(0, true)).toBe('');
    expect(deliveryCountText(1, false)).toBe('1 delivery shown');
    expect(deliveryCountText(50, true)).toBe('50 deliveries shown, more below');
  });

  it('shows delivery statuses, unknown ones as they are', () => {
    expect(deliveryStatusOf('failed')).toEqual({ label: 'Failed', kind: 'danger', help: 'Every attempt failed. It can be redelivered.' });
    expect(deliveryStatusOf('odd')).toEqual({ label: 'odd', kind: 'neutral', help: null });
  });

  it('offers the known kinds, then those set through the API', () => {
    expect(formKinds([]).map((k) => k.value)).toEqual(['approval.requested', 'budget.threshold', 'budget.auto_paused']);
    const kinds = formKinds(['budget.threshold', 'custom.kind']);
    expect(kinds.map((k) => k.value)).toEqual(['approval.requested', 'budget.threshold', 'budget.auto_paused', 'custom.kind']);
    expect(kinds.at(-1)).toEqual({ value: 'custom.kind', label: 'custom.kind', help: 'Set through the API.' });
  });
});
