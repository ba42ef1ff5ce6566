-- The Stripe ledger as it stands: one row per balance transaction id, from completed loads only.
-- Backfills append rows again (see README-contract.md), so every reader goes through this view.
{{ stripe_current('balance_transactions') }}
