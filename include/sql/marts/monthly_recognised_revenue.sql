-- Revenue as recognised (accrual): cash revenue (monthly_revenue.revenue) moved to the service periods
-- of what was invoiced: + the paid invoices' amounts (excluding tax) spread over their lines' periods,
-- - what their payments collected in the month they were paid (what the customer balance paid is spread only,
-- int_stripe__revenue_recognition), both in the currency the invoices settled in
-- (int_stripe__revenue_recognition converts them at their balance transaction's exchange_rate), so the
-- adjustment lands on the same currency as the cash. An annual plan paid up front counts a twelfth a month;
-- a refund of an invoice's payment takes back its share of what the invoice earns (what it had earned before the
-- refund in the refund's month), and so does a credit note's credit to the customer balance, which earns again
-- when a later invoice uses it; charges without an invoice, and invoices paid out of band (never in the
-- ledger), stay out of it.
WITH
    deferral AS
    (
        SELECT month, upper(currency) AS currency, sum(recognised) - sum(invoiced_paid) AS adjustment
        FROM {{ ref('int_stripe__revenue_recognition') }}
        GROUP BY month, currency
    ),
    months AS
    (
        SELECT month, currency FROM {{ ref('monthly_revenue') }}
        UNION DISTINCT
        SELECT month, currency FROM deferral WHERE month <= (SELECT max(month) FROM {{ ref('int_stripe__balance_daily') }})
    )
SELECT
    m.month                                                       AS month,
    m.currency                                                    AS currency,
    toDecimal128(ifNull(r.revenue, 0), 10)                        AS cash_revenue,
    toDecimal128(ifNull(d.adjustment, 0), 10)                     AS deferral_adjustment,
    cash_revenue + deferral_adjustment                            AS recognised_revenue,
    toDecimal128(ifNull(r.fees, 0), 10)                           AS fees
FROM months AS m
LEFT JOIN {{ ref('monthly_revenue') }} AS r ON r.month = m.month AND r.currency = m.currency
LEFT JOIN deferral AS d ON d.month = m.month AND d.currency = m.currency
