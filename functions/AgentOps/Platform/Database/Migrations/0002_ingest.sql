-- 0002 ingest: agents, accepted batches (the self-host's durable queue), events, runs, hourly agent stats and the
-- model price table. Tenant tables follow 0001: org_id + a policy on app_current_org().

ALTER TABLE organizations
  ADD COLUMN ingest_events_per_second integer NOT NULL DEFAULT 1000 CHECK (ingest_events_per_second BETWEEN 1 AND 10000000),
  ADD COLUMN ingest_burst integer NOT NULL DEFAULT 5000 CHECK (ingest_burst BETWEEN 1 AND 100000000);

CREATE TABLE agents (
  id               uuid PRIMARY KEY,
  org_id           uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  type             text NOT NULL DEFAULT 'custom' CHECK (length(type) BETWEEN 1 AND 64),
  provider         text CHECK (length(provider) <= 64),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
  tags             text[] NOT NULL DEFAULT '{}',
  environment      text CHECK (length(environment) <= 64),
  config           jsonb NOT NULL DEFAULT '{}',
  auto_registered  boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT agents_org_name_key UNIQUE (org_id, name)
);
ALTER TABLE agents ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agents USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Accepted, not yet processed batches. A 202 is sent only after the row is committed; a worker deletes it in the
-- same transaction that stores its events, so a crash either keeps the batch (and it is processed again, idempotently)
-- or keeps its events, never neither.
CREATE TABLE ingest_batches (
  seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id           uuid NOT NULL,
  org_id       uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  accepted_at  timestamptz NOT NULL DEFAULT now(),
  event_count  integer NOT NULL,
  payload      bytea NOT NULL
);
-- Payloads are written once and read once: skip TOAST compression (CPU) on both paths.
ALTER TABLE ingest_batches ALTER COLUMN payload SET STORAGE EXTERNAL;
ALTER TABLE ingest_batches ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ingest_batches USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Workers serve every organization: they take batches through this function (oldest first, skipping batches another
-- worker holds) and then process each batch with its own organization set. The DELETE belongs to the caller's
-- transaction: if processing fails, the batches come back.
CREATE FUNCTION ingest_take_batches(p_limit integer)
RETURNS TABLE (id uuid, org_id uuid, accepted_at timestamptz, payload bytea)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  DELETE FROM ingest_batches b
  WHERE b.seq IN (SELECT q.seq FROM ingest_batches q ORDER BY q.seq LIMIT p_limit FOR UPDATE SKIP LOCKED)
  RETURNING b.id, b.org_id, b.accepted_at, b.payload
$$;

-- Events accepted but not yet processed, across organizations (the front door sheds load above a limit).
CREATE FUNCTION ingest_backlog() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT coalesce(sum(event_count), 0)::bigint FROM ingest_batches $$;

-- Spans and events, keyed by the client's id: a re-sent event is the same row.
CREATE TABLE events (
  org_id         uuid NOT NULL,
  id             text NOT NULL,
  run_id         text NOT NULL,
  agent_id       uuid NOT NULL,
  type           text NOT NULL,
  parent_id      text,
  name           text,
  ts             timestamptz NOT NULL,
  ended_at       timestamptz,
  duration_ms    bigint,
  status         text,
  model          text,
  provider       text,
  tokens_in      bigint,
  tokens_out     bigint,
  tokens_cached  bigint,
  cost_micros    bigint,
  cost_source    text CHECK (cost_source IN ('client', 'computed', 'unpriced')),
  tool_name      text,
  input          text,
  output         text,
  input_ref      text,
  output_ref     text,
  error          text,
  score          double precision,
  metadata       jsonb,
  tags           text[],
  environment    text,
  accepted_at    timestamptz NOT NULL,
  stored_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id)
);
CREATE INDEX events_run_idx ON events (org_id, run_id, ts);
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- One row per run, folded from its events. Every field is a deterministic function of the set of events received,
-- whatever their order: sums for counters, min/max for times, for run.start / run.end the event with the smallest /
-- largest (timestamp, id), and the agent of the earliest event (a trace may cross several services).
CREATE TABLE runs (
  org_id          uuid NOT NULL,
  id              text NOT NULL,
  agent_id        uuid NOT NULL,
  name            text,
  status          text NOT NULL DEFAULT 'running',
  start_ts        timestamptz,
  start_event_id  text,
  end_ts          timestamptz,
  end_event_id    text,
  first_event_at  timestamptz NOT NULL,
  first_event_id  text NOT NULL,
  last_event_at   timestamptz NOT NULL,
  started_at      timestamptz GENERATED ALWAYS AS (coalesce(start_ts, first_event_at)) STORED,
  duration_ms     bigint GENERATED ALWAYS AS ((extract(epoch FROM end_ts - coalesce(start_ts, first_event_at)) * 1000)::bigint) STORED,
  input           text,
  output          text,
  error           text,
  tags            text[] NOT NULL DEFAULT '{}',
  environment     text,
  metadata        jsonb,
  event_count     integer NOT NULL DEFAULT 0,
  llm_calls       integer NOT NULL DEFAULT 0,
  tool_calls      integer NOT NULL DEFAULT 0,
  error_count     integer NOT NULL DEFAULT 0,
  tokens_in       bigint NOT NULL DEFAULT 0,
  tokens_out      bigint NOT NULL DEFAULT 0,
  tokens_cached   bigint NOT NULL DEFAULT 0,
  cost_micros     bigint NOT NULL DEFAULT 0,
  unpriced_calls  integer NOT NULL DEFAULT 0,
  models          text[] NOT NULL DEFAULT '{}',
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id)
);
CREATE INDEX runs_org_started_idx ON runs (org_id, started_at DESC, id DESC);
CREATE INDEX runs_agent_started_idx ON runs (org_id, agent_id, started_at DESC);
ALTER TABLE runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON runs USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Per agent and hour, summed from newly stored events only (so a re-sent event never counts twice).
CREATE TABLE agent_stats_hourly (
  org_id          uuid NOT NULL,
  agent_id        uuid NOT NULL,
  hour            timestamptz NOT NULL,
  events          bigint NOT NULL DEFAULT 0,
  llm_calls       bigint NOT NULL DEFAULT 0,
  errors          bigint NOT NULL DEFAULT 0,
  tokens_in       bigint NOT NULL DEFAULT 0,
  tokens_out      bigint NOT NULL DEFAULT 0,
  cost_micros     bigint NOT NULL DEFAULT 0,
  unpriced_calls  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, agent_id, hour)
);
ALTER TABLE agent_stats_hourly ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_stats_hourly USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Prices per 1M tokens in integer micro-dollars ($2.50 / 1M tokens = 2500000). org_id NULL: the public list every
-- organization sees; an organization's own rows override it. Rows are versions: a price change is a new row with a
-- later effective_from (and the old row's effective_to set), so costs can be recomputed for any date.
CREATE TABLE model_prices (
  id                            uuid PRIMARY KEY,
  org_id                        uuid REFERENCES organizations(id) ON DELETE CASCADE,
  provider                      text NOT NULL CHECK (provider = lower(provider)),
  model                         text NOT NULL CHECK (model = lower(model)),
  aliases                       text[] NOT NULL DEFAULT '{}',
  input_per_mtok_micros         bigint NOT NULL CHECK (input_per_mtok_micros >= 0),
  output_per_mtok_micros        bigint NOT NULL CHECK (output_per_mtok_micros >= 0),
  cached_input_per_mtok_micros  bigint CHECK (cached_input_per_mtok_micros >= 0),
  effective_from                timestamptz NOT NULL,
  effective_to                  timestamptz,
  source                        text NOT NULL,
  created_at                    timestamptz NOT NULL DEFAULT now(),
  CHECK (effective_to IS NULL OR effective_to > effective_from)
);
CREATE INDEX model_prices_lookup_idx ON model_prices (provider, model);
ALTER TABLE model_prices ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_public_and_own ON model_prices FOR SELECT USING (org_id IS NULL OR org_id = app_current_org());
CREATE POLICY write_own ON model_prices FOR ALL USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

GRANT SELECT, INSERT, UPDATE, DELETE ON agents, events, runs, agent_stats_hourly, model_prices TO agentops_app;
GRANT SELECT, INSERT ON ingest_batches TO agentops_app;
REVOKE ALL ON FUNCTION ingest_take_batches(integer), ingest_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ingest_take_batches(integer), ingest_backlog() TO agentops_app;
