-- 0001 foundation: organizations, users, members, API keys, refresh sessions, audit log.
--
-- Tenancy model: every tenant table carries org_id and a row-level security policy that compares it with the
-- organization the application set for the current transaction (app_current_org()). The application connects as
-- agentops_app, which does not own these tables and has no BYPASSRLS, so the policies always apply to it.
-- The few look-ups that must happen before the organization is known (login by e-mail, API key by prefix, refresh
-- token, invitation token) go through SECURITY DEFINER functions that return only what that step needs.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'agentops_app') THEN
    CREATE ROLE agentops_app NOLOGIN NOBYPASSRLS;
  END IF;
END
$$;

CREATE FUNCTION app_current_org() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;

CREATE TABLE organizations (
  id          uuid PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  timezone    text NOT NULL DEFAULT 'UTC',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations
  USING (id = app_current_org()) WITH CHECK (id = app_current_org());

-- Users are people; they may belong to several organizations, so the table has no org_id. A user row is visible
-- only through a membership of the current organization.
CREATE TABLE users (
  id             uuid PRIMARY KEY,
  email          text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 320),
  name           text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
  password_hash  text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE organization_members (
  id                 uuid PRIMARY KEY,
  org_id             uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id            uuid REFERENCES users(id) ON DELETE CASCADE,
  email              text NOT NULL CHECK (email = lower(email)),
  role               text NOT NULL CHECK (role IN ('admin', 'team_lead', 'member', 'viewer')),
  team               text CHECK (length(team) BETWEEN 1 AND 100),
  status             text NOT NULL CHECK (status IN ('invited', 'active')),
  invite_token_hash  bytea UNIQUE,
  invite_expires_at  timestamptz,
  invited_by         uuid,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organization_members_org_email_key UNIQUE (org_id, email),
  CONSTRAINT active_members_have_users CHECK (status = 'invited' OR user_id IS NOT NULL)
);
CREATE INDEX organization_members_user_idx ON organization_members (user_id);
ALTER TABLE organization_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organization_members
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_through_membership ON users FOR SELECT
  USING (EXISTS (SELECT 1 FROM organization_members m WHERE m.user_id = users.id AND m.org_id = app_current_org()));
-- Creating a person (signup, accepted invitation) happens before they belong to anything visible.
CREATE POLICY create_person ON users FOR INSERT WITH CHECK (true);
CREATE POLICY update_through_membership ON users FOR UPDATE
  USING (EXISTS (SELECT 1 FROM organization_members m WHERE m.user_id = users.id AND m.org_id = app_current_org()));

CREATE TABLE api_keys (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix        text NOT NULL,
  key_hash      bytea NOT NULL CHECK (length(key_hash) = 32),
  scopes        text[] NOT NULL CHECK (cardinality(scopes) >= 1 AND scopes <@ ARRAY['ingest', 'read', 'write', 'admin']),
  created_by    uuid NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  expires_at    timestamptz,
  revoked_at    timestamptz,
  revoked_by    uuid,
  CONSTRAINT api_keys_prefix_key UNIQUE (prefix)
);
CREATE INDEX api_keys_org_idx ON api_keys (org_id, id);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- One row per issued refresh token. Tokens of one login form a family; presenting a token that was already used
-- revokes the whole family (the token was stolen, or the client is broken).
CREATE TABLE refresh_sessions (
  id          uuid PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  family_id   uuid NOT NULL,
  token_hash  bytea NOT NULL CHECK (length(token_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz,
  CONSTRAINT refresh_sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_sessions_family_idx ON refresh_sessions (org_id, family_id);
ALTER TABLE refresh_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refresh_sessions
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Append-only: the application may insert and read, never update or delete. seq is the order of record (v7 ids
-- minted in the same millisecond are not ordered, and rows of one transaction share created_at).
CREATE TABLE audit_logs (
  id           uuid PRIMARY KEY,
  seq          bigint GENERATED ALWAYS AS IDENTITY,
  org_id       uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  actor_type   text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
  actor_id     uuid,
  action       text NOT NULL,
  entity_type  text NOT NULL,
  entity_id    text,
  before       jsonb,
  after        jsonb,
  ip           text,
  user_agent   text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_org_idx ON audit_logs (org_id, seq);
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON audit_logs FOR SELECT USING (org_id = app_current_org());
CREATE POLICY tenant_append ON audit_logs FOR INSERT WITH CHECK (org_id = app_current_org());

-- Pre-tenant look-ups. Each returns the least that its step needs.
CREATE FUNCTION auth_login_candidates(p_email text)
RETURNS TABLE (user_id uuid, password_hash text, org_id uuid, role text, member_since timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT u.id, u.password_hash, m.org_id, m.role, m.created_at
  FROM users u
  LEFT JOIN organization_members m ON m.user_id = u.id AND m.status = 'active'
  WHERE u.email = lower(p_email)
  ORDER BY m.created_at NULLS LAST
$$;

CREATE FUNCTION auth_api_key(p_prefix text)
RETURNS TABLE (id uuid, org_id uuid, key_hash bytea, scopes text[], created_by uuid, expires_at timestamptz,
               revoked_at timestamptz, last_used_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT k.id, k.org_id, k.key_hash, k.scopes, k.created_by, k.expires_at, k.revoked_at, k.last_used_at
  FROM api_keys k WHERE k.prefix = p_prefix
$$;

CREATE FUNCTION auth_refresh_session_org(p_token_hash bytea) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT org_id FROM refresh_sessions WHERE token_hash = p_token_hash $$;

CREATE FUNCTION auth_invitation_org(p_token_hash bytea) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT org_id FROM organization_members WHERE invite_token_hash = p_token_hash AND status = 'invited' $$;

CREATE FUNCTION auth_user_by_email(p_email text)
RETURNS TABLE (id uuid, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT id, password_hash FROM users WHERE email = lower(p_email) $$;

REVOKE ALL ON FUNCTION auth_login_candidates(text), auth_api_key(text), auth_refresh_session_org(bytea),
  auth_invitation_org(bytea), auth_user_by_email(text) FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO agentops_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, users, organization_members, api_keys, refresh_sessions
  TO agentops_app;
GRANT SELECT, INSERT ON audit_logs TO agentops_app;
GRANT EXECUTE ON FUNCTION app_current_org(), auth_login_candidates(text), auth_api_key(text),
  auth_refresh_session_org(bytea), auth_invitation_org(bytea), auth_user_by_email(text) TO agentops_app;
