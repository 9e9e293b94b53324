-- 0019 — feature: Llm. The guardrail pipeline's per-scope caps: a caller (an eval run, a synthetic-data job) names a
-- scope and its caps (calls, input tokens, output tokens) on each call; the budget step admits a call only if the
-- scope's totals with this call's estimate (input) and max_tokens (output) stay within them, in one conditional
-- upsert, so concurrent calls on every replica never overshoot; the answer settles the estimate to what was used.
CREATE TABLE llm_scope_usage (
  org_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  scope          text NOT NULL CHECK (length(scope) BETWEEN 1 AND 200),
  calls          bigint NOT NULL DEFAULT 0 CHECK (calls >= 0),
  input_tokens   bigint NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
  output_tokens  bigint NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, scope)
);
ALTER TABLE llm_scope_usage ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_scope_usage USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
GRANT SELECT, INSERT, UPDATE ON llm_scope_usage TO agentops_app;
