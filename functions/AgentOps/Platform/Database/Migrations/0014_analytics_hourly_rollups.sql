-- 0014 — feature: Analytics. Hourly rollups for the Postgres analytics (Analytics/HourlyRollups.cs): a 30-day overview
-- over 1M runs read every run of the month on every call (1.7 s); with these it reads ~720 hours of sums and the raw
-- runs of the hours not rolled up yet (the last few, and any changed since). The runs stay the source of truth: a
-- rollup is used only while no change to its hour is missing from it (rollup_marks).

-- An hour of an organization that is rolled up, and the snapshot it was computed in (which transactions it saw).
CREATE TABLE rollup_hours (
  org_id    uuid NOT NULL,
  hour      timestamptz NOT NULL,
  snapshot  pg_snapshot NOT NULL,
  rolled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, hour)
);

-- One row per transaction that changed a run or an LLM call of an hour that may be rolled up (insert, update, delete),
-- written by the triggers below. A rollup is used only while every mark of its hour was visible in its snapshot: a
-- change it did not see sends the hour back to the raw rows until it is rolled again. Insert-only and keyed by the
-- transaction, so writers never wait on each other here (a shared counter row would serialize ingest and could
-- deadlock two batches that mark the same hours in different orders). The rollup deletes the marks it saw.
CREATE TABLE rollup_marks (
  org_id uuid NOT NULL,
  hour   timestamptz NOT NULL,
  xid    xid8 NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (org_id, hour, xid)
);

-- Runs that started in the hour, per agent and status: what the summary, the run series and the top agents sum.
CREATE TABLE run_hours (
  org_id         uuid NOT NULL,
  hour           timestamptz NOT NULL,
  agent_id       uuid NOT NULL,
  status         text NOT NULL,
  runs           bigint NOT NULL,
  cost_micros    bigint NOT NULL,
  tokens_in      bigint NOT NULL,
  tokens_out     bigint NOT NULL,
  event_count    bigint NOT NULL,
  llm_calls      bigint NOT NULL,
  tool_calls     bigint NOT NULL,
  unpriced_calls bigint NOT NULL,
  PRIMARY KEY (org_id, hour, agent_id, status)
);

-- Ended runs that started in the hour, per latency bucket (Analytics/LatencyHistogram.cs: 2 % wide buckets).
CREATE TABLE run_hour_latency (
  org_id uuid NOT NULL,
  hour   timestamptz NOT NULL,
  bucket integer NOT NULL,
  runs   bigint NOT NULL,
  PRIMARY KEY (org_id, hour, bucket)
);

-- LLM calls (events with a model) made in the hour, per model: the model series.
CREATE TABLE model_hours (
  org_id      uuid NOT NULL,
  hour        timestamptz NOT NULL,
  model       text NOT NULL,
  calls       bigint NOT NULL,
  errors      bigint NOT NULL,
  cost_micros bigint NOT NULL,
  tokens_in   bigint NOT NULL,
  tokens_out  bigint NOT NULL,
  PRIMARY KEY (org_id, hour, model)
);

ALTER TABLE rollup_hours ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rollup_hours USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
ALTER TABLE rollup_marks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rollup_marks USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
ALTER TABLE run_hours ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON run_hours USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
ALTER TABLE run_hour_latency ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON run_hour_latency USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
ALTER TABLE model_hours ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON model_hours USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Marks the hours of the given times, under the organization of the change (row-level security holds here too). Only
-- hours older than two hours are marked: the rollup never computes an hour
-- that ended less than three hours ago (HourlyRollups.Settle), so a change to a younger hour, committed within an
-- hour, can never be missing from a rollup. clock_timestamp, not now(): now() is when the transaction began.
CREATE FUNCTION rollup_mark(p_org uuid, p_times timestamptz[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO rollup_marks (org_id, hour)
  SELECT DISTINCT p_org, date_trunc('hour', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
  FROM unnest(p_times) t WHERE t < clock_timestamp() - interval '2 hours'
  ON CONFLICT DO NOTHING
$$;

CREATE FUNCTION runs_rollup_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN PERFORM rollup_mark(NEW.org_id, ARRAY[NEW.started_at]);
  ELSE PERFORM rollup_mark(NEW.org_id, ARRAY[OLD.started_at, NEW.started_at]);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION events_rollup_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN PERFORM rollup_mark(NEW.org_id, ARRAY[NEW.ts]);
  ELSE PERFORM rollup_mark(NEW.org_id, ARRAY[OLD.ts, NEW.ts]);
  END IF;
  RETURN NULL;
END $$;

-- Deletes (retention, purges) mark once per statement, from the deleted rows.
CREATE FUNCTION runs_rollup_mark_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM rollup_mark(org_id, array_agg(started_at)) FROM gone GROUP BY org_id;
  RETURN NULL;
END $$;

CREATE FUNCTION events_rollup_mark_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM rollup_mark(org_id, array_agg(ts)) FROM gone WHERE model IS NOT NULL GROUP BY org_id;
  RETURN NULL;
END $$;

-- The WHEN conditions keep the common path (ingest of current runs) free: no function call, no extra write.
CREATE TRIGGER runs_rollup_inserted AFTER INSERT ON runs FOR EACH ROW
  WHEN (NEW.started_at < clock_timestamp() - interval '2 hours') EXECUTE FUNCTION runs_rollup_mark();
CREATE TRIGGER runs_rollup_updated AFTER UPDATE ON runs FOR EACH ROW
  WHEN (OLD.started_at < clock_timestamp() - interval '2 hours' OR NEW.started_at < clock_timestamp() - interval '2 hours')
  EXECUTE FUNCTION runs_rollup_mark();
CREATE TRIGGER runs_rollup_deleted AFTER DELETE ON runs REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
  EXECUTE FUNCTION runs_rollup_mark_deleted();
CREATE TRIGGER events_rollup_inserted AFTER INSERT ON events FOR EACH ROW
  WHEN (NEW.model IS NOT NULL AND NEW.ts < clock_timestamp() - interval '2 hours') EXECUTE FUNCTION events_rollup_mark();
CREATE TRIGGER events_rollup_updated AFTER UPDATE ON events FOR EACH ROW
  WHEN ((OLD.model IS NOT NULL OR NEW.model IS NOT NULL)
        AND (OLD.ts < clock_timestamp() - interval '2 hours' OR NEW.ts < clock_timestamp() - interval '2 hours'))
  EXECUTE FUNCTION events_rollup_mark();
CREATE TRIGGER events_rollup_deleted AFTER DELETE ON events REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
  EXECUTE FUNCTION events_rollup_mark_deleted();

-- The organizations the rollup looks at (it then works in each under row-level security).
CREATE FUNCTION rollup_orgs() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT id FROM organizations ORDER BY id
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON rollup_hours, run_hours, run_hour_latency, model_hours TO agentops_app;
GRANT SELECT, INSERT, DELETE ON rollup_marks TO agentops_app;
REVOKE ALL ON FUNCTION rollup_orgs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollup_orgs() TO agentops_app;
