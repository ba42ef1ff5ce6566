-- The Stripe ledger as it stands: one row per balance transaction id, from completed loads only.
-- Backfills append rows again (see README-contract.md), so every reader goes through this view.
CREATE OR REPLACE VIEW finops.stripe_balance_transactions AS
SELECT *
FROM finops_raw.stripe_revenue__balance_transactions
WHERE _dlt_load_id IN (SELECT load_id FROM finops_raw.stripe_revenue___dlt_loads WHERE status = 0)
ORDER BY _loaded_at DESC, _dlt_load_id DESC
LIMIT 1 BY id;
