-- Monthly recurring revenue (MRR) and subscription churn per currency, from Stripe subscriptions.
--
-- Input: finops_raw.stripe_revenue__subscriptions and __subscription_items (current state, see
-- README-contract.md; deduplicated here with the contract's rule). Per month (UTC) and currency:
--   mrr                     recurring amount of the subscriptions active at the month's end, in major
--                           units: unit_amount * quantity normalised to one month (year / 12,
--                           week * 52 / 12, day * 365 / 12, divided by interval_count), / 10^exponent
--   active_subscriptions    active at the month's end (started, not ended, trial over, not incomplete)
--   active_customers        distinct customers of those
--   new_subscriptions       started in the month
--   churned_subscriptions   ended in the month (ended_at), churned_mrr their MRR
--   subscriptions_at_start  active at the month's start; subscription_churn_rate = churned / at start
-- Months run from the first subscription's month to the month of the newest load.
-- Limits: history uses each subscription's current items (a plan change is not back-dated), metered
-- items (usage_type = 'metered') and discounts are left out, currencies are not converted.
-- Rebuilt into a side table and swapped in, like the other derived tables.
CREATE DATABASE IF NOT EXISTS finops;

CREATE TABLE IF NOT EXISTS finops.stripe_mrr_monthly
(
    month                   String,
    currency                String,
    mrr                     Decimal(38, 10),
    active_subscriptions    UInt64,
    active_customers        UInt64,
    new_subscriptions       UInt64,
    churned_subscriptions   UInt64,
    churned_mrr             Decimal(38, 10),
    subscriptions_at_start  UInt64,
    subscription_churn_rate Float64,
    new_mrr                 Decimal(38, 10)
)
ENGINE = MergeTree
ORDER BY (month, currency);

DROP TABLE IF EXISTS finops.stripe_mrr_monthly__next;
CREATE TABLE finops.stripe_mrr_monthly__next AS finops.stripe_mrr_monthly;

INSERT INTO finops.stripe_mrr_monthly__next
WITH
    subs AS (
        SELECT id, customer, status, currency, start_date, ended_at, trial_end, _loaded_at
        FROM finops_raw.stripe_revenue__subscriptions
        ORDER BY _loaded_at DESC, _dlt_load_id DESC
        LIMIT 1 BY id
    ),
    items AS (
        SELECT id, subscription, quantity, unit_amount, currency, currency_exponent,
               recurring_interval, recurring_interval_count, recurring_usage_type
        FROM finops_raw.stripe_revenue__subscription_items
        ORDER BY _loaded_at DESC, _dlt_load_id DESC
        LIMIT 1 BY id
    ),
    item_mrr AS (
        SELECT
            subscription,
            lower(currency) AS currency,
            toDecimal128(ifNull(unit_amount, 0) * ifNull(quantity, 1), 10)
                * multiIf(recurring_interval = 'month', toDecimal128(1, 10),
                          recurring_interval = 'year',  toDecimal128(1, 10) / 12,
                          recurring_interval = 'week',  toDecimal128(52, 10) / 12,
                          recurring_interval = 'day',   toDecimal128(365, 10) / 12,
                          toDecimal128(0, 10))
                / greatest(ifNull(recurring_interval_count, 1), 1)
                / intExp10(ifNull(currency_exponent, 2)) AS mrr
        FROM items
        WHERE ifNull(recurring_usage_type, 'licensed') = 'licensed'
    ),
    sub_mrr AS (
        SELECT
            s.id                    AS subscription,
            any(s.customer)         AS customer,
            any(lower(s.currency))  AS currency,
            any(s.status)           AS status,
            any(s.start_date)       AS start_date,
            any(s.ended_at)         AS ended_at,
            any(s.trial_end)        AS trial_end,
            sum(i.mrr)              AS mrr
        FROM subs AS s
        INNER JOIN item_mrr AS i ON i.subscription = s.id
        GROUP BY s.id
    ),
    bounds AS (
        SELECT toStartOfMonth(min(toDate(start_date, 'UTC'))) AS first_month,
               toStartOfMonth(max(toDate(_loaded_at, 'UTC'))) AS last_month
        FROM subs
    ),
    months AS (
        SELECT addMonths(first_month, toInt32(n)) AS month_start
        FROM bounds
        ARRAY JOIN range(toUInt32(greatest(dateDiff('month', first_month, last_month), 0)) + 1) AS n
    ),
    flags AS (
        SELECT
            formatDateTime(m.month_start, '%Y-%m') AS month,
            sm.currency AS currency,
            sm.customer AS customer,
            sm.mrr AS subscription_mrr,
            toDateTime64(m.month_start, 6, 'UTC') AS period_start,
            toDateTime64(addMonths(m.month_start, 1), 6, 'UTC') AS period_end,
            sm.status NOT IN ('incomplete', 'incomplete_expired') AS counted,
            counted AND sm.start_date < period_end
                AND (sm.ended_at IS NULL OR sm.ended_at >= period_end)
                AND (sm.trial_end IS NULL OR sm.trial_end < period_end) AS active_at_end,
            counted AND sm.start_date < period_start
                AND (sm.ended_at IS NULL OR sm.ended_at >= period_start) AS active_at_start,
            sm.start_date >= period_start AND sm.start_date < period_end AS started,
            sm.ended_at IS NOT NULL AND sm.ended_at >= period_start AND sm.ended_at < period_end AS churned
        FROM months AS m
        CROSS JOIN sub_mrr AS sm
    )
SELECT
    month,
    currency,
    sumIf(subscription_mrr, active_at_end) AS mrr,
    countIf(active_at_end)                 AS active_subscriptions,
    uniqExactIf(customer, active_at_end)   AS active_customers,
    countIf(started)                       AS new_subscriptions,
    countIf(churned AND counted)           AS churned_subscriptions,
    sumIf(subscription_mrr, churned AND counted) AS churned_mrr,
    countIf(active_at_start)               AS subscriptions_at_start,
    if(subscriptions_at_start = 0, 0, churned_subscriptions / subscriptions_at_start) AS subscription_churn_rate,
    sumIf(subscription_mrr, started AND counted) AS new_mrr
FROM flags
GROUP BY month, currency;

EXCHANGE TABLES finops.stripe_mrr_monthly__next AND finops.stripe_mrr_monthly;
DROP TABLE finops.stripe_mrr_monthly__next;
