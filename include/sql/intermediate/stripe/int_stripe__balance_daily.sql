-- Daily Stripe ledger (balance transactions) in major units: minor units / 10^exponent.
-- Partitioned by month (of `created`, UTC); a run with `periods` rebuilds only those months.
SELECT
    formatDateTime(toDate(bt.created, 'UTC'), '%Y-%m') AS month,
    toDate(bt.created, 'UTC')                          AS day,
    lower(bt.currency)                                 AS currency,
    ifNull(bt.reporting_category, '')                  AS reporting_category,
    ifNull(bt.type, '')                                AS type,
    -- An unlisted currency joins as divisor 0 (no NULLs by default): it has 2 decimals.
    sum(toDecimal128(bt.amount, 10) / if(e.divisor = 0, 100, e.divisor)) AS amount,
    sum(toDecimal128(bt.fee, 10) / if(e.divisor = 0, 100, e.divisor))    AS fee,
    sum(toDecimal128(bt.net, 10) / if(e.divisor = 0, 100, e.divisor))    AS net,
    count()                                            AS transactions
FROM {{ ref('stg_stripe__balance_transactions') }} AS bt
LEFT JOIN {{ ref('currency_exponents') }} AS e ON e.currency = lower(bt.currency)
WHERE {{ in_periods("formatDateTime(toDate(bt.created, 'UTC'), '%Y-%m')") }}
GROUP BY ALL
