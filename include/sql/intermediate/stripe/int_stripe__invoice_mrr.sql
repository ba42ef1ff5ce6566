-- What Stripe billed for each subscription at each month's end: finops.int_stripe__invoice_mrr, one row per
-- subscription and month whose last instant an invoice line covers. Read by int_stripe__subscription_mrr
-- to reconstruct months that no seen or dated state covers (a first load's history).
-- A subscription line counts its amount less its discount_amounts (the period's price, 0 in a trial); a
-- proration line counts its price * quantity with the sign of its amount, so "unused time on" the old
-- plan (-old) and "remaining time on" the new one (+new) move the MRR from old to new at the instant of
-- the change. A proration of a tiered price (no single unit_amount) counts 0. Draft and void invoices are
-- not read; invoice_ids names the invoices behind each figure.
{%- set has_invoices = has_column('stripe_revenue__invoices', 'lines') %}
{%- set has_prices = has_column('stripe_revenue__prices', 'recurring_interval') %}
{%- if has_invoices %}
WITH
    invoices AS (
        SELECT id, status, subscription, currency_exponent, lines FROM {{ ref('stg_stripe__invoices') }}
    ),
    {%- if has_prices %}
    invoice_prices AS (
        SELECT id, unit_amount, recurring_interval, recurring_interval_count, recurring_usage_type FROM {{ ref('stg_stripe__prices') }}
    ),
    {%- endif %}
    lines AS (
        -- Both line shapes: `parent` / `pricing` (API 2025-03-31 and later) and the older
        -- `type` / `proration` / `subscription` / expanded `price`.
        SELECT
            invoice_id,
            coalesce(
                nullIf(JSONExtractString(line, 'parent', 'subscription_item_details', 'subscription'), ''),
                nullIf(JSONExtractString(line, 'parent', 'invoice_item_details', 'subscription'), ''),
                nullIf(JSONExtractString(line, 'subscription'), ''),
                invoice_subscription) AS subscription,
            JSONExtractBool(line, 'parent', 'subscription_item_details', 'proration')
                OR JSONExtractBool(line, 'parent', 'invoice_item_details', 'proration')
                OR JSONExtractBool(line, 'proration') AS proration,
            JSONExtractString(line, 'parent', 'type') = 'subscription_item_details'
                OR JSONExtractString(line, 'type') = 'subscription' AS subscription_line,
            coalesce(nullIf(JSONExtractString(line, 'pricing', 'price_details', 'price'), ''),
                     nullIf(JSONExtractString(line, 'price', 'id'), '')) AS price,
            JSONExtractInt(line, 'amount')
                - arraySum(arrayMap(d -> JSONExtractInt(d, 'amount'),
                                    JSONExtractArrayRaw(line, 'discount_amounts'))) AS amount,
            JSONExtract(line, 'quantity', 'Nullable(Int64)') AS quantity,
            toDateTime64(JSONExtractInt(line, 'period', 'start'), 6, 'UTC') AS period_start,
            toDateTime64(JSONExtractInt(line, 'period', 'end'), 6, 'UTC') AS period_end,
            invoice_exponent,
            JSONExtract(line, 'price', 'unit_amount', 'Nullable(Int64)') AS line_unit_amount,
            nullIf(JSONExtractString(line, 'price', 'recurring', 'interval'), '') AS line_interval,
            JSONExtract(line, 'price', 'recurring', 'interval_count', 'Nullable(Int64)') AS line_interval_count,
            nullIf(JSONExtractString(line, 'price', 'recurring', 'usage_type'), '') AS line_usage_type
        FROM
        (
            SELECT id AS invoice_id, subscription AS invoice_subscription, currency_exponent AS invoice_exponent, lines
            FROM invoices
            WHERE status NOT IN ('draft', 'void')
        )
        ARRAY JOIN JSONExtractArrayRaw(ifNull(lines, '[]')) AS line
    ),
    priced AS (
        SELECT
            l.invoice_id AS invoice_id,
            l.subscription AS subscription,
            l.period_start AS period_start,
            l.period_end AS period_end,
            {%- if has_prices %}
            coalesce(p.recurring_interval, l.line_interval) AS interval,
            coalesce(p.recurring_interval_count, l.line_interval_count) AS interval_count,
            coalesce(p.recurring_usage_type, l.line_usage_type, 'licensed') AS usage_type,
            coalesce(p.unit_amount, l.line_unit_amount) AS unit_amount,
            {%- else %}
            l.line_interval AS interval,
            l.line_interval_count AS interval_count,
            ifNull(l.line_usage_type, 'licensed') AS usage_type,
            l.line_unit_amount AS unit_amount,
            {%- endif %}
            -- A regular line bills the whole period (its amount less its discounts is the period's
            -- price, 0 in a trial); a proration line bills part of one, so it counts its full price.
            {{ monthly('if(l.proration, sign(l.amount) * ifNull(unit_amount, 0) * ifNull(l.quantity, 1), l.amount)',
                       'interval', 'interval_count', 'l.invoice_exponent') | indent(20) }} AS mrr
        FROM lines AS l
        {%- if has_prices %}
        LEFT JOIN invoice_prices AS p ON p.id = l.price
        {%- endif %}
        WHERE l.subscription IS NOT NULL AND (l.subscription_line OR l.proration)
    )
-- Each line counts at the end of every month inside its period: at the instant `month_end`
-- when period_start < month_end <= period_end (the last instant of the month is inside).
SELECT subscription, month_start, sum(mrr) AS mrr, count() AS lines,
       arrayStringConcat(arraySort(groupUniqArray(invoice_id)), ',') AS invoice_ids
FROM
(
    SELECT
        invoice_id,
        subscription,
        mrr,
        period_start,
        period_end,
        addMonths(toStartOfMonth(toDate(period_start, 'UTC')), toInt32(n)) AS month_start
    FROM priced
    ARRAY JOIN range(toUInt32(greatest(dateDiff('month', toDate(period_start, 'UTC'),
                                                toDate(period_end, 'UTC')), 0)) + 1) AS n
    WHERE usage_type = 'licensed'
)
WHERE period_start < toDateTime64(addMonths(month_start, 1), 6, 'UTC')
  AND period_end >= toDateTime64(addMonths(month_start, 1), 6, 'UTC')
GROUP BY subscription, month_start
{%- else %}
SELECT '' AS subscription, toDate('1970-01-01') AS month_start, toDecimal128(0, 10) AS mrr,
       toUInt64(0) AS lines, '' AS invoice_ids
WHERE 0
{%- endif %}
