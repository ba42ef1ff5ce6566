-- MRR of every customer at every month's end and how it moved: finops.int_stripe__customer_mrr, one row
-- per customer, currency and month in which the customer had MRR at the start or the end of the month.
-- Movements are per customer, as in Stripe's and most SaaS analytics (a second subscription of an
-- existing customer is expansion, not new business):
--   new            no MRR at the start, MRR at the end, never had MRR before
--   reactivation   no MRR at the start, MRR at the end, had MRR in an earlier month
--   expansion      MRR at both ends, higher at the end
--   contraction    MRR at both ends, lower at the end
--   churn          MRR at the start, none at the end
--   unchanged      the same at both ends
-- mrr_change = mrr - mrr_at_start, so per month: mrr = mrr_at_start + the sum of every mrr_change.
-- mrr_at_start is the MRR at the end of the previous month.
WITH
    customer_months AS (
        SELECT month, month_start, currency, customer, sum(mrr) AS mrr, countIf(active_at_end) AS active_subscriptions
        FROM {{ ref('int_stripe__subscription_mrr') }}
        GROUP BY month, month_start, currency, customer
    ),
    with_history AS (
        SELECT
            *,
            -- A customer's months are contiguous while a subscription runs; a gap means no
            -- subscription (and so no MRR) in the month before.
            lagInFrame(month_start, 1) OVER by_month AS previous_row_month,
            lagInFrame(mrr, 1) OVER by_month AS previous_row_mrr,
            max(mrr) OVER (PARTITION BY currency, customer ORDER BY month_start
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_mrr_before
        FROM customer_months
        WINDOW by_month AS (PARTITION BY currency, customer ORDER BY month_start
                            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ),
    moved AS (
        SELECT
            month,
            month_start,
            currency,
            customer,
            mrr,
            if(previous_row_month = addMonths(month_start, -1), previous_row_mrr, toDecimal128(0, 10)) AS mrr_at_start,
            mrr - mrr_at_start AS mrr_change,
            multiIf(mrr_at_start = 0 AND mrr > 0, if(best_mrr_before > 0, 'reactivation', 'new'),
                    mrr_at_start > 0 AND mrr = 0, 'churn',
                    mrr > mrr_at_start, 'expansion',
                    mrr < mrr_at_start, 'contraction',
                    'unchanged') AS movement,
            active_subscriptions
        FROM with_history
    )
SELECT month, month_start, currency, customer, mrr, mrr_at_start, mrr_change, movement, active_subscriptions
FROM moved
WHERE mrr != 0 OR mrr_at_start != 0
