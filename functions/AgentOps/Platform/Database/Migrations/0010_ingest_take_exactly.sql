-- 0010 a worker takes exactly the batches it locked, and sets aside only the batch that failed on its own.

-- Before: DELETE ... WHERE seq IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED) was planned as a nested-loop semi-join
-- that ran the locking subquery again for every row scanned. When another worker released locks meanwhile (its
-- transaction had failed), a later run returned other rows, and the call took more batches than asked: a worker
-- isolating "one" batch could take two and blame the first for the second one's error. A locking CTE runs once.
CREATE OR REPLACE FUNCTION ingest_take_batches(p_limit integer)
RETURNS TABLE (id uuid, org_id uuid, accepted_at timestamptz, payload bytea)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  WITH taken AS (SELECT q.seq FROM ingest_batches q ORDER BY q.seq LIMIT p_limit FOR UPDATE SKIP LOCKED)
  DELETE FROM ingest_batches b USING taken WHERE b.seq = taken.seq
  RETURNING b.id, b.org_id, b.accepted_at, b.payload
$$;

-- One batch by id, unless another worker holds it (it will reach its own verdict) or it is gone.
CREATE FUNCTION ingest_take_batch(p_id uuid)
RETURNS TABLE (id uuid, org_id uuid, accepted_at timestamptz, payload bytea)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  WITH taken AS (SELECT q.seq FROM ingest_batches q WHERE q.id = p_id FOR UPDATE SKIP LOCKED)
  DELETE FROM ingest_batches b USING taken WHERE b.seq = taken.seq
  RETURNING b.id, b.org_id, b.accepted_at, b.payload
$$;

-- Moves one batch to the dead letters, unless another worker holds it or it is already gone (then no row: nothing was
-- moved, and nothing is moved twice).
DROP FUNCTION ingest_dead_letter(uuid, text);
CREATE FUNCTION ingest_dead_letter(p_id uuid, p_error text)
RETURNS TABLE (org_id uuid, event_count integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  WITH taken AS (SELECT q.seq FROM ingest_batches q WHERE q.id = p_id FOR UPDATE SKIP LOCKED),
  moved AS (DELETE FROM ingest_batches b USING taken WHERE b.seq = taken.seq RETURNING b.id, b.org_id, b.accepted_at, b.event_count, b.payload)
  INSERT INTO ingest_dead_letters (id, org_id, accepted_at, event_count, error, payload)
  SELECT id, org_id, accepted_at, event_count, left(p_error, 2000), payload FROM moved
  RETURNING org_id, event_count
$$;

REVOKE ALL ON FUNCTION ingest_take_batch(uuid), ingest_dead_letter(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ingest_take_batch(uuid), ingest_dead_letter(uuid, text) TO agentops_app;
