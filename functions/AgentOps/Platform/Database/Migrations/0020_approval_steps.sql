-- 0020 — feature: Approvals. A policy check may name the step of the run it asks about (an SDK retrying, or a
-- resumed agent, asks again about the same step): one live approval request per (organization, run, step), so a
-- repeated check returns the request already made instead of a new one. Checks without a step create a request each,
-- as before.
--
-- The step's request answers only the same question: step_fingerprint is the SHA-256 of the canonical JSON (sorted
-- keys) of the check's action and context; with the row's agent_id and policy_id it must match, else the check is a
-- 409 step_conflict (never someone else's approval). A request that ended without a person's decision (expired, or
-- rejected by a pause or the kill switch) is superseded by the next check of its step: superseded_at is set and a
-- new request takes the step, so the unique index covers only requests not superseded.

-- The migrator runs each file in its own transaction: never queue behind a long reader for more than this (and
-- never make every other approvals query queue behind us); a failed migration is retried by the next deploy.
SET LOCAL lock_timeout = '5s';

-- New nullable columns without a default change only the catalog (no table rewrite). The checks are added NOT VALID
-- and validated separately: VALIDATE CONSTRAINT scans under SHARE UPDATE EXCLUSIVE only. (Within this one transaction
-- the ADD COLUMN's ACCESS EXCLUSIVE lock is held to the end anyway, so the split saves little here; every row's new
-- columns are NULL, so the scan is a read of the table, never a rewrite.)
ALTER TABLE approvals ADD COLUMN step text;
ALTER TABLE approvals ADD COLUMN step_fingerprint bytea;
ALTER TABLE approvals ADD COLUMN superseded_at timestamptz;
ALTER TABLE approvals ADD CONSTRAINT approvals_step_length CHECK (length(step) BETWEEN 1 AND 200) NOT VALID;
ALTER TABLE approvals ADD CONSTRAINT approvals_step_fingerprint CHECK ((step IS NULL) = (step_fingerprint IS NULL) AND (step_fingerprint IS NULL OR length(step_fingerprint) = 32)) NOT VALID;
ALTER TABLE approvals ADD CONSTRAINT approvals_superseded_step CHECK (superseded_at IS NULL OR step IS NOT NULL) NOT VALID;
ALTER TABLE approvals VALIDATE CONSTRAINT approvals_step_length;
ALTER TABLE approvals VALIDATE CONSTRAINT approvals_step_fingerprint;
ALTER TABLE approvals VALIDATE CONSTRAINT approvals_superseded_step;

-- Built without CONCURRENTLY (which cannot run inside the migration's transaction): it blocks writes to approvals for
-- the build, and no existing row has a step, so the partial index is empty and the build is one scan of the table.
-- Concurrent identical checks insert with ON CONFLICT DO NOTHING on this index and then lock and read the one row.
CREATE UNIQUE INDEX approvals_run_step_key ON approvals (org_id, run_id, step) WHERE step IS NOT NULL AND superseded_at IS NULL;
