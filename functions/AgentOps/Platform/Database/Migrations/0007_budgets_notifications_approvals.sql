-- 0007 the rest of the control plane: agents belong to teams; cost rolled up per day, agent and model; budgets with
-- incrementally maintained spend and thresholds that fire once; notifications (in-app, and webhooks with a delivery
-- log); approval requests created by require_approval policies. Every table: org_id and the tenant policy.

ALTER TABLE agents ADD COLUMN team text CHECK (length(team) BETWEEN 1 AND 100);
CREATE INDEX agents_team_idx ON agents (org_id, team) WHERE team IS NOT NULL;

-- Cost per day (the organization's calendar day, in its time zone when the cost was processed), agent and model,
-- summed from newly stored events only (a re-sent event never counts twice). Cost reports read this, never events.
-- model '' stands for events that carry cost but no model.
CREATE TABLE cost_daily (
  org_id          uuid NOT NULL,
  day             date NOT NULL,
  agent_id        uuid NOT NULL,
  model           text NOT NULL,
  cost_micros     bigint NOT NULL DEFAULT 0,
  tokens_in       bigint NOT NULL DEFAULT 0,
  tokens_out      bigint NOT NULL DEFAULT 0,
  tokens_cached   bigint NOT NULL DEFAULT 0,
  calls           bigint NOT NULL DEFAULT 0,
  unpriced_calls  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, day, agent_id, model)
);
CREATE INDEX cost_daily_agent_idx ON cost_daily (org_id, agent_id, day);
ALTER TABLE cost_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cost_daily USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

