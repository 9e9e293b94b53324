import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import { orchAllows, orchestrationsHash, orchFiltered, orchFilters, orchNews, orchProgressView, orchQuery, purgeRequest } from './orchestrations';

const instance = (status: string, extra: Partial<Schemas['InstanceView']> = {}) =>
  ({ instance_id: '0193f2aa-0000', name: 'JobOrchestrator', status, progress: null, ...extra }) as Schemas['InstanceView'];

describe('the orchestrations pages', () => {
  it('offer each operation only in the statuses it applies to', () => {
    expect(orchAllows('suspend', 'running')).toBe(true);
    expect(orchAllows('resume', 'running')).toBe(false);
    expect(orchAllows('purge', 'completed')).toBe(true);
    expect(orchAllows('purge', 'suspended')).toBe(false);
  });

  it('show a job orchestration’s progress in the job’s colours', () => {
    expect(orchProgressView(instance('running'))).toBeNull();
    expect(orchProgressView(instance('suspended', { progress: { shards: 4, done: 1, running: 1, generation: 0 } })))
      .toEqual({ fraction: 0.25, state: 'pending', words: '1 of 4 shards done' });
    expect(orchProgressView(instance('completed', { progress: { shards: 0, done: 0, running: 0, generation: 0 } })))
      .toEqual({ fraction: 1, state: 'succeeded', words: 'No shards' });
    expect(orchProgressView(instance('pending', { progress: { shards: 0, done: 0, running: 0, generation: 0 } }))?.words).toBe('Planning…');
  });

  it('keep known filters from the URL and write them back in a stable order', () => {
    const f = orchFilters(new URLSearchParams('status=failed,bogus,completed&kind=reindex&instance=0193'));
    expect(f).toEqual({ status: ['failed', 'completed'], kind: 'reindex', from: '', to: '', instance: '0193' });
    expect(orchFiltered(f)).toBe(true);
    expect(orchQuery(f)).toEqual({ status: 'failed,completed', kind: 'reindex', instance: '0193' });
    expect(orchestrationsHash(f)).toBe('#/orchestrations?status=failed%2Ccompleted&kind=reindex&instance=0193');
    expect(orchestrationsHash(orchFilters(new URLSearchParams()))).toBe('#/orchestrations');
  });

  it('announce instances that ended', () => {
    expect(orchNews([instance('running')], [instance('failed')])).toBe('JobOrchestrator 0193f2aa failed.');
    expect(orchNews([instance('completed')], [instance('completed')])).toBe('');
  });

  it('check the purge form before asking for a count', () => {
    expect(purgeRequest({ statuses: [], createdAfter: 'x', createdBefore: '' }).errors).toEqual({
      '$.statuses': ['choose at least one.'], '$.created_after': ['must be a date and time.'], '$.created_before': ['is required: purge what was created before a time.'],
    });
    const { body, errors } = purgeRequest({ statuses: ['completed'], createdAfter: '', createdBefore: '2026-03-05T12:00' });
    expect(errors).toEqual({});
    expect(body.statuses).toEqual(['completed']);
    expect(body.created_before).toBe(new Date(2026, 2, 5, 12, 0).toISOString());
  });
});
