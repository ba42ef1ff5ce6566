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
--   * a proration line counts its price for its quantity with the sign of its amount (per unit, or per package
--     of a `transform_quantity` price: quantity / divide_by rounded up or down; the `currency_options` amount
--     for the invoice's currency of a multi-currency price), so "unused time on" the
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
{#- A JSON price (or currency option)'s unit amount as Decimal(38, 10): unit_amount_decimal (sub-cent prices), else
    unit_amount; NULL when it has neither (a tiered price). -#}
{% macro json_unit(json) -%}
coalesce(toDecimal128OrNull(nullIf(JSONExtractString({{ json }}, 'unit_amount_decimal'), ''), 10),
         toDecimal128OrNull(nullIf(nullIf(JSONExtractRaw({{ json }}, 'unit_amount_decimal'), 'null'), ''), 10),
         toDecimal128OrNull(nullIf(nullIf(JSONExtractRaw({{ json }}, 'unit_amount'), 'null'), ''), 10))
{%- endmacro %}
{%- if has_invoices %}
WITH
    invoices AS (
        SELECT id, subscription, lower(ifNull(currency, '')) AS currency, currency_exponent, ifNull(lines, '[]') AS lines_json,
               {{ "ifNull(discounts, '[]')" if has_invoice_discounts else "'[]'" }} AS discounts_json
        FROM {{ ref('stg_stripe__invoices') }}
        WHERE status NOT IN ('draft', 'void')
    ),
    {%- if has_prices %}
    invoice_prices AS (
        SELECT id, lower(ifNull(currency, '')) AS currency, billing_scheme, unit_amount, unit_amount_decimal,
               recurring_interval, recurring_interval_count, recurring_usage_type,
               {{ column_or('stripe_revenue__prices', 'currency_options', 'NULL') }} AS currency_options,
               {{ column_or('stripe_revenue__prices', 'transform_quantity_divide_by', 'NULL') }} AS divide_by,
               {{ column_or('stripe_revenue__prices', 'transform_quantity_round', 'NULL') }} AS round
        FROM {{ ref('stg_stripe__prices') }}
    ),
    {%- endif %}
    invoice_lines AS (
        SELECT id AS invoice_id, subscription AS invoice_subscription, currency AS invoice_currency,
               currency_exponent AS invoice_exponent,
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
            il.invoice_currency AS invoice_currency,
            il.invoice_exponent AS invoice_exponent,
            -- the line's price as older API versions expand it (current ones name it only: the prices table)
            JSONExtractRaw(il.line, 'price') AS line_price,
            {{ json_unit('line_price') }} AS line_unit,
            lower(JSONExtractString(il.line, 'price', 'currency')) AS line_price_currency,
            nullIf(nullIf(JSONExtractRaw(il.line, 'price', 'currency_options'), ''), 'null') AS line_currency_options,
            nullIf(JSONExtractString(il.line, 'price', 'billing_scheme'), '') AS line_billing_scheme,
            JSONExtract(il.line, 'price', 'transform_quantity', 'divide_by', 'Nullable(Int64)') AS line_divide_by,
            nullIf(JSONExtractString(il.line, 'price', 'transform_quantity', 'round'), '') AS line_round,
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
            coalesce(nullIf(p.currency, ''), l.line_price_currency) AS price_currency,
            coalesce(nullIf(p.currency_options, ''), l.line_currency_options) AS currency_options,
            coalesce(nullIf(p.billing_scheme, ''), l.line_billing_scheme, 'per_unit') AS scheme,
            coalesce(toDecimal128OrNull(p.unit_amount_decimal, 10), toDecimal128OrNull(toString(p.unit_amount), 10),
                     l.line_unit) AS own_unit,
            coalesce(p.divide_by, l.line_divide_by, 0) AS divide_by,
            coalesce(nullIf(p.round, ''), l.line_round, 'up') AS round,
            {%- else %}
            l.line_interval AS interval,
            l.line_interval_count AS interval_count,
            ifNull(l.line_usage_type, 'licensed') AS usage_type,
            l.line_price_currency AS price_currency,
            l.line_currency_options AS currency_options,
            ifNull(l.line_billing_scheme, 'per_unit') AS scheme,
            l.line_unit AS own_unit,
            ifNull(l.line_divide_by, 0) AS divide_by,
            ifNull(l.line_round, 'up') AS round,
            {%- endif %}
            -- a multi-currency price's unit amount in the invoice's currency (its own without such an option)
            {{ currency_option('currency_options', 'l.invoice_currency', 'price_currency') }} AS price_option,
            if(price_option != '', {{ json_unit('price_option') }}, own_unit) AS unit_amount,
            -- what it bills the quantity for: units, or packages of divide_by rounded up or down
            if(divide_by > 0,
               if(round = 'down', intDiv(ifNull(l.quantity, 1), divide_by), intDiv(ifNull(l.quantity, 1) + divide_by - 1, divide_by)),
               ifNull(l.quantity, 1)) AS billed_quantity,
            -- A regular line bills the whole period (its amount less its counted discounts is the
            -- period's price, 0 in a trial); a proration line bills part of one, so it counts its full
            -- price with the sign of its amount, less its percent coupons in turn, less the share of
            -- unknown coupons (minor units per billing period).
            toDecimal128(if(scheme = 'tiered', 0, sign(l.amount) * billed_quantity) * ifNull(unit_amount, toDecimal128(0, 10)), 10) AS full_price,
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
