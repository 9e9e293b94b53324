-- Jobs run as Durable orchestrations on both hosts (instance id = job id). The dispatcher makes sure every running,
-- planned job has a live orchestration (and tells it when the job is cancelled); this lists candidates across organizations, a random sample of p_limit per tick
-- so that no job is starved when more than p_limit run at once. job_shards_claim and jobs_unfinalized (the retired
-- Postgres claim loop's) stay for servers of the previous version during a rolling deploy.
CREATE FUNCTION jobs_running(p_limit integer, p_kinds text[])
RETURNS TABLE (id uuid, org_id uuid, cancel_requested boolean)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT j.id, j.org_id, j.cancel_requested_at IS NOT NULL FROM jobs j
  WHERE j.status = 'running' AND j.planned_at IS NOT NULL AND j.kind = ANY(p_kinds)
  ORDER BY random() LIMIT p_limit
$$;

REVOKE ALL ON FUNCTION jobs_running(integer, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs_running(integer, text[]) TO agentops_app;

-- Running jobs are few among many finished ones: the dispatcher reads them every tick.
CREATE INDEX jobs_running_idx ON jobs (id) WHERE status = 'running';

-- A fencing number per shard: every take increments it, and a run writes only while it holds the number it took.
-- The orchestration's owner is the same after a redelivery (so that it resumes at once); two runs of that owner at
-- once — a duplicate delivery, or a restarted orchestration while the old activity still runs — must not both commit.
ALTER TABLE job_shards ADD COLUMN lease_epoch bigint NOT NULL DEFAULT 0;

-- Per-job failures of the restart pass are counted, so that an orchestration that keeps failing ends the job instead
-- of being started again every tick.
ALTER TABLE jobs ADD COLUMN orchestration_restarts integer NOT NULL DEFAULT 0;
