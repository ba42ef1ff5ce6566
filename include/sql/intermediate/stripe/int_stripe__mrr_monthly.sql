-- MRR, its movements and churn per month (UTC) and currency: finops.int_stripe__mrr_monthly, from
-- int_stripe__subscription_mrr and int_stripe__customer_mrr. Amounts in major
-- units of the currency, not converted.
--   mrr                       MRR at the month's end; mrr_at_start the previous month's end
--   new_mrr, reactivation_mrr, expansion_mrr     MRR gained (>= 0), per customer movement
--   contraction_mrr, churned_mrr                 MRR lost (>= 0), per customer movement
--                             mrr = mrr_at_start + new + reactivation + expansion - contraction - churned
--   active_subscriptions      active at the month's end: active or past_due, out of trial, MRR > 0
--                             (free, trialing, unpaid, paused and ended subscriptions are not)
--   active_customers          distinct customers of those; paying_customers those with MRR > 0
--   paying_customers_at_start customers with MRR at the previous month's end
--   new_customers, churned_customers, reactivated_customers   customers per movement
--   new_subscriptions         became active in the month (a trial converting counts when it converts);
--   churned_subscriptions     active at the start, not at the end (cancelled, unpaid, paused, free);
--                             a trial cancelled at its end was never active: neither new nor churned
--   subscriptions_at_start    active at the month's start; subscription_churn_rate is Stripe's:
--                             churned / (active at the start + new in the month)
--   reconstructed_subscriptions  subscriptions whose month-end MRR was reconstructed (no state seen
--                             or dated by an event: a first load's past months, see int_stripe__subscription_mrr)
-- Months run from the first subscription's month to the month of the newest load.
WITH
    subscriptions AS (
        SELECT
            month,
            currency,
            countIf(active_at_end)                    AS active_subscriptions,
            uniqExactIf(customer, active_at_end)      AS active_customers,
            countIf(started)                          AS new_subscriptions,
            countIf(ended)                            AS churned_subscriptions,
            countIf(active_at_start)                  AS subscriptions_at_start,
            countIf(reconstructed AND (active_at_end OR active_at_start)) AS reconstructed_subscriptions
        FROM {{ ref('int_stripe__subscription_mrr') }}
        GROUP BY month, currency
    ),
    customers AS (
        SELECT
            month,
            currency,
            sum(cm.mrr)                                        AS mrr,
            sum(cm.mrr_at_start)                               AS mrr_at_start,
            sumIf(cm.mrr_change, cm.movement = 'new')          AS new_mrr,
            sumIf(cm.mrr_change, cm.movement = 'expansion')    AS expansion_mrr,
            -sumIf(cm.mrr_change, cm.movement = 'contraction') AS contraction_mrr,
            -sumIf(cm.mrr_change, cm.movement = 'churn')       AS churned_mrr,
            sumIf(cm.mrr_change, cm.movement = 'reactivation') AS reactivation_mrr,
            countIf(cm.mrr > 0)                                AS paying_customers,
            countIf(cm.mrr_at_start > 0)                       AS paying_customers_at_start,
            countIf(cm.movement = 'new')                       AS new_customers,
            countIf(cm.movement = 'churn')                     AS churned_customers,
            countIf(cm.movement = 'reactivation')              AS reactivated_customers
        FROM {{ ref('int_stripe__customer_mrr') }} AS cm
        GROUP BY month, currency
    )
SELECT
    s.month                                   AS month,
    s.currency                                AS currency,
    toDecimal128(c.mrr, 10)                   AS mrr,
    toDecimal128(c.mrr_at_start, 10)          AS mrr_at_start,
    toDecimal128(c.new_mrr, 10)               AS new_mrr,
    toDecimal128(c.expansion_mrr, 10)         AS expansion_mrr,
    toDecimal128(c.contraction_mrr, 10)       AS contraction_mrr,
    toDecimal128(c.churned_mrr, 10)           AS churned_mrr,
    toDecimal128(c.reactivation_mrr, 10)      AS reactivation_mrr,
    s.active_subscriptions                    AS active_subscriptions,
    s.active_customers                        AS active_customers,
    c.paying_customers                        AS paying_customers,
    c.paying_customers_at_start               AS paying_customers_at_start,
    c.new_customers                           AS new_customers,
    c.churned_customers                       AS churned_customers,
    c.reactivated_customers                   AS reactivated_customers,
    s.new_subscriptions                       AS new_subscriptions,
    s.churned_subscriptions                   AS churned_subscriptions,
    s.subscriptions_at_start                  AS subscriptions_at_start,
    if(s.subscriptions_at_start + s.new_subscriptions = 0, 0,
       s.churned_subscriptions / (s.subscriptions_at_start + s.new_subscriptions)) AS subscription_churn_rate,
    s.reconstructed_subscriptions             AS reconstructed_subscriptions
FROM subscriptions AS s
LEFT JOIN customers AS c ON c.month = s.month AND c.currency = s.currency
