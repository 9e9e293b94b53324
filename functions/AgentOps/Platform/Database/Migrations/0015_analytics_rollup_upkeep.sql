-- 0015 — feature: Analytics. Upkeep of 0014's hourly rollups (HourlyRollups.SweepAsync), after review:
-- deletes mark once per statement and hour (not one array of every deleted row), the sweep visits only organizations
-- with runs and prunes what no query reads, and the app role gets exactly the rights the rollup uses.

CREATE OR REPLACE FUNCTION runs_rollup_mark_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_marks (org_id, hour)
  SELECT DISTINCT org_id, date_trunc('hour', started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
  FROM gone WHERE started_at < clock_timestamp() - interval '2 hours'
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION events_rollup_mark_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_marks (org_id, hour)
  SELECT DISTINCT org_id, date_trunc('hour', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
  FROM gone WHERE model IS NOT NULL AND ts < clock_timestamp() - interval '2 hours'
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

-- The organizations the rollup looks at: those with runs (it then works in each under row-level security).
CREATE OR REPLACE FUNCTION rollup_orgs() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.id FROM organizations o WHERE EXISTS (SELECT 1 FROM runs r WHERE r.org_id = o.id) ORDER BY o.id
$$;

-- What no query reads any more, in every organization: rollups and marks of hours older than p_keep_from (past the
-- longest range), and, with p_all_marks (the rollups are not used: ClickHouse answers analytics), every mark, since
-- nothing else would ever delete them.
CREATE FUNCTION rollup_prune(p_keep_from timestamptz, p_all_marks boolean) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  DELETE FROM run_hours WHERE hour < p_keep_from;
  DELETE FROM run_hour_latency WHERE hour < p_keep_from;
  DELETE FROM model_hours WHERE hour < p_keep_from;
  DELETE FROM rollup_hours WHERE hour < p_keep_from;
  DELETE FROM rollup_marks WHERE hour < p_keep_from OR p_all_marks;
$$;

REVOKE UPDATE ON run_hours, run_hour_latency, model_hours FROM agentops_app;
REVOKE ALL ON FUNCTION rollup_prune(timestamptz, boolean), rollup_mark(uuid, timestamptz[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollup_prune(timestamptz, boolean), rollup_mark(uuid, timestamptz[]) TO agentops_app;
