"""Deterministic sample Stripe account data: a small SaaS with monthly and yearly plans.

`generate_stripe_data(["2026-07", "2026-08"])` returns `{object_type: [objects]}` for the object
types the Stripe stand-in serves (customers, products, prices, subscriptions, invoices, charges,
refunds, disputes, balance_transactions, events), shaped like the real API objects of the pinned
API version (for example a subscription's current period is on its items, an invoice's
subscription is under `parent.subscription_details`). Amounts are integers in the currency's minor
unit, as Stripe gives them (JPY has none, KWD has three).

Money model: each customer pays in one currency (chosen from `currencies`) and the account settles in
that same currency (balance transactions are in the charge's currency, `exchange_rate` null).
Processing fees are 2.9% + a fixed fee per successful charge, a Billing usage fee of 0.7% of the
month's billed volume is booked as a `stripe_fee` balance transaction on the month's last day,
disputes cost a dispute fee (refunded when won).

One module per kind of object: `catalogue` (products, prices), `customers`, `subscriptions` (with
plan changes and prorations), `invoices` (with their charges), `reversals` (refunds, disputes),
`balance` (balance transactions, the Billing usage fee), `events`; `account` holds what they share
(the random generators, the window, the objects made so far) and `generate` runs them in order.

CLI: `python -m standins.sample_data.stripe --months 2026-07 2026-08 --out stripe.json`
"""

from standins.sample_data.stripe.generate import generate_stripe_data

__all__ = ["generate_stripe_data"]
