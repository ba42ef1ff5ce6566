-- Stripe credit notes as they stand (README-contract.md's dedup rule): completed loads, the newest copy of each id.
{{ stripe_current('credit_notes') }}
