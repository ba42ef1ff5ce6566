-- Every state of every subscription that a completed load saw, one row per subscription and
-- `_loaded_at` (README-contract.md: subscriptions are appended with every load, so this table is the
-- history of states; int_stripe__subscription_states values each of them).
{{ stripe_current('subscriptions', key='id, _loaded_at') }}
