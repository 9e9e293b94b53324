import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import {
  learnKinds,
  jobDuration, jobFilters, jobLive, jobsHash, jobShardFraction, jobShardText, jobsNews, jobSpecBody, jobTitle, statusInfo, JOB_STATUS,
  wholeNumber, type JobSpecForm,
} from './jobs';

const job = (extra: Partial<Schemas['Job']> = {}) => ({
  id: 'j1', kind: 'custom', payload: { activity: 'events.count_by_type' }, status: 'running', scheduled_at: '2026-03-05T12:00:00Z',
  started_at: null, finished_at: null, ...extra,
}) as Schemas['Job'];
const view = (extra: Partial<Schemas['Job']> = {}) => ({ job: job(extra), progress: { rows: 0, bytes: 0, shards: 0, shards_done: 0, shards_failed: 0 } });
const now = Date.parse('2026-03-05T12:00:00Z');

// Labels come from the server's catalog (GET /jobs/kinds); a kind it did not name shows by its name.
learnKinds([{ kind: 'custom', label: 'Custom activity' }, { kind: 'reindex', label: 'Reindex' }]);

describe('the jobs pages', () => {
  it('name a job by its kind and a custom job by its activity', () => {
    expect(jobTitle(job())).toBe('Custom activity: events.count_by_type');
    expect(jobTitle(job({ kind: 'reindex', payload: {} }))).toBe('Reindex');
    expect(jobTitle(job({ kind: 'some_other_kind', payload: {} }))).toBe('some_other_kind');
  });

  it('watch running jobs and those due within the minute', () => {
    expect(jobLive(job(), now)).toBe(true);
    expect(jobLive(job({ status: 'scheduled', scheduled_at: '2026-03-05T12:00:30Z' }), now)).toBe(true);
    expect(jobLive(job({ status: 'scheduled', scheduled_at: '2026-03-05T13:00:00Z' }), now)).toBe(false);
    expect(jobLive(job({ status: 'succeeded' }), now)).toBe(false);
  });

  it('time a job from its start to its end, or so far', () => {
    expect(jobDuration(job(), now)).toBeNull();
    expect(jobDuration(job({ started_at: '2026-03-05T11:59:00Z' }), now)).toBe(60_000);
    expect(jobDuration(job({ started_at: '2026-03-05T11:00:00Z', finished_at: '2026-03-05T11:00:05Z' }), now)).toBe(5000);
  });

  it('count shards done, whole once succeeded, and say what is not planned yet', () => {
    expect(jobShardFraction(job(), { shards: 4, shards_done: 1 })).toBe(0.25);
    expect(jobShardFraction(job({ status: 'succeeded' }), { shards: 0, shards_done: 0 })).toBe(1);
    expect(jobShardText(job({ status: 'scheduled' }), { shards: 0, shards_done: 0 })).toBe('Not planned yet');
    expect(jobShardText(job({ status: 'cancelled' }), { shards: 0, shards_done: 0 })).toBe('No shards');
    expect(jobShardText(job(), { shards: 0, shards_done: 0 })).toBe('Planning…');
    expect(jobShardText(job(), { shards: 2, shards_done: 1 })).toBe('1 of 2 shards done');
  });

  it('map statuses to badges, an unknown one by its name', () => {
    expect(statusInfo(JOB_STATUS, 'failed').kind).toBe('danger');
    expect(statusInfo(JOB_STATUS, 'paused')).toEqual({ label: 'paused', kind: 'neutral', help: null });
  });

  it('keep known filters from the URL and write them back', () => {
    expect(jobFilters(new URLSearchParams('status=failed&kind=reindex'))).toEqual({ status: 'failed', kind: 'reindex' });
    expect(jobFilters(new URLSearchParams('status=nope&kind=NOPE'))).toEqual({ status: '', kind: '' });
    expect(jobsHash({ status: 'failed', kind: '' })).toBe('#/jobs?status=failed');
    expect(jobsHash({ status: '', kind: '' })).toBe('#/jobs');
  });

  it('announce new jobs and jobs that ended', () => {
    expect(jobsNews([view()], [view({ status: 'succeeded' })], 2)).toBe('2 new jobs. Custom activity: events.count_by_type succeeded.');
    expect(jobsNews([view()], [view()], 0)).toBe('');
  });

  it('read whole numbers, leaving blanks to the server', () => {
    const errors: Record<string, string[]> = {};
    expect(wholeNumber('', '$.x', errors)).toBeNull();
    expect(wholeNumber('12', '$.x', errors)).toBe(12);
    expect(wholeNumber('-3', '$.p', errors, { signed: true })).toBe(-3);
    expect(wholeNumber('1.5', '$.y', errors)).toBeNull();
    expect(errors).toEqual({ '$.y': ['must be a whole number.'] });
  });

  it('send only what the kind uses', () => {
    const form: JobSpecForm = { kind: 'custom', activity: 'a.b', batchSize: '10', parallelism: '', priority: '-1', maxAttempts: '3', insertMode: 'async' };
    const errors: Record<string, string[]> = {};
    expect(jobSpecBody(form, errors)).toEqual({ kind: 'custom', payload: { activity: 'a.b' }, batch_size: 10, priority: -1, max_attempts: 3 });
    expect(jobSpecBody({ ...form, kind: 'clickhouse_export', priority: null }, errors))
      .toEqual({ kind: 'clickhouse_export', payload: {}, batch_size: 10, max_attempts: 3, insert_mode: 'async' });
    expect(errors).toEqual({});
  });
});
