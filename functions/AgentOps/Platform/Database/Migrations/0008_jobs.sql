-- 0008 jobs: sharded, checkpointed background work (ClickHouse export, reindex, custom activities), dispatched by a
-- timer, with recurring schedules. The self-host drives shards as Postgres work items (SKIP LOCKED claims, leases,
-- heartbeats); Azure drives the same activities from Durable orchestrators (instance id = job id).

CREATE TABLE job_schedules (
  id             uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind           text NOT NULL CHECK (kind IN ('clickhouse_export', 'reindex', 'custom')),
  payload        jsonb NOT NULL DEFAULT '{}',
  cron           text NOT NULL CHECK (length(cron) <= 200),
  batch_size     integer NOT NULL CHECK (batch_size BETWEEN 1 AND 1000000),
  parallelism    integer NOT NULL CHECK (parallelism BETWEEN 1 AND 64),
  priority       integer NOT NULL CHECK (priority BETWEEN -100 AND 100),
  insert_mode    text NOT NULL CHECK (insert_mode IN ('sync', 'async')),
  max_attempts   integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 20),
  active         boolean NOT NULL DEFAULT true,
  next_run_at    timestamptz NOT NULL,
  last_job_id    uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT job_schedules_org_name_key UNIQUE (org_id, name)
);
CREATE INDEX job_schedules_due_idx ON job_schedules (next_run_at) WHERE active;
ALTER TABLE job_schedules ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON job_schedules USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

CREATE TABLE jobs (
  id                   uuid PRIMARY KEY,
  org_id               uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  kind                 text NOT NULL CHECK (kind IN ('clickhouse_export', 'reindex', 'custom')),
  payload              jsonb NOT NULL DEFAULT '{}',
  status               text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'running', 'succeeded', 'failed', 'cancelled')),
  priority             integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -100 AND 100),
  batch_size           integer NOT NULL DEFAULT 50000 CHECK (batch_size BETWEEN 1 AND 1000000),
  parallelism          integer NOT NULL DEFAULT 8 CHECK (parallelism BETWEEN 1 AND 64),
  max_attempts         integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 20),
  dry_run              boolean NOT NULL DEFAULT false,
  insert_mode          text NOT NULL DEFAULT 'sync' CHECK (insert_mode IN ('sync', 'async')),
  scheduled_at         timestamptz NOT NULL DEFAULT now(),
  schedule_id          uuid,
  created_by_type      text NOT NULL CHECK (created_by_type IN ('user', 'api_key', 'system')),
  created_by           uuid,
  created_at           timestamptz NOT NULL DEFAULT now(),
  dispatched_at        timestamptz,
  planned_at           timestamptz,
  started_at           timestamptz,
  finished_at          timestamptz,
  cancel_requested_at  timestamptz,
  -- The slice of data the job works on, fixed when it is planned (export: changed in (window_from, window_to]).
  window_from          timestamptz,
  window_to            timestamptz,
  error                text,
  result               jsonb
);
CREATE INDEX jobs_due_idx ON jobs (priority DESC, scheduled_at) WHERE status = 'scheduled';
CREATE INDEX jobs_org_created_idx ON jobs (org_id, created_at DESC, id DESC);
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON jobs USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- A shard is a key range (range_after, range_end] of one source; its checkpoint is the last key done.
CREATE TABLE job_shards (
  org_id            uuid NOT NULL,
  job_id            uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  idx               integer NOT NULL,
  source            text NOT NULL,
  range_after       text,
  range_end         text,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz NOT NULL DEFAULT now(),
  checkpoint_key    text,
  rows              bigint NOT NULL DEFAULT 0,
  bytes             bigint NOT NULL DEFAULT 0,
  batches           integer NOT NULL DEFAULT 0,
  data              jsonb NOT NULL DEFAULT '{}',
  lease_owner       text,
  lease_expires_at  timestamptz,
  heartbeat_at      timestamptz,
  last_error        text,
  started_at        timestamptz,
  finished_at       timestamptz,
  PRIMARY KEY (job_id, idx)
);
CREATE INDEX job_shards_claim_idx ON job_shards (next_attempt_at) WHERE status IN ('pending', 'running');
ALTER TABLE job_shards ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON job_shards USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

CREATE TABLE job_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id      uuid NOT NULL,
  job_id      uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  shard_idx   integer,
  level       text NOT NULL CHECK (level IN ('info', 'warn', 'error')),
  message     text NOT NULL,
  data        jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job_idx ON job_events (job_id, id);
