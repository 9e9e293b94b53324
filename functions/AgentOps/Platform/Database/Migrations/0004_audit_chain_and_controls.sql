-- 0004 audit chain and emergency controls.
--
-- Tamper evidence: every audit row carries chain_index (its place in its organization's chain), prev_hash (the
-- previous row's hash) and hash = sha256(prev_hash || audit_canonical(row)). A trigger assigns them under a lock on
-- the organization's chain head, so concurrent writers form one chain. Changing, inserting or deleting a row
-- anywhere breaks the chain from there on, which GET /api/v1/audit-logs/verify detects by recomputing it.

CREATE TABLE audit_chain_heads (
  org_id       uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  last_index   bigint NOT NULL,
  last_hash    bytea NOT NULL
);
-- Only the trigger (SECURITY DEFINER, as the owner) touches chain heads; the application role has no grant.
ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;

ALTER TABLE audit_logs
  ADD COLUMN chain_index bigint,
  ADD COLUMN prev_hash bytea,
  ADD COLUMN hash bytea;

-- The exact text a row's hash covers: every field, in a fixed order, with fixed renderings.
CREATE FUNCTION audit_canonical(a audit_logs) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT concat_ws(E'\x1f', a.id::text, a.org_id::text, a.chain_index::text, a.actor_type, coalesce(a.actor_id::text, ''), a.action,
                   a.entity_type, coalesce(a.entity_id, ''), coalesce(a.before::text, ''), coalesce(a.after::text, ''),
                   coalesce(a.ip, ''), coalesce(a.user_agent, ''),
                   to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;

CREATE FUNCTION audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  head audit_chain_heads%ROWTYPE;
BEGIN
  INSERT INTO audit_chain_heads (org_id, last_index, last_hash) VALUES (NEW.org_id, 0, '\x'::bytea)
  ON CONFLICT (org_id) DO NOTHING;
  SELECT * INTO head FROM audit_chain_heads WHERE org_id = NEW.org_id FOR UPDATE;
  NEW.chain_index := head.last_index + 1;
  NEW.prev_hash := head.last_hash;
  NEW.hash := sha256(NEW.prev_hash || convert_to(audit_canonical(NEW), 'UTF8'));
  UPDATE audit_chain_heads SET last_index = NEW.chain_index, last_hash = NEW.hash WHERE org_id = NEW.org_id;
  RETURN NEW;
END
$$;

-- Rows written before this migration start each organization's chain, in their order of record.
DO $$
DECLARE
  r record;
  prev bytea;
  idx bigint;
  current_org uuid := NULL;
BEGIN
  FOR r IN SELECT * FROM audit_logs ORDER BY org_id, seq LOOP
    IF current_org IS DISTINCT FROM r.org_id THEN current_org := r.org_id; prev := '\x'::bytea; idx := 0; END IF;
    idx := idx + 1;
    UPDATE audit_logs SET chain_index = idx, prev_hash = prev WHERE id = r.id;
    UPDATE audit_logs a SET hash = sha256(prev || convert_to(audit_canonical(a), 'UTF8')) WHERE a.id = r.id RETURNING a.hash INTO prev;
    INSERT INTO audit_chain_heads (org_id, last_index, last_hash) VALUES (r.org_id, idx, prev)
    ON CONFLICT (org_id) DO UPDATE SET last_index = excluded.last_index, last_hash = excluded.last_hash;
  END LOOP;
END
$$;

ALTER TABLE audit_logs
  ALTER COLUMN chain_index SET NOT NULL,
  ALTER COLUMN prev_hash SET NOT NULL,
  ALTER COLUMN hash SET NOT NULL,
  ADD CONSTRAINT audit_logs_chain_key UNIQUE (org_id, chain_index);

CREATE TRIGGER audit_chain BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION audit_chain();
GRANT EXECUTE ON FUNCTION audit_canonical(audit_logs) TO agentops_app;

-- Emergency controls: why an agent is paused, and whether the organization's kill switch is on.
ALTER TABLE agents
  ADD COLUMN paused_reason text CHECK (length(paused_reason) <= 500),
  ADD COLUMN paused_by_kill_switch boolean NOT NULL DEFAULT false;
ALTER TABLE organizations
  ADD COLUMN killed_at timestamptz,
  ADD COLUMN killed_reason text CHECK (length(killed_reason) <= 500);
