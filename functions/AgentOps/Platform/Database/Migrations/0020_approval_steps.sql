-- 0020 — feature: Approvals. A policy check may name the step of the run it asks about (an SDK retrying, or a
-- resumed agent, asks again about the same step): one approval request per (organization, run, step), so a repeated
-- check returns the request already made instead of a new one. Concurrent identical checks insert with
-- ON CONFLICT DO NOTHING on this index and then read the one row. Checks without a step create a request each, as before.
ALTER TABLE approvals ADD COLUMN step text CHECK (length(step) BETWEEN 1 AND 200);
CREATE UNIQUE INDEX approvals_run_step_key ON approvals (org_id, run_id, step) WHERE step IS NOT NULL;