ALTER TABLE job_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON job_events USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Up to where each source was exported successfully: the next incremental export starts there.
CREATE TABLE export_watermarks (
  org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  source      text NOT NULL,
  watermark   timestamptz NOT NULL,
  job_id      uuid,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, source)
);
ALTER TABLE export_watermarks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON export_watermarks USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- The dispatcher serves every organization: it takes due jobs of the kinds its host runs (SKIP LOCKED: two
-- dispatchers never take the same one), and also jobs dispatched but never planned (a dispatcher that died in
-- between) once a minute passed.
CREATE FUNCTION jobs_take_due(p_limit integer, p_kinds text[])
RETURNS TABLE (id uuid, org_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  UPDATE jobs j SET status = 'running', dispatched_at = now()
  WHERE j.id IN (SELECT q.id FROM jobs q
                 WHERE q.kind = ANY(p_kinds)
                   AND (q.status = 'scheduled' AND q.scheduled_at <= now()
                        OR q.status = 'running' AND q.planned_at IS NULL AND q.dispatched_at < now() - interval '1 minute')
                 ORDER BY q.priority DESC, q.scheduled_at LIMIT p_limit FOR UPDATE SKIP LOCKED)
  RETURNING j.id, j.org_id
$$;

-- Recurring schedules that are due, across organizations (the dispatcher then creates their jobs per organization).
CREATE FUNCTION job_schedules_due(p_limit integer)
RETURNS TABLE (id uuid, org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT s.id, s.org_id FROM job_schedules s WHERE s.active AND s.next_run_at <= now() ORDER BY s.next_run_at LIMIT p_limit $$;

-- Shard work items: a pending shard whose time has come, or a running one whose lease expired (its worker died),
-- within the job's parallelism, of a kind the caller's host runs. The caller's lease starts now. reclaimed says the
-- shard was someone else's.
CREATE FUNCTION job_shards_claim(p_owner text, p_lease_seconds integer, p_limit integer, p_kinds text[])
RETURNS TABLE (job_id uuid, org_id uuid, idx integer, reclaimed boolean, previous_owner text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  WITH candidates AS (
    SELECT q.job_id, q.idx, q.status = 'running' AS reclaimed, q.lease_owner
    FROM job_shards q JOIN jobs j ON j.id = q.job_id
    WHERE j.status = 'running' AND j.cancel_requested_at IS NULL AND j.kind = ANY(p_kinds)
      AND (q.status = 'pending' AND q.next_attempt_at <= now() OR q.status = 'running' AND q.lease_expires_at < now())
      AND (SELECT count(*) FROM job_shards r WHERE r.job_id = q.job_id AND r.status = 'running' AND r.lease_expires_at >= now()) < j.parallelism
    ORDER BY j.priority DESC, q.next_attempt_at, q.job_id, q.idx
    LIMIT p_limit
    FOR UPDATE OF q SKIP LOCKED
  )
  UPDATE job_shards s SET status = 'running', lease_owner = p_owner, lease_expires_at = now() + make_interval(secs => p_lease_seconds),
                          heartbeat_at = now(), started_at = coalesce(s.started_at, now())
  FROM candidates c WHERE s.job_id = c.job_id AND s.idx = c.idx
  RETURNING s.job_id, s.org_id, s.idx, c.reclaimed, c.lease_owner
$$;

-- Running jobs whose every shard has finished but which were not finalized (the finalizing worker died).
CREATE FUNCTION jobs_unfinalized(p_limit integer)
RETURNS TABLE (id uuid, org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT j.id, j.org_id FROM jobs j
  WHERE j.status = 'running' AND j.planned_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM job_shards s WHERE s.job_id = j.id AND s.status IN ('pending', 'running'))
  LIMIT p_limit
$$;

REVOKE ALL ON FUNCTION jobs_take_due(integer, text[]), job_schedules_due(integer), job_shards_claim(text, integer, integer, text[]), jobs_unfinalized(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs_take_due(integer, text[]), job_schedules_due(integer), job_shards_claim(text, integer, integer, text[]), jobs_unfinalized(integer) TO agentops_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON job_schedules TO agentops_app;
GRANT SELECT, INSERT, UPDATE ON jobs, job_shards TO agentops_app;
GRANT SELECT, INSERT ON job_events TO agentops_app;
GRANT SELECT, INSERT, UPDATE ON export_watermarks TO agentops_app;
