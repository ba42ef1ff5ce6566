-- Invoiced revenue per month and currency, for recognised revenue and sales tax:
-- finops.int_stripe__revenue_recognition (month × currency, major units), from paid invoices.
--   invoiced_paid  what the paid invoices billed, excluding tax (total_excluding_tax), in the month of
--                  paid_at: the cash side of those invoices
--   recognised     the same amounts spread over the service periods of their lines, by the second (an
--                  annual plan paid up front: 1/365 a day). Each line's share of the invoice is its
--                  amount less its discount_amounts; a line without a period counts when it starts
--   sales_tax      total - total_excluding_tax (VAT / sales tax collected, not revenue), when paid
-- Rebuilt in full: a paid invoice's spread reaches months on both sides of the month it was paid in.
{%- set has_invoices = has_column('stripe_revenue__invoices', 'total_excluding_tax') and has_column('stripe_revenue__invoices', 'lines') %}
{%- if has_invoices %}
WITH
    invoices AS (
        SELECT *
        FROM (SELECT id, status, lower(currency) AS currency, currency_exponent, total, total_excluding_tax, paid_at, lines FROM {{ ref('stg_stripe__invoices') }})
        WHERE status = 'paid' AND paid_at IS NOT NULL
    ),
    lines AS (
        SELECT
            id,
            currency,
            intExp10(ifNull(currency_exponent, 2)) AS divisor,
            ifNull(total_excluding_tax, total) AS invoice_amount,
            paid_at,
            JSONExtractInt(line, 'amount')
                - arraySum(arrayMap(d -> JSONExtractInt(d, 'amount'),
                                    JSONExtractArrayRaw(line, 'discount_amounts'))) AS weight,
            toDateTime64(JSONExtractInt(line, 'period', 'start'), 6, 'UTC') AS period_start,
            greatest(toDateTime64(JSONExtractInt(line, 'period', 'end'), 6, 'UTC'), period_start) AS period_end
        FROM invoices
        ARRAY JOIN JSONExtractArrayRaw(ifNull(lines, '[]')) AS line
    ),
    shares AS (
        -- the invoice's amount excluding tax split over its lines by weight (one line per invoice when
        -- the weights are all 0: the whole amount at the first line's start, or when paid)
        SELECT
            currency,
            divisor,
            period_start,
            period_end,
            if(total_weight = 0,
               if(line_number = 1, toDecimal128(invoice_amount, 10), toDecimal128(0, 10)),
               toDecimal128(invoice_amount, 10) * weight / total_weight) AS amount
        FROM
        (
            SELECT
                *,
                sum(weight) OVER (PARTITION BY id) AS total_weight,
                row_number() OVER (PARTITION BY id ORDER BY period_start, weight) AS line_number
            FROM lines
        )
        UNION ALL
        SELECT currency, intExp10(ifNull(currency_exponent, 2)), paid_at, paid_at,
               toDecimal128(ifNull(total_excluding_tax, total), 10)
        FROM invoices
        WHERE JSONLength(ifNull(lines, '[]')) = 0
    ),
    spread AS (
        SELECT
            currency,
            month_start,
            if(period_end = period_start,
               amount,
               amount * toInt64(dateDiff('second',
                                         greatest(period_start, toDateTime64(month_start, 6, 'UTC')),
                                         least(period_end, toDateTime64(addMonths(month_start, 1), 6, 'UTC'))))
                      / toInt64(dateDiff('second', period_start, period_end))) / divisor AS recognised
        FROM shares
        ARRAY JOIN arrayMap(n -> addMonths(toStartOfMonth(toDate(period_start, 'UTC')), toInt32(n)),
                            range(toUInt32(dateDiff('month', toDate(period_start, 'UTC'),
                                                    toDate(period_end - toIntervalMicrosecond(1), 'UTC'))) + 1)) AS month_start
        WHERE period_end = period_start OR toDateTime64(month_start, 6, 'UTC') < period_end
    ),
    rows AS (
        SELECT formatDateTime(month_start, '%Y-%m') AS month, currency,
               toDecimal128(0, 10) AS invoiced_paid, recognised, toDecimal128(0, 10) AS sales_tax
        FROM spread
        UNION ALL
        SELECT formatDateTime(toDate(paid_at, 'UTC'), '%Y-%m'), currency,
               toDecimal128(ifNull(total_excluding_tax, total), 10) / intExp10(ifNull(currency_exponent, 2)),
               toDecimal128(0, 10),
               toDecimal128(ifNull(total, 0) - ifNull(total_excluding_tax, total), 10) / intExp10(ifNull(currency_exponent, 2))
        FROM invoices
    )
SELECT month, ifNull(currency, '') AS currency, sum(invoiced_paid) AS invoiced_paid, sum(recognised) AS recognised,
       sum(sales_tax) AS sales_tax
FROM rows
GROUP BY month, currency
{%- else %}
SELECT '' AS month, '' AS currency, toDecimal128(0, 10) AS invoiced_paid, toDecimal128(0, 10) AS recognised,
       toDecimal128(0, 10) AS sales_tax
WHERE 0
{%- endif %}