CREATE TABLE budgets (
  id                     uuid PRIMARY KEY,
  org_id                 uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  scope                  text NOT NULL CHECK (scope IN ('org', 'team', 'agent')),
  team                   text CHECK (length(team) BETWEEN 1 AND 100),
  agent_id               uuid REFERENCES agents(id) ON DELETE CASCADE,
  period                 text NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'rolling')),
  rolling_days           integer CHECK (rolling_days BETWEEN 1 AND 366),
  max_micros             bigint NOT NULL CHECK (max_micros > 0),
  thresholds             integer[] NOT NULL DEFAULT '{50,80,100}',
  auto_pause_at_percent  integer CHECK (auto_pause_at_percent BETWEEN 1 AND 1000),
  active                 boolean NOT NULL DEFAULT true,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT budgets_org_name_key UNIQUE (org_id, name),
  CONSTRAINT budgets_scope_target CHECK (scope = 'org' AND team IS NULL AND agent_id IS NULL
                                         OR scope = 'team' AND team IS NOT NULL AND agent_id IS NULL
                                         OR scope = 'agent' AND agent_id IS NOT NULL AND team IS NULL),
  CONSTRAINT budgets_rolling_days CHECK ((period = 'rolling') = (rolling_days IS NOT NULL))
);
ALTER TABLE budgets ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON budgets USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- A budget's spend per day, added to as costs are processed (and filled from cost_daily when the budget is created
-- or its scope or period changes). A period's spend is the sum of at most 366 rows.
CREATE TABLE budget_spend (
  org_id        uuid NOT NULL,
  budget_id     uuid NOT NULL REFERENCES budgets(id) ON DELETE CASCADE,
  day           date NOT NULL,
  spent_micros  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (budget_id, day)
);
ALTER TABLE budget_spend ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON budget_spend USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Thresholds that fired (kind threshold) and auto-pauses that happened (kind auto_pause): the key makes "once per
-- period" a fact of the database. Rolling budgets use the day it fired as period_start (and fire again only once a
-- whole window has passed).
CREATE TABLE budget_alerts (
  org_id        uuid NOT NULL,
  budget_id     uuid NOT NULL REFERENCES budgets(id) ON DELETE CASCADE,
  period_start  date NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('threshold', 'auto_pause')),
  threshold     integer NOT NULL,
  spent_micros  bigint NOT NULL,
  max_micros    bigint NOT NULL,
  fired_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (budget_id, period_start, kind, threshold)
);
ALTER TABLE budget_alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON budget_alerts USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Notifications: one row per thing worth telling the organization; channels deliver it (in-app: this table and the
-- per-person read marks; webhooks: webhook_deliveries; e-mail would be another channel with its own deliveries).
CREATE TABLE notifications (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
  severity     text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  body         text CHECK (length(body) <= 4000),
  data         jsonb NOT NULL DEFAULT '{}',
  entity_type  text,
  entity_id    text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_org_created_idx ON notifications (org_id, created_at DESC, id DESC);
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notifications USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

CREATE TABLE notification_reads (
  org_id           uuid NOT NULL,
  notification_id  uuid NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
  user_id          uuid NOT NULL,
  read_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (notification_id, user_id)
);
ALTER TABLE notification_reads ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notification_reads USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Outgoing webhooks. The secret signs deliveries (HMAC-SHA256), so it is kept, not hashed; it is shown once.
CREATE TABLE webhook_endpoints (
  id          uuid PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  url         text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
  secret      text NOT NULL,
  kinds       text[] NOT NULL DEFAULT '{}',
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_endpoints USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- One row per notification and endpoint: the delivery log. body is the exact text that is signed and sent.
CREATE TABLE webhook_deliveries (
  id                uuid PRIMARY KEY,
  org_id            uuid NOT NULL,
  endpoint_id       uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  notification_id   uuid,
  kind              text NOT NULL,
  body              text NOT NULL,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz NOT NULL DEFAULT now(),
  last_attempt_at   timestamptz,
  last_status_code  integer,
  last_error        text,
  last_duration_ms  integer,
  created_at        timestamptz NOT NULL DEFAULT now(),
  delivered_at      timestamptz
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (org_id, endpoint_id, created_at DESC);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_deliveries USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Delivery workers serve every organization: they claim due deliveries here (SKIP LOCKED) and push next_attempt_at
-- out by a lease, so a worker that dies mid-delivery leaves the delivery to be retried when the lease ends.
CREATE FUNCTION webhook_claim_deliveries(p_limit integer, p_lease_seconds integer)
RETURNS TABLE (id uuid, org_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => p_lease_seconds)
  WHERE d.id IN (SELECT q.id FROM webhook_deliveries q WHERE q.status = 'pending' AND q.next_attempt_at <= now()
                 ORDER BY q.next_attempt_at LIMIT p_limit FOR UPDATE SKIP LOCKED)
  RETURNING d.id, d.org_id
$$;
REVOKE ALL ON FUNCTION webhook_claim_deliveries(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhook_claim_deliveries(integer, integer) TO agentops_app;

-- Approval requests: what a require_approval decision created, and how it ended.
CREATE TABLE approvals (
  id                      uuid PRIMARY KEY,
  org_id                  uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  run_id                  text NOT NULL,
  agent_id                uuid NOT NULL,
  policy_id               uuid NOT NULL,
  policy_version          integer NOT NULL,
  policy_name             text NOT NULL,
  context                 jsonb NOT NULL,
  approval_required_from  text[] NOT NULL,
  requested_by_type       text NOT NULL CHECK (requested_by_type IN ('user', 'api_key', 'system')),
  requested_by            uuid,
  status                  text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  expires_at              timestamptz NOT NULL,
  decided_at              timestamptz,
  decided_by              uuid,
  decision_reason         text,
  comment                 text CHECK (length(comment) <= 2000),
  created_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX approvals_org_pending_idx ON approvals (org_id, created_at) WHERE status = 'pending';
CREATE INDEX approvals_expiry_idx ON approvals (expires_at) WHERE status = 'pending';
CREATE INDEX approvals_agent_pending_idx ON approvals (org_id, agent_id) WHERE status = 'pending';
ALTER TABLE approvals ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON approvals USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- The organizations with pending approvals past their expiry (the sweeper then expires them per organization).
CREATE FUNCTION approvals_due_orgs() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT DISTINCT org_id FROM approvals WHERE status = 'pending' AND expires_at <= now() $$;
REVOKE ALL ON FUNCTION approvals_due_orgs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approvals_due_orgs() TO agentops_app;

GRANT SELECT, INSERT, UPDATE ON cost_daily TO agentops_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON budgets, budget_spend TO agentops_app;
GRANT SELECT, INSERT, DELETE ON budget_alerts TO agentops_app;
GRANT SELECT, INSERT ON notifications TO agentops_app;
GRANT SELECT, INSERT, DELETE ON notification_reads TO agentops_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints TO agentops_app;
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO agentops_app;
GRANT SELECT, INSERT, UPDATE ON approvals TO agentops_app;
