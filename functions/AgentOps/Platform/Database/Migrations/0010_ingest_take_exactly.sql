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

-- Isolation looks batches up by id: without an index each look-up scanned the queue, just when it was long.
CREATE UNIQUE INDEX ingest_batches_id ON ingest_batches (id);

-- One batch by id, locked for the caller's transaction and left in place, unless another worker holds it (that worker
-- reaches its own verdict) or it is gone (processed, or set aside).
CREATE FUNCTION ingest_lock_batch(p_id uuid)
RETURNS TABLE (id uuid, org_id uuid, accepted_at timestamptz, payload bytea)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT b.id, b.org_id, b.accepted_at, b.payload FROM ingest_batches b WHERE b.id = p_id FOR UPDATE SKIP LOCKED $$;

-- Deletes a batch the caller's transaction locked and processed.
CREATE FUNCTION ingest_delete_batch(p_id uuid) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ DELETE FROM ingest_batches WHERE id = p_id $$;

-- Moves a batch the caller's transaction locked to the dead letters; its organization and event count come back.
-- (ingest_dead_letter stays as it was for a replica of the previous version during a rolling deploy.)
CREATE FUNCTION ingest_set_aside(p_id uuid, p_error text)
RETURNS TABLE (org_id uuid, event_count integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  WITH moved AS (DELETE FROM ingest_batches b WHERE b.id = p_id RETURNING b.id, b.org_id, b.accepted_at, b.event_count, b.payload)
  INSERT INTO ingest_dead_letters (id, org_id, accepted_at, event_count, error, payload)
  SELECT m.id, m.org_id, m.accepted_at, m.event_count, left(p_error, 2000), m.payload FROM moved m
  RETURNING ingest_dead_letters.org_id, ingest_dead_letters.event_count
$$;

REVOKE ALL ON FUNCTION ingest_lock_batch(uuid), ingest_delete_batch(uuid), ingest_set_aside(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ingest_lock_batch(uuid), ingest_delete_batch(uuid), ingest_set_aside(uuid, text) TO agentops_app;
