-- The same per month and currency, unconverted (no sum across currencies): recognised and cash revenue,
-- fees, MRR, active and paying customers of that currency, and revenue per paying customer.
WITH
    revenue AS
    (
        SELECT month, lower(currency) AS currency, recognised_revenue, cash_revenue, fees
        FROM {{ ref('monthly_recognised_revenue') }}
    ),
    mrr AS
    (
        SELECT month, currency, mrr, active_customers, paying_customers FROM {{ ref('int_stripe__mrr_monthly') }}
    ),
    months AS
    (
        SELECT month, currency FROM revenue UNION DISTINCT SELECT month, currency FROM mrr
    )
SELECT
    k.month                                                   AS month,
    upper(k.currency)                                         AS currency,
    toDecimal128(ifNull(r.recognised_revenue, 0), 10)         AS revenue,
    toDecimal128(ifNull(r.cash_revenue, 0), 10)               AS cash_revenue,
    toDecimal128(ifNull(r.fees, 0), 10)                       AS stripe_fees,
    toDecimal128(ifNull(m.mrr, 0), 10)                        AS mrr,
    ifNull(m.active_customers, 0)                             AS active_customers,
    ifNull(m.paying_customers, 0)                             AS paying_customers,
    if(paying_customers = 0, NULL, toDecimal128(revenue / greatest(paying_customers, 1), 10)) AS revenue_per_paying_customer
FROM months AS k
LEFT JOIN revenue AS r ON r.month = k.month AND r.currency = k.currency
LEFT JOIN mrr AS m ON m.month = k.month AND m.currency = k.currency
ORDER BY month, currency
