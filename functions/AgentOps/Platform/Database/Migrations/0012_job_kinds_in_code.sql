-- 0012 — feature: Jobs. Job kinds are the IJobKind implementations the application registers, and the Jobs feature
-- refuses any other at create (422 validation_failed on $.kind, naming the registered kinds), so a new kind is a code
-- change, not a migration: the CHECKs that froze the list of kinds go. What stays is the shape of a kind's name
-- (lower-case identifier), which no kind will change. A server only ever takes jobs of the kinds it runs
-- (jobs_take_due, jobs_running: p_kinds), so servers of different versions can share the tables during a deploy.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE job_schedules DROP CONSTRAINT job_schedules_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_name CHECK (kind ~ '^[a-z][a-z0-9_]{0,62}$');
ALTER TABLE job_schedules ADD CONSTRAINT job_schedules_kind_name CHECK (kind ~ '^[a-z][a-z0-9_]{0,62}$');
