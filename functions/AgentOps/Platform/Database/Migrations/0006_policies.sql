-- 0006 policies: JSON rules that decide allow / block / require_approval for an agent's next action. A policy is
-- versioned: every change writes the full new version to policy_versions, so a decision can always be traced to the
-- exact rule text that made it.

CREATE TABLE policies (
  id                      uuid PRIMARY KEY,
  org_id                  uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description             text CHECK (length(description) <= 2000),
  active                  boolean NOT NULL DEFAULT true,
  priority                integer NOT NULL DEFAULT 100 CHECK (priority BETWEEN 0 AND 100000),
  action                  text NOT NULL CHECK (action IN ('allow', 'block', 'require_approval')),
  conditions              jsonb NOT NULL,
  approval_required_from  text[] NOT NULL DEFAULT '{}',
  timeout_minutes         integer CHECK (timeout_minutes BETWEEN 1 AND 10080),
  version                 integer NOT NULL DEFAULT 1,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT policies_org_name_key UNIQUE (org_id, name)
);
ALTER TABLE policies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policies USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Kept when the policy is deleted: the history of what was in force.
CREATE TABLE policy_versions (
  org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  policy_id   uuid NOT NULL,
  version     integer NOT NULL,
  snapshot    jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  uuid,
  PRIMARY KEY (policy_id, version)
);
ALTER TABLE policy_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy_versions USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

GRANT SELECT, INSERT, UPDATE, DELETE ON policies TO agentops_app;
GRANT SELECT, INSERT ON policy_versions TO agentops_app;
