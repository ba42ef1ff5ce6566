-- MRR of every subscription at every month's end: finops.int_stripe__subscription_mrr, one row per
-- subscription and month from the month it started to the month it ended (or the month of the newest
-- load). The base of the customer movements (int_stripe__customer_mrr) and the monthly figures (int_stripe__mrr_monthly).
--
-- MRR as Stripe's Billing analytics define it (README-contract.md cites the glossary):
--   * counts while the subscription is `active` or `past_due`; not `trialing` (a trial is not a
--     subscriber), `unpaid` (dunning that ends unpaid is churn that month), `paused`, `incomplete`,
--     `incomplete_expired`, nor after it ended. A subscription with MRR 0 (free plan, 100 % off) is not
--     an active subscriber either;
--   * each licensed item's real price for its quantity: per unit (`unit_amount_decimal`, sub-cent
--     prices included), package (`transform_quantity`: quantity / divide_by, rounded up or down, times
--     the unit amount), tiered `volume` (every unit at the tier the quantity falls in, plus its flat
--     amount) and `graduated` (each tier's units at its price, plus the flat amount of every tier
--     reached); metered items are not MRR;
--   * discounts: `forever` coupons always, `repeating` ones while they apply (start < month end <= end),
--     `once` never. Each applies to its items only: an item's own discount (items.data[].discounts) to
--     that item, a coupon restricted to products (`applies_to.products`) to the items of those products,
--     any other to every item. Item discounts first, then the subscription's (Stripe applies subscription
--     item discounts before subscription discounts); within each, percent_off, then amount_off (per
--     billing period, in the subscription's currency: a coupon's `currency_options` amount for it,
--     shared among its items in proportion to what is left of them) in order; an item never below 0;
--   * each item in the subscription's currency: a multi-currency price gives its `currency_options`
--     amount (and tiers) for that currency;
--   * normalised to a month: year / 12, week * 52 / 12, day * 365 / 12, / interval_count; major units.
--
-- History that later loads never rewrite. The subscription states come from:
--   * every state a load saw (raw `subscriptions` is appended; `_loaded_at` = when it was seen), and
--   * Stripe's customer.subscription.* events: the object after each change (at `created`), and for
--     `updated` events the object before it (previous_attributes put back).
-- Events are kept from `coverage_start` (the oldest event loaded) on, so every change after it is dated.
-- MRR at the instant T that ends a month is, in this order:
--   1. the latest state seen before T, when it was seen after coverage_start or T is still to come
--      (the running month)                                      -> mrr_source 'snapshot' / 'event'
--   2. from coverage_start on: the state just after T (the state before the first event after T, or
--      the first snapshot after T); no change happened in between, events would show it
--                                                               -> 'snapshot' / 'event'
--   3. otherwise (a first load's past months, or history without events) reconstructed, and flagged
--      `reconstructed`: the invoice lines that billed T (subscription lines less their
--      discount_amounts but those of `once` coupons, plus proration lines at their price with the sign
--      of their amount, less their percent coupons; int_stripe__invoice_mrr)
--                                                               -> 'invoice'
--      else the latest state seen before T, else the earliest one after it -> 'snapshot' / 'event'
-- So a closed month changes only when Stripe restates it (an event or invoice for that period), and
-- mrr_source_id names the object that set the figure (load id of the snapshot, event id, invoice ids).
-- The states are int_stripe__subscription_states, the invoice figures int_stripe__invoice_mrr.
{%- set far_future = "toDateTime64('2200-01-01 00:00:00', 6, 'UTC')" %}
{%- set has_trial_start = has_column('stripe_revenue__subscriptions', 'trial_start') %}
{#- Inside the discount fold (acc: what is left of each item; mask: the items a discount applies to, bit i-1
    for item i; amt: an amount_off per billing period, minor units): what is left of its items, their sum,
    and the running sum of the amount's shares (the last one is the amount taken, at most their sum).
    Products of two Decimals go through mul_div: a plain product / Decimal overflows silently past 1.7e8. -#}
{%- set masked = "arrayMap((x, i) -> if(bitTest(mask, i - 1), x, toDecimal128(0, 10)), acc, arrayEnumerate(acc))" %}
{%- set masked_sum = "arraySum(" ~ masked ~ ")" %}
{%- set taken = "least(" ~ mul_div('amt', 'period_to_month', 'intExp10(exponent)', if_zero='toDecimal128(0, 10)') ~ ", " ~ masked_sum ~ ")" %}
{%- set shares = "arrayMap(running -> " ~ mul_div(taken, 'running', masked_sum, if_zero='toDecimal128(0, 10)') ~ ", arrayCumSum(" ~ masked ~ "))" %}
WITH
    seen_states AS (
        SELECT * FROM {{ ref('int_stripe__subscription_states') }} WHERE kind IN ('snapshot', 'event')
    ),
    next_states AS (
        SELECT * FROM {{ ref('int_stripe__subscription_states') }} WHERE kind IN ('snapshot', 'event_before')
    ),
    states AS (
        SELECT * FROM seen_states
    ),
    coverage AS (
        SELECT ifNull(any(events_since), {{ far_future }}) AS coverage_start FROM {{ ref('int_stripe__subscription_states') }}
    ),
    latest AS (
        -- what the newest state says: customer, currency, start, end, status (facts that only settle)
        SELECT
            subscription,
            argMax(customer, at) AS customer,
            argMax(currency, at) AS currency,
            argMax(status, at) AS status,
            argMax(start_date, at) AS start_date,
            argMax(ended_at, at) AS ended_at,
            argMax(trial_end, at) AS trial_end
        FROM states
        GROUP BY subscription
    ),
    bounds AS (
        SELECT max(at) AS last_load, toStartOfMonth(toDate(max(at), 'UTC')) AS last_month FROM {{ ref('int_stripe__subscription_states') }} WHERE kind = 'snapshot'
    ),
    invoice_mrr AS (
        SELECT * FROM {{ ref('int_stripe__invoice_mrr') }}
    ),
    trial_starts AS (
        -- when the newest trial a load saw began (a trial can be added to a subscription long after it started)
        {%- if has_trial_start %}
        SELECT id AS subscription, argMax(trial_start, _loaded_at) AS trial_start
        FROM {{ ref('stg_stripe__subscriptions') }}
        GROUP BY id
        {%- else %}
        SELECT '' AS subscription, CAST(NULL, 'Nullable(DateTime64(6, \'UTC\'))') AS trial_start
        WHERE 0
        {%- endif %}
    ),
    subscription_months AS (
        SELECT
            l.*,
            addMonths(toStartOfMonth(toDate(l.start_date, 'UTC')), toInt32(n)) AS month_start,
            toDateTime64(addMonths(toStartOfMonth(toDate(l.start_date, 'UTC')), toInt32(n) + 1), 6, 'UTC') AS month_end
        FROM
        (
            SELECT latest.*, bounds.last_load AS last_load, bounds.last_month AS last_month, coverage.coverage_start AS coverage_start
            FROM latest CROSS JOIN bounds CROSS JOIN coverage
            WHERE latest.start_date IS NOT NULL
        ) AS l
        ARRAY JOIN range(toUInt32(greatest(dateDiff('month', toStartOfMonth(toDate(l.start_date, 'UTC')),
            if(l.ended_at IS NULL, l.last_month, least(l.last_month, toStartOfMonth(toDate(l.ended_at, 'UTC'))))),
            0)) + 1) AS n
    ),
    chosen AS (
        SELECT
            sm.subscription AS subscription,
            sm.customer AS customer,
            sm.currency AS currency,
            sm.status AS latest_status,
            sm.start_date AS start_date,
            sm.ended_at AS ended_at,
            sm.trial_end AS latest_trial_end,
            ts.trial_start AS latest_trial_start,
            sm.month_start AS month_start,
            sm.month_end AS month_end,
            sm.month_end > sm.last_load AS running,
            -- 1. the latest state seen before the month's end
            a.kind != '' AND (a.at >= sm.coverage_start OR running) AS use_seen,
            -- 2. the state right after it, once events date every change
            NOT use_seen AND b.kind != '' AND sm.month_end >= sm.coverage_start AS use_next,
            -- 3. reconstructed: invoices, else the earliest later state, else the latest earlier one
            NOT use_seen AND NOT use_next AND ifNull(im.lines, 0) > 0 AS use_invoice,
            use_seen OR (NOT use_next AND NOT use_invoice AND a.kind != '') AS take_seen,
            if(take_seen, a.kind, b.kind) AS state_kind,
            if(take_seen, a.source_id, b.source_id) AS state_source_id,
            if(take_seen, a.status, b.status) AS state_status,
            if(take_seen, a.trial_end, b.trial_end) AS state_trial_end,
            if(take_seen, a.item_mrr, b.item_mrr) AS item_mrr,
            if(take_seen, a.period_to_month, b.period_to_month) AS period_to_month,
            if(take_seen, a.exponent, b.exponent) AS exponent,
            if(take_seen, a.percent_off, b.percent_off) AS percent_off,
            if(take_seen, a.amount_off, b.amount_off) AS amount_off,
            if(take_seen, a.once, b.once) AS once,
            if(take_seen, a.starts, b.starts) AS starts,
            if(take_seen, a.ends, b.ends) AS ends,
            if(take_seen, a.discount_items, b.discount_items) AS discount_items,
            im.mrr AS invoice_mrr,
            im.invoice_ids AS invoice_ids
        FROM subscription_months AS sm
        ASOF LEFT JOIN seen_states AS a ON a.subscription = sm.subscription AND sm.month_end > a.at
        ASOF LEFT JOIN next_states AS b ON b.subscription = sm.subscription AND sm.month_end <= b.at
        LEFT JOIN invoice_mrr AS im ON im.subscription = sm.subscription AND im.month_start = sm.month_start
        LEFT JOIN trial_starts AS ts ON ts.subscription = sm.subscription
    ),
    valued AS (
        SELECT
            *,
            -- the discounts in force at the month's end, in the order the states keep them, each on the items
            -- it applies to: percent_off takes its share of each; amount_off (per billing period, at most what
            -- is left of its items) is shared among them in proportion to what is left of each, through the
            -- running sum so that the shares add up to the amount exactly
            arrayFold((acc, pct, amt, no, since, till, mask) ->
                          multiIf(no OR NOT (since < month_end AND till >= month_end), acc,
                                  pct != 0,
                                  arrayMap((x, i) -> if(bitTest(mask, i - 1), {{ mul_div('x', 'toDecimal128(100, 10) - pct', '100', if_zero='x') }}, x),
                                           acc, arrayEnumerate(acc)),
                                  amt != 0,
                                  arrayMap((x, taken, taken_before) -> toDecimal128(x - (taken - taken_before), 10),
                                           acc, {{ shares }}, arrayPushFront(arrayPopBack({{ shares }}), toDecimal128(0, 10))),
                                  acc),
                      percent_off, amount_off, once, starts, ends, discount_items, item_mrr) AS after_discounts,
            -- a cancelled state whose end is still to come was live at this instant: in its trial when that ends
            -- at or after it (a deletion has no state before it; any other change after the instant would), else active
            multiIf(ifNull(state_status, '') != 'canceled', state_status,
                    ifNull(state_trial_end >= month_end, false), 'trialing',
                    'active') AS live_status,
            start_date < month_end AND (ended_at IS NULL OR ended_at >= month_end) AS live,
            -- invoices: not inside the newest trial (trial_start < month_end <= trial_end; from the start when its
            -- trial_start is unknown); earlier paid months count what they billed (a trial's lines are 0.00)
            if(use_invoice,
               latest_status NOT IN ('incomplete', 'incomplete_expired')
                   AND (latest_trial_end IS NULL OR latest_trial_end < month_end
                        OR ifNull(latest_trial_start >= month_end, false)),
               live_status IN ('active', 'past_due')
                   OR (live_status = 'trialing' AND state_trial_end IS NOT NULL AND state_trial_end < month_end)) AS counted,
            if(use_invoice, ifNull(invoice_mrr, toDecimal128(0, 10)),
               toDecimal128(greatest(arraySum(after_discounts), toDecimal128(0, 10)), 10)) AS month_end_mrr
        FROM chosen
    ),
    flagged AS (
        SELECT
            *,
            live AND counted AND month_end_mrr > 0 AS is_active_at_end,
            lagInFrame(toUInt8(is_active_at_end), 1, 0) OVER (PARTITION BY subscription ORDER BY month_start
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) = 1 AS is_active_at_start
        FROM valued
    )
SELECT
    formatDateTime(month_start, '%Y-%m')                                AS month,
    month_start,
    ifNull(currency, '')                                                AS currency,
    ifNull(customer, '')                                                AS customer,
    subscription,
    ifNull(latest_status, '')                                           AS status,
    if(is_active_at_end, month_end_mrr, toDecimal128(0, 10))            AS mrr,
    multiIf(use_invoice, 'invoice', state_kind = 'event_before', 'event', state_kind)  AS mrr_source,
    is_active_at_start                                                  AS active_at_start,
    is_active_at_end                                                    AS active_at_end,
    is_active_at_end AND NOT is_active_at_start                         AS started,
    is_active_at_start AND NOT is_active_at_end                         AS ended,
    NOT (use_seen OR use_next)                                          AS reconstructed,
    if(use_invoice, invoice_ids, state_source_id)                       AS mrr_source_id
FROM flagged
