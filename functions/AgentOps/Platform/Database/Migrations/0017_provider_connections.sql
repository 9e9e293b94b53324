-- 0017 — feature: Providers. An organization's connections to model providers: kind, endpoint, options, declared
-- models and the default model per task, and the credential encrypted at rest (AES-256-GCM under a master key the
-- database never sees: secret_key_id names which one; the organization and the connection's id are the associated
-- data, so a ciphertext copied to another row or organization does not open). Only a hint (the last 4 characters)
-- is kept in clear.

CREATE TABLE provider_connections (
  id                 uuid PRIMARY KEY,
  org_id             uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name               text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  kind               text NOT NULL CHECK (kind IN ('openai', 'azure-openai', 'anthropic', 'gemini', 'openai-compatible', 'simulated')),
  base_url           text CHECK (length(base_url) BETWEEN 1 AND 2000),
  options            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object'),
  models             jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(models) = 'array'),
  default_models     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(default_models) = 'object'),
  secret_ciphertext  bytea CHECK (length(secret_ciphertext) <= 8192),
  secret_key_id      text CHECK (length(secret_key_id) BETWEEN 1 AND 32),
  secret_hint        text CHECK (length(secret_hint) <= 8),
  active             boolean NOT NULL DEFAULT true,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  rotated_at         timestamptz,
  created_by         uuid,
  CONSTRAINT provider_connections_org_name_key UNIQUE (org_id, name),
  -- A secret is stored whole (ciphertext, the key it is sealed under, its hint) or not at all.
  CONSTRAINT provider_connections_secret_whole CHECK ((secret_ciphertext IS NULL) = (secret_key_id IS NULL) AND (secret_ciphertext IS NULL) = (secret_hint IS NULL))
);
ALTER TABLE provider_connections ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON provider_connections USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- The organizations with a secret sealed under another key than the current one (re-sealed after a master key
-- rotation, then per organization under row-level security).
CREATE FUNCTION provider_connections_stale_key_orgs(p_current_key_id text) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT DISTINCT org_id FROM provider_connections WHERE secret_key_id IS NOT NULL AND secret_key_id <> p_current_key_id $$;
REVOKE ALL ON FUNCTION provider_connections_stale_key_orgs(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION provider_connections_stale_key_orgs(text) TO agentops_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON provider_connections TO agentops_app;
