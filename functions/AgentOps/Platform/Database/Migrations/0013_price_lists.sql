-- 0013 — feature: Costs. The public model price list becomes reference data the application loads and versions
-- (Costs/prices/<version>.json, embedded, dated and sourced; Costs/PriceLists.cs) instead of a migration: a new price
-- list is a data change. At start-up, as the schema owner and after the migrations, every embedded version not yet
-- applied is upserted into model_prices by (provider, model, effective_from) among the public rows, and recorded here.
-- 0003's seed stays (migrations are forward-only); the first list, 2026-11, holds the same rows, so applying it
-- changes nothing on a database 0003 seeded.
CREATE UNIQUE INDEX model_prices_public_key ON model_prices (provider, model, effective_from) WHERE org_id IS NULL;

-- One row per price list version applied: the system's audit record of the change (a public price belongs to no
-- organization, so it cannot go to audit_logs): what the file was (checksum), when and by which build it was applied,
-- and every row it added or changed, before and after.
CREATE TABLE price_lists (
  version      text PRIMARY KEY,
  read_on      date NOT NULL,
  checksum     text NOT NULL,
  applied_at   timestamptz NOT NULL DEFAULT now(),
  applied_by   text NOT NULL,
  rows_added   integer NOT NULL,
  rows_changed integer NOT NULL,
  changes      jsonb NOT NULL
);
-- Reference data like the public prices: every organization may read it, only the schema owner writes it.
ALTER TABLE price_lists ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_all ON price_lists FOR SELECT USING (true);
GRANT SELECT ON price_lists TO agentops_app;
