-- 0016 — feature: Providers. Requests-per-minute and tokens-per-minute budgets for model calls, per organization,
-- provider (connection) and model, shared by every replica through Postgres (Providers/RateBudgets, docs/llm.md).
-- Fixed one-minute windows: a window's counter row is taken by one conditional upsert, so concurrent reservations
-- serialize on its row lock and never exceed a cap; a reservation row lets the call's settlement correct the
-- window's tokens exactly once. Every table: org_id and the tenant policy.

-- An organization's limits, replacing the defaults (AGENTOPS_LLM_DEFAULT_RPM / _TPM). model '*' is the limit of
-- every model of the provider without a row of its own (each model still has its own budget; '*' is no shared pool).
CREATE TABLE llm_rate_limits (
  org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  provider    text NOT NULL CHECK (length(provider) BETWEEN 1 AND 100),
  model       text NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
  rpm         integer NOT NULL CHECK (rpm BETWEEN 1 AND 1000000),
  tpm         bigint NOT NULL CHECK (tpm BETWEEN 1 AND 1000000000),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, provider, model)
);
ALTER TABLE llm_rate_limits ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_rate_limits USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- One row per key and minute with what was admitted in it. rpm and tpm are the limits in force at the last
-- admission (for the live view). held_until: the provider said a budget is spent until then, past the previous
-- window's end (resync from its headers); nothing is admitted in this window before it.
CREATE TABLE llm_rate_windows (
  org_id        uuid NOT NULL,
  provider      text NOT NULL,
  model         text NOT NULL,
  window_start  timestamptz NOT NULL,
  requests      integer NOT NULL DEFAULT 0 CHECK (requests >= 0),
  tokens        bigint NOT NULL DEFAULT 0 CHECK (tokens >= 0),
  rpm           integer NOT NULL,
  tpm           bigint NOT NULL,
  held_until    timestamptz,
  held_budget   text CHECK (held_budget IN ('requests', 'tokens')),
  PRIMARY KEY (org_id, provider, model, window_start)
);
ALTER TABLE llm_rate_windows ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_rate_windows USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Admitted calls not settled yet. Settlement deletes the row (so a second settlement finds none and changes nothing);
-- a leaked one stops counting when its window ends (expires_at) and is pruned by the key's next new window.
CREATE TABLE llm_rate_reservations (
  id               uuid PRIMARY KEY,
  org_id           uuid NOT NULL,
  provider         text NOT NULL,
  model            text NOT NULL,
  window_start     timestamptz NOT NULL,
  reserved_tokens  bigint NOT NULL CHECK (reserved_tokens >= 0),
  expires_at       timestamptz NOT NULL
);
CREATE INDEX llm_rate_reservations_key_idx ON llm_rate_reservations (org_id, provider, model, expires_at);
ALTER TABLE llm_rate_reservations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_rate_reservations USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

GRANT SELECT, INSERT, UPDATE, DELETE ON llm_rate_limits, llm_rate_windows TO agentops_app;
GRANT SELECT, INSERT, DELETE ON llm_rate_reservations TO agentops_app;
