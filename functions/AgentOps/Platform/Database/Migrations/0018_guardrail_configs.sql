-- 0018 — feature: Guardrails. An organization's guardrail configuration (which redaction detectors run, its own
-- patterns, what a finding of each kind does, the injection screen's action and thresholds, the path policy's allow
-- and deny prefixes): one row per organization once it first saved one; no row, or a null config (after a reset),
-- means the defaults (GuardrailPolicy.Default). The document is stored as the API normalized it
-- (Guardrails/GuardrailPolicyJson.cs) and validated again when read. version counts the changes (a save or a reset;
-- 0 is the defaults never changed): a write may name the version it replaces (optimistic concurrency), and a reset
-- keeps the row so that a version once seen never names another document.
CREATE TABLE guardrail_configs (
  org_id           uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  config           jsonb CHECK (jsonb_typeof(config) = 'object'),
  version          integer NOT NULL CHECK (version >= 1),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  updated_by_type  text NOT NULL CHECK (updated_by_type IN ('user', 'api_key', 'system')),
  updated_by       uuid
);
ALTER TABLE guardrail_configs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON guardrail_configs USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

GRANT SELECT, INSERT, UPDATE ON guardrail_configs TO agentops_app;
