-- 0009 analytics: what the Postgres -> ClickHouse export and the Postgres analytics read by.
-- (0008 is another feature's.)

-- Incremental export: rows changed in a window (runs by updated_at, events by stored_at), per organization. Without
-- these, each incremental batch would walk every row of the organization by id to find the few that changed.
CREATE INDEX runs_org_updated_idx ON runs (org_id, updated_at);
CREATE INDEX events_org_stored_idx ON events (org_id, stored_at);

-- Analytics by model over time (Postgres implementation): LLM calls only (events with a model), so a range of an
-- organization's calls is found without walking all of its events (a partial index: other events do not pay for it).
CREATE INDEX events_org_model_ts_idx ON events (org_id, ts)
  WHERE model IS NOT NULL;
