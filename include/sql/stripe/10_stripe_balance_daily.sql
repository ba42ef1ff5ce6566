-- Daily Stripe ledger (balance transactions) in major units: minor units / 10^exponent.
DROP TABLE IF EXISTS finops.stripe_balance_daily__next;
CREATE TABLE finops.stripe_balance_daily__next AS finops.stripe_balance_daily;

INSERT INTO finops.stripe_balance_daily__next
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
FROM finops.stripe_balance_transactions AS bt
LEFT JOIN finops.currency_exponents AS e ON e.currency = lower(bt.currency)
GROUP BY ALL;

EXCHANGE TABLES finops.stripe_balance_daily__next AND finops.stripe_balance_daily;
DROP TABLE finops.stripe_balance_daily__next;
