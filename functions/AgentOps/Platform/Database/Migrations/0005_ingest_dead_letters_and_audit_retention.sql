-- 0005 a batch that cannot be stored no longer blocks the queue; the audit trail cannot be erased by deleting its
-- organization.

-- Accepted batches that failed processing on their own (after the worker retried them one by one). Kept, with the
-- error, for an operator to inspect; the queue moves on.
CREATE TABLE ingest_dead_letters (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  accepted_at  timestamptz NOT NULL,
  failed_at    timestamptz NOT NULL DEFAULT now(),
  event_count  integer NOT NULL,
  error        text NOT NULL,
  payload      bytea NOT NULL
);
ALTER TABLE ingest_dead_letters ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ingest_dead_letters USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
GRANT SELECT ON ingest_dead_letters TO agentops_app;

-- Moves one accepted batch (by id) to the dead letters, in the caller's transaction.
CREATE FUNCTION ingest_dead_letter(p_id uuid, p_error text) RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  WITH moved AS (DELETE FROM ingest_batches WHERE id = p_id RETURNING id, org_id, accepted_at, event_count, payload)
  INSERT INTO ingest_dead_letters (id, org_id, accepted_at, event_count, error, payload)
  SELECT id, org_id, accepted_at, event_count, left(p_error, 2000), payload FROM moved
  RETURNING event_count
$$;
REVOKE ALL ON FUNCTION ingest_dead_letter(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ingest_dead_letter(uuid, text) TO agentops_app;

-- Foreign-key cascades run as the owner: deleting an organization would take its audit trail with it. The API never
-- deletes organizations; the application role may not, and the audit trail blocks it at the database too.
REVOKE DELETE ON organizations FROM agentops_app;
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_org_id_fkey;
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations(id) ON DELETE RESTRICT;
