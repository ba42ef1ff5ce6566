-- What Stripe billed for each subscription at each month's end: finops.int_stripe__invoice_mrr, one row per
-- subscription and month whose last instant an invoice line covers. Read by int_stripe__subscription_mrr
-- to reconstruct months that no seen or dated state covers (a first load's history).
-- Discounts count as int_stripe__subscription_mrr counts them: a `once` coupon never reduces MRR,
-- `forever` and `repeating` ones do (on the invoices Stripe applied them to). Each discount_amounts
-- entry names its discount (`di_…`), whose coupon comes from the discount objects the invoices
-- (expand[]=data.discounts; a deleted discount keeps its coupon), their lines and the subscriptions
-- embed: the coupon embedded, or its id in `coupons`. A discount of an unknown coupon counts.
--   * a subscription line counts its amount less its counted discount_amounts (the period's price, 0 in
--     a trial);
--   * a proration line counts its price * quantity with the sign of its amount, so "unused time on" the
--     old plan (-old) and "remaining time on" the new one (+new) move the MRR from old to new at the
--     instant of the change, at the discounted price: each counted percent_off coupon it lists scales the
--     price by (100 - percent_off) / 100 in turn (Stripe lists it with its amount when proration
--     discounts are itemized, at 0 when they are included in a net amount); an amount_off coupon does not
--     (a fixed amount per period, the same before and after the change); a discount of an unknown coupon
--     takes the share of the price that it took of the line's amount.
-- A proration of a tiered price (no single unit_amount) counts 0. Draft and void invoices are not read;
-- invoice_ids names the invoices behind each figure.
{%- set has_invoices = has_column('stripe_revenue__invoices', 'lines') %}
{%- set has_invoice_discounts = has_column('stripe_revenue__invoices', 'discounts') %}
{%- set has_subscriptions = has_column('stripe_revenue__subscriptions', 'discounts') %}
{%- set has_prices = has_column('stripe_revenue__prices', 'recurring_interval') %}
{%- set has_coupons = has_column('stripe_revenue__coupons', 'duration') %}
{%- if has_invoices %}
WITH
    invoices AS (
        SELECT id, subscription, currency_exponent, ifNull(lines, '[]') AS lines_json,
               {{ "ifNull(discounts, '[]')" if has_invoice_discounts else "'[]'" }} AS discounts_json
        FROM {{ ref('stg_stripe__invoices') }}
        WHERE status NOT IN ('draft', 'void')
    ),
    {%- if has_prices %}
    invoice_prices AS (
        SELECT id, unit_amount, recurring_interval, recurring_interval_count, recurring_usage_type FROM {{ ref('stg_stripe__prices') }}
    ),
    {%- endif %}
    invoice_lines AS (
        SELECT id AS invoice_id, subscription AS invoice_subscription, currency_exponent AS invoice_exponent,
               line, line_no
        FROM invoices
        ARRAY JOIN JSONExtractArrayRaw(lines_json) AS line, arrayEnumerate(JSONExtractArrayRaw(lines_json)) AS line_no
    ),
    discount_objects AS (
        -- every discount object loaded, with its coupon (an object, an id, or 'null'); an embedded coupon
        -- first ('{' sorts after '"' and 'n')
        SELECT
            JSONExtractString(d, 'id') AS discount_id,
            coalesce(nullIf(JSONExtractRaw(d, 'coupon'), ''), nullIf(JSONExtractRaw(d, 'source', 'coupon'), ''), 'null') AS coupon
        FROM
        (
            SELECT d FROM invoices ARRAY JOIN JSONExtractArrayRaw(discounts_json) AS d
            UNION ALL
            SELECT d FROM invoice_lines
            ARRAY JOIN arrayConcat(JSONExtractArrayRaw(line, 'discounts'),
                                   arrayMap(a -> JSONExtractRaw(a, 'discount'), JSONExtractArrayRaw(line, 'discount_amounts'))) AS d
            {%- if has_subscriptions %}
            UNION ALL
            SELECT d FROM {{ ref('stg_stripe__subscriptions') }} ARRAY JOIN JSONExtractArrayRaw(ifNull(discounts, '[]')) AS d
            {%- endif %}
        )
        WHERE JSONType(d) = 'Object' AND JSONExtractString(d, 'id') != ''
        ORDER BY discount_id, coupon DESC
        LIMIT 1 BY discount_id
    ),
    {%- if has_coupons %}
    coupons AS (
        SELECT id, percent_off, duration FROM {{ ref('stg_stripe__coupons') }}
    ),
    {%- endif %}
    discount_terms AS (
        -- the coupon's duration and percent_off; known = 1 when the coupon is (embedded or in `coupons`)
        SELECT
            o.discount_id AS discount_id,
            JSONType(o.coupon) = 'Object' AS embedded,
            {%- if has_coupons %}
            if(embedded, JSONExtractString(o.coupon, 'duration'), ifNull(c.duration, '')) AS duration,
            if(embedded, {{ stripe_coupon_percent_off('o.coupon') }},
               toDecimal128OrNull(c.percent_off, 10)) AS percent_off,
            {%- else %}
            JSONExtractString(o.coupon, 'duration') AS duration,
            {{ stripe_coupon_percent_off('o.coupon') }} AS percent_off,
            {%- endif %}
            toUInt8(duration != '') AS known
        FROM discount_objects AS o
        {%- if has_coupons %}
        LEFT JOIN coupons AS c ON c.id = {{ stripe_coupon_id('o.coupon') }}
        {%- endif %}
    ),
    line_discounts AS (
        -- per line: the discount amounts that count (all but those of `once` coupons), the percent_off of
        -- its counted percent coupons in their order, and the amounts of the discounts of unknown coupons
        SELECT
            a.invoice_id AS invoice_id,
            a.line_no AS line_no,
            sumIf(a.amount, NOT (ifNull(t.known, 0) = 1 AND t.duration = 'once')) AS counted_amount,
            arrayMap(x -> x.2, arraySort(x -> x.1, groupArrayIf((a.n, ifNull(t.percent_off, toDecimal128(0, 10))),
                ifNull(t.known, 0) = 1 AND t.duration != 'once' AND ifNull(t.percent_off, toDecimal128(0, 10)) > 0))) AS percents_off,
            sumIf(a.amount, ifNull(t.known, 0) != 1) AS unknown_amount
        FROM
        (
            SELECT invoice_id, line_no, n, JSONExtractInt(d, 'amount') AS amount,
                   if(JSONType(d, 'discount') = 'Object', JSONExtractString(d, 'discount', 'id'),
                      JSONExtractString(d, 'discount')) AS discount_id
            FROM invoice_lines
            ARRAY JOIN JSONExtractArrayRaw(line, 'discount_amounts') AS d,
                       arrayEnumerate(JSONExtractArrayRaw(line, 'discount_amounts')) AS n
        ) AS a
        LEFT JOIN discount_terms AS t ON t.discount_id = a.discount_id
        GROUP BY a.invoice_id, a.line_no
    ),
    lines AS (
        -- Both line shapes: `parent` / `pricing` (API 2025-03-31 and later) and the older
        -- `type` / `proration` / `subscription` / expanded `price`.
        SELECT
            il.invoice_id AS invoice_id,
            coalesce(
                nullIf(JSONExtractString(il.line, 'parent', 'subscription_item_details', 'subscription'), ''),
                nullIf(JSONExtractString(il.line, 'parent', 'invoice_item_details', 'subscription'), ''),
                nullIf(JSONExtractString(il.line, 'subscription'), ''),
                il.invoice_subscription) AS subscription,
            JSONExtractBool(il.line, 'parent', 'subscription_item_details', 'proration')
                OR JSONExtractBool(il.line, 'parent', 'invoice_item_details', 'proration')
                OR JSONExtractBool(il.line, 'proration') AS proration,
            JSONExtractString(il.line, 'parent', 'type') = 'subscription_item_details'
                OR JSONExtractString(il.line, 'type') = 'subscription' AS subscription_line,
            coalesce(nullIf(JSONExtractString(il.line, 'pricing', 'price_details', 'price'), ''),
                     nullIf(JSONExtractString(il.line, 'price', 'id'), '')) AS price,
            JSONExtractInt(il.line, 'amount') AS amount,
            ifNull(ld.counted_amount, 0) AS counted_discount,
            ld.percents_off AS percents_off,
            ifNull(ld.unknown_amount, 0) AS unknown_discount,
            JSONExtract(il.line, 'quantity', 'Nullable(Int64)') AS quantity,
            toDateTime64(JSONExtractInt(il.line, 'period', 'start'), 6, 'UTC') AS period_start,
            toDateTime64(JSONExtractInt(il.line, 'period', 'end'), 6, 'UTC') AS period_end,
            il.invoice_exponent AS invoice_exponent,
            JSONExtract(il.line, 'price', 'unit_amount', 'Nullable(Int64)') AS line_unit_amount,
            nullIf(JSONExtractString(il.line, 'price', 'recurring', 'interval'), '') AS line_interval,
            JSONExtract(il.line, 'price', 'recurring', 'interval_count', 'Nullable(Int64)') AS line_interval_count,
            nullIf(JSONExtractString(il.line, 'price', 'recurring', 'usage_type'), '') AS line_usage_type
        FROM invoice_lines AS il
        LEFT JOIN line_discounts AS ld ON ld.invoice_id = il.invoice_id AND ld.line_no = il.line_no
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
            -- A regular line bills the whole period (its amount less its counted discounts is the
            -- period's price, 0 in a trial); a proration line bills part of one, so it counts its full
            -- price with the sign of its amount, less its percent coupons in turn, less the share of
            -- unknown coupons (minor units per billing period).
            toDecimal128(sign(l.amount) * ifNull(unit_amount, 0) * ifNull(l.quantity, 1), 10) AS full_price,
            arrayFold((acc, pct) -> {{ mul_div('acc', 'toDecimal128(100, 10) - pct', '100', if_zero='acc') }},
                      l.percents_off, full_price) AS after_percents,
            if(l.proration,
               after_percents - {{ mul_div('after_percents', 'l.unknown_discount', 'l.amount', if_zero='toDecimal128(0, 10)') }},
               toDecimal128(l.amount - l.counted_discount, 10)) AS period_amount,
            {{ monthly('period_amount', 'interval', 'interval_count', 'l.invoice_exponent') | indent(20) }} AS mrr
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
