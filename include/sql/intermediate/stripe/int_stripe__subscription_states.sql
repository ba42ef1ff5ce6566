-- Every state of every subscription that the history knows, valued: finops.int_stripe__subscription_states,
-- read by int_stripe__subscription_mrr (which explains how a month-end picks its state). One row per
--   * snapshot: the subscription as a completed load saw it (`at` = _loaded_at, source_id = load id);
--   * event: the subscription right after a customer.subscription.* event (`at` = created, source_id =
--     event id), and event_before: right before an `updated` event (previous_attributes put back).
-- item_mrr is the monthly amount of each licensed item before discounts (major units, in the
-- subscription's currency: a multi-currency price gives its `currency_options` amount), base_mrr their
-- sum. The discounts are kept as arrays (percent_off, amount_off per billing period in minor units, once,
-- start, end, discount_items), since whether a repeating coupon still applies depends on the instant:
-- the items' own discounts (items.data[].discounts) first, then the subscription's (Stripe applies
-- subscription item discounts before subscription discounts), percent_off before amount_off within each,
-- in their order; discount_items says which items each applies to (bit i-1 = item i of item_mrr): its
-- item, and only the products of the coupon's `applies_to` (none loaded: every item). An amount_off coupon in
-- another currency than the subscription's gives its `currency_options` amount for it. events_since is
-- the oldest event loaded (2200-01-01 without events): from then on every change is dated.
{%- set has_subscriptions = has_column('stripe_revenue__subscriptions', 'items') %}
{%- set has_events = has_column('stripe_revenue__events', 'object') %}
{%- set has_prices = has_column('stripe_revenue__prices', 'recurring_interval') %}
{%- set has_coupons = has_column('stripe_revenue__coupons', 'duration') %}
{%- set far_future = "toDateTime64('2200-01-01 00:00:00', 6, 'UTC')" %}

{#- A JSON decimal (string "0.5" or number) or, when absent, an integer field, as Decimal(38, 10). -#}
{% macro json_decimal(json, decimal_key, integer_key) -%}
coalesce(toDecimal128OrNull(nullIf(JSONExtractString({{ json }}, '{{ decimal_key }}'), ''), 10),
         toDecimal128OrNull(nullIf(nullIf(JSONExtractRaw({{ json }}, '{{ decimal_key }}'), 'null'), ''), 10),
         toDecimal128(JSONExtractInt({{ json }}, '{{ integer_key }}'), 10))
{%- endmacro %}

{#- A legacy Plan (the item's `plan`) as the Price JSON it corresponds to. -#}
{% macro plan_as_price(item) -%}
{%- set fields = [('id', 'id'), ('product', 'product'), ('currency', 'currency'), ('unit_amount', 'amount'),
                  ('unit_amount_decimal', 'amount_decimal'), ('billing_scheme', 'billing_scheme'),
                  ('tiers_mode', 'tiers_mode'), ('tiers', 'tiers'), ('transform_quantity', 'transform_usage')] -%}
{%- macro plan_field(key) -%}
if(JSONHas({{ item }}, 'plan', '{{ key }}'), JSONExtractRaw({{ item }}, 'plan', '{{ key }}'), 'null')
{%- endmacro -%}
concat('{'
{%- for name, key in fields %}, '"{{ name }}":', {{ plan_field(key) }}, ','{% endfor %},
       '"recurring":{'
{%- for key in ['interval', 'interval_count', 'usage_type'] %}, '"{{ key }}":', {{ plan_field(key) }}{{ ", ','" if not loop.last }}{% endfor %}, '}}')
{%- endmacro %}

{#- An event's subscription discounts: `discounts`, or on API versions before it the single legacy `discount` as a
    list of one (ignoring it overstated MRR), given an id when the oldest versions have none (the subscription's id and
    the discount's start: discounts are told apart by id). -#}
{% macro event_discounts(json, subscription_id) -%}
if(JSONHas({{ json }}, 'discounts'), JSONExtractRaw({{ json }}, 'discounts'),
   if(JSONType({{ json }}, 'discount') != 'Object', '[]',
      if(JSONExtractString({{ json }}, 'discount', 'id') != '', concat('[', JSONExtractRaw({{ json }}, 'discount'), ']'),
         concat('[{"id":"', {{ subscription_id }}, ':', toString(JSONExtractInt({{ json }}, 'discount', 'start')),
                '",', substring(JSONExtractRaw({{ json }}, 'discount'), 2), ']'))))
{%- endmacro %}

{#- An event's subscription currency: on API versions before the subscription had `currency`, its plan's (top-level,
    else the first item's), else its first item's price's; '' took 2 decimals for every currency (JPY / 100). -#}
{% macro event_currency(json) -%}
lower(coalesce(nullIf(JSONExtractString({{ json }}, 'currency'), ''), nullIf(JSONExtractString({{ json }}, 'plan', 'currency'), ''),
               nullIf(JSONExtractString({{ json }}, 'items', 'data', 1, 'plan', 'currency'), ''),
               JSONExtractString({{ json }}, 'items', 'data', 1, 'price', 'currency')))
{%- endmacro %}

{% macro json_ts(json, key) -%}
if(JSONExtractInt({{ json }}, '{{ key }}') = 0, NULL, toDateTime64(JSONExtractInt({{ json }}, '{{ key }}'), 6, 'UTC'))
{%- endmacro %}
{%- if has_subscriptions %}
WITH
    snapshots AS (
        -- every state a completed load saw: one row per subscription and load
        SELECT
            id AS subscription, _loaded_at AS at, 'snapshot' AS kind, _dlt_load_id AS source_id,
            customer, lower(currency) AS currency, status, start_date, trial_end, ended_at,
            ifNull(items, '[]') AS items, ifNull(discounts, '[]') AS discounts
        FROM {{ ref('stg_stripe__subscriptions') }}
    ),
{%- if has_events %}
    events AS (
        SELECT id, type, created, ifNull(object, '{}') AS object, ifNull(previous_attributes, '{}') AS previous
        FROM (SELECT id, type, object_type, created, object, previous_attributes, _loaded_at, _dlt_load_id FROM {{ ref('stg_stripe__events') }})
        WHERE object_type = 'subscription' AND startsWith(type, 'customer.subscription.')
    ),
    event_states AS (
        -- the subscription right after each event
        SELECT
            JSONExtractString(object, 'id') AS subscription, created AS at, 'event' AS kind, id AS source_id,
            JSONExtractString(object, 'customer') AS customer, {{ event_currency('object') }} AS currency,
            JSONExtractString(object, 'status') AS status,
            {{ json_ts('object', 'start_date') }} AS start_date,
            {{ json_ts('object', 'trial_end') }} AS trial_end,
            {{ json_ts('object', 'ended_at') }} AS ended_at,
            JSONExtractRaw(object, 'items', 'data') AS items,
            {{ event_discounts('object', "JSONExtractString(object, 'id')") }} AS discounts
        FROM events
        UNION ALL
        -- and right before an update: the attributes it changed, put back
        SELECT
            JSONExtractString(object, 'id'), created, 'event_before', id,
            JSONExtractString(object, 'customer'), {{ event_currency('object') }},
            JSONExtractString(if(JSONHas(previous, 'status'), previous, object), 'status'),
            {{ json_ts("if(JSONHas(previous, 'start_date'), previous, object)", 'start_date') }},
            {{ json_ts("if(JSONHas(previous, 'trial_end'), previous, object)", 'trial_end') }},
            {{ json_ts("if(JSONHas(previous, 'ended_at'), previous, object)", 'ended_at') }},
            JSONExtractRaw(if(JSONHas(previous, 'items'), previous, object), 'items', 'data'),
            {{ event_discounts("if(JSONHas(previous, 'discounts') OR JSONHas(previous, 'discount'), previous, object)",
                             "JSONExtractString(object, 'id')") }}
        FROM events
        WHERE type = 'customer.subscription.updated'
    ),
    coverage AS (
        SELECT if(count() = 0, {{ far_future }}, min(created)) AS coverage_start FROM events
    ),
{%- else %}
    event_states AS (
        SELECT * FROM snapshots WHERE 0
    ),
    coverage AS (
        SELECT {{ far_future }} AS coverage_start
    ),
{%- endif %}
    states AS (
        SELECT *, concat(kind, ':', source_id, ':', subscription) AS state_key FROM snapshots
        UNION ALL
        SELECT *, concat(kind, ':', source_id, ':', subscription) FROM event_states
    ),
{%- if has_prices %}
    prices AS (
        SELECT {{ "id, lower(currency) AS currency, " ~ column_or('stripe_revenue__prices', 'currency_options', 'NULL') ~ " AS currency_options, billing_scheme, tiers_mode, unit_amount, unit_amount_decimal, recurring_interval, recurring_interval_count, recurring_usage_type, " ~ column_or('stripe_revenue__prices', 'tiers', 'NULL') ~ " AS tiers, " ~ column_or('stripe_revenue__prices', 'transform_quantity_divide_by', 'NULL') ~ " AS divide_by, " ~ column_or('stripe_revenue__prices', 'transform_quantity_round', 'NULL') ~ " AS round" }} FROM {{ ref('stg_stripe__prices') }}
    ),
{%- endif %}
    items AS (
        -- one row per item of every state, with its price as the API embedded it (the prices table adds
        -- the tiers and currency options, which the subscription does not embed)
        SELECT
            s.state_key AS state_key,
            s.currency AS currency,
            n AS position,
            JSONExtractString(item, 'id') AS item_id,
            -- an item without `price` (events keep their API version's shape: before Prices, 2020, an item names
            -- only its legacy `plan`) takes its plan as the price it is (same id; amount, interval, usage_type,
            -- transform_usage under the price's names), instead of counting 0
            if(JSONType(item, 'price') = 'Object', JSONExtractRaw(item, 'price'),
               {{ plan_as_price('item') }}) AS price_json,
            JSONExtractString(price_json, 'id') AS price_id,
            if(JSONType(price_json, 'product') = 'Object', JSONExtractString(price_json, 'product', 'id'),
               JSONExtractString(price_json, 'product')) AS product,
            toInt64(ifNull(JSONExtract(item, 'quantity', 'Nullable(Int64)'), 1)) AS quantity
        FROM states AS s
        ARRAY JOIN JSONExtractArrayRaw(s.items) AS item, arrayEnumerate(JSONExtractArrayRaw(s.items)) AS n
    ),
    priced_items AS (
        SELECT
            i.state_key AS state_key,
            i.currency AS currency,
            i.position AS position,
            i.item_id AS item_id,
            i.product AS product,
            i.quantity AS quantity,
            {%- if has_prices %}
            lower(coalesce(nullIf(p.currency, ''), JSONExtractString(i.price_json, 'currency'))) AS price_currency,
            {{ currency_option("coalesce(nullIf(nullIf(JSONExtractRaw(i.price_json, 'currency_options'), ''), 'null'), p.currency_options)") }} AS price_option,
            coalesce(nullIf(p.billing_scheme, ''), nullIf(JSONExtractString(i.price_json, 'billing_scheme'), ''), 'per_unit') AS scheme,
            coalesce(nullIf(p.tiers_mode, ''), nullIf(JSONExtractString(i.price_json, 'tiers_mode'), '')) AS tiers_mode,
            if(JSONLength(price_option, 'tiers') > 0, JSONExtractArrayRaw(price_option, 'tiers'),
               JSONExtractArrayRaw(ifNull(coalesce(nullIf(nullIf(p.tiers, ''), 'null'), nullIf(JSONExtractRaw(i.price_json, 'tiers'), '')), '[]'))) AS tiers,
            coalesce(p.recurring_interval, nullIf(JSONExtractString(i.price_json, 'recurring', 'interval'), '')) AS interval,
            coalesce(p.recurring_interval_count, JSONExtract(i.price_json, 'recurring', 'interval_count', 'Nullable(Int64)')) AS interval_count,
            coalesce(p.recurring_usage_type, nullIf(JSONExtractString(i.price_json, 'recurring', 'usage_type'), ''), 'licensed') AS usage_type,
            if(price_option != '', {{ json_decimal('price_option', 'unit_amount_decimal', 'unit_amount') }},
               coalesce(toDecimal128OrNull(p.unit_amount_decimal, 10), {{ json_decimal('i.price_json', 'unit_amount_decimal', 'unit_amount') }})) AS unit,
            coalesce(p.divide_by, JSONExtract(i.price_json, 'transform_quantity', 'divide_by', 'Nullable(Int64)'), 0) AS divide_by,
            coalesce(nullIf(p.round, ''), nullIf(JSONExtractString(i.price_json, 'transform_quantity', 'round'), ''), 'up') AS round
            {%- else %}
            lower(JSONExtractString(i.price_json, 'currency')) AS price_currency,
            {{ currency_option("JSONExtractRaw(i.price_json, 'currency_options')") }} AS price_option,
            coalesce(nullIf(JSONExtractString(i.price_json, 'billing_scheme'), ''), 'per_unit') AS scheme,
            nullIf(JSONExtractString(i.price_json, 'tiers_mode'), '') AS tiers_mode,
            if(JSONLength(price_option, 'tiers') > 0, JSONExtractArrayRaw(price_option, 'tiers'), JSONExtractArrayRaw(i.price_json, 'tiers')) AS tiers,
            nullIf(JSONExtractString(i.price_json, 'recurring', 'interval'), '') AS interval,
            JSONExtract(i.price_json, 'recurring', 'interval_count', 'Nullable(Int64)') AS interval_count,
            coalesce(nullIf(JSONExtractString(i.price_json, 'recurring', 'usage_type'), ''), 'licensed') AS usage_type,
            {{ json_decimal("if(price_option != '', price_option, i.price_json)", 'unit_amount_decimal', 'unit_amount') }} AS unit,
            ifNull(JSONExtract(i.price_json, 'transform_quantity', 'divide_by', 'Nullable(Int64)'), 0) AS divide_by,
            coalesce(nullIf(JSONExtractString(i.price_json, 'transform_quantity', 'round'), ''), 'up') AS round
            {%- endif %}
        FROM items AS i
        {%- if has_prices %}
        LEFT JOIN prices AS p ON p.id = i.price_id
        {%- endif %}
    ),
    item_amounts AS (
        SELECT
            state_key,
            currency,
            position,
            item_id,
            product,
            interval,
            interval_count,
            -- tier bounds (the last tier's up_to is null: no bound), unit and flat amounts
            arrayMap(t -> ifNull(JSONExtract(t, 'up_to', 'Nullable(Int64)'), 9223372036854775807), tiers) AS up_to,
            arrayMap(t -> {{ json_decimal('t', 'unit_amount_decimal', 'unit_amount') }}, tiers) AS tier_unit,
            arrayMap(t -> {{ json_decimal('t', 'flat_amount_decimal', 'flat_amount') }}, tiers) AS tier_flat,
            multiIf(
                -- each tier's lower bound (0, then the previous up_to), as many as the tiers even with none (a
                -- tiered price missing from the prices table: the item embeds no tiers), so such an item counts 0,
                -- as a volume one does, instead of failing the whole build
                scheme = 'tiered' AND tiers_mode = 'graduated',
                arraySum(arrayMap((bound, below, price, flat) ->
                                      toDecimal128(greatest(least(quantity, bound) - below, 0), 10) * price
                                      + if(least(quantity, bound) > below, flat, toDecimal128(0, 10)),
                                  up_to, arrayMap(k -> if(k = 1, 0, up_to[k - 1]), arrayEnumerate(up_to)), tier_unit,
                                  tier_flat)),
                scheme = 'tiered',
                toDecimal128(quantity, 10) * arrayElement(tier_unit, arrayFirstIndex(bound -> quantity <= bound, up_to))
                    + arrayElement(tier_flat, arrayFirstIndex(bound -> quantity <= bound, up_to)),
                divide_by > 0,
                toDecimal128(if(round = 'down', intDiv(quantity, divide_by), intDiv(quantity + divide_by - 1, divide_by)), 10) * unit,
                toDecimal128(quantity, 10) * unit) AS period_amount
        FROM priced_items
        WHERE usage_type = 'licensed'
    ),
    state_items AS (
        -- each state's licensed items in their order: id, product and monthly amount
        SELECT
            a.state_key AS state_key,
            arraySort(groupArray((a.position, a.item_id, a.product,
                toDecimal128({{ monthly('a.period_amount', 'a.interval', 'a.interval_count', 'if(e.currency = \'\', 2, e.exponent_or_2)') | indent(16) }}, 10)))) AS sorted,
            arrayMap(x -> x.2, sorted) AS item_ids,
            arrayMap(x -> x.3, sorted) AS products,
            arrayMap(x -> x.4, sorted) AS item_mrr,
            -- how much a month is of one billing period, for amount_off coupons (per period)
            any({{ monthly('1', 'a.interval', 'a.interval_count', '0') }}) AS period_to_month,
            any(if(e.currency = '', 2, e.exponent_or_2)) AS exponent
        FROM item_amounts AS a
        LEFT JOIN (SELECT currency, exponent AS exponent_or_2 FROM {{ ref('currency_exponents') }}) AS e
            ON e.currency = a.currency
        GROUP BY a.state_key
    ),
    discount_refs AS (
        -- every discount of every state (an id, or the object when expanded): the subscription's
        -- (item_id '') and each item's own (items.data[].discounts, item_id set)
        SELECT state_key, currency, 1 AS level, '' AS item_id, 0 AS position, n, d
        FROM states
        ARRAY JOIN JSONExtractArrayRaw(discounts) AS d, arrayEnumerate(JSONExtractArrayRaw(discounts)) AS n
        UNION ALL
        SELECT state_key, currency, 0, JSONExtractString(item, 'id'), k, n, d
        FROM
        (
            SELECT state_key, currency, item, k
            FROM states
            ARRAY JOIN JSONExtractArrayRaw(items) AS item, arrayEnumerate(JSONExtractArrayRaw(items)) AS k
        )
        ARRAY JOIN JSONExtractArrayRaw(item, 'discounts') AS d, arrayEnumerate(JSONExtractArrayRaw(item, 'discounts')) AS n
    ),
    discount_objects AS (
        -- every discount object any state embedded, with its coupon (embedded, or from `coupons`)
        SELECT
            JSONExtractString(d, 'id') AS discount_id,
            coalesce(nullIf(JSONExtractRaw(d, 'coupon'), ''), nullIf(JSONExtractRaw(d, 'source', 'coupon'), ''), 'null') AS coupon,
            {{ json_ts('d', 'start') }} AS start,
            {{ json_ts('d', 'end') }} AS end
        FROM discount_refs
        WHERE JSONType(d) = 'Object'
        LIMIT 1 BY discount_id
    ),
{%- if has_coupons %}
    coupons AS (
        SELECT id, percent_off, amount_off, lower(ifNull(currency, '')) AS currency, duration, duration_in_months,
               {{ column_or('stripe_revenue__coupons', 'applies_to', 'NULL') }} AS applies_to,
               {{ column_or('stripe_revenue__coupons', 'currency_options', 'NULL') }} AS currency_options
        FROM {{ ref('stg_stripe__coupons') }}
    ),
{%- endif %}
    discount_terms AS (
        SELECT
            o.discount_id AS discount_id,
            JSONType(o.coupon) = 'Object' AS embedded,
            {{ stripe_coupon_id('o.coupon') }} AS coupon_id,
            {%- if has_coupons %}
            if(embedded, {{ stripe_coupon_percent_off('o.coupon') }},
               toDecimal128OrNull(c.percent_off, 10)) AS percent_off,
            if(embedded, JSONExtract(o.coupon, 'amount_off', 'Nullable(Int64)'), c.amount_off) AS amount_off,
            if(embedded, lower(JSONExtractString(o.coupon, 'currency')), c.currency) AS amount_currency,
            -- amount_off in other currencies (expandable: the embedded coupon's when it has them, else the
            -- coupons table's, listed with expand[]=data.currency_options)
            if(embedded AND JSONType(o.coupon, 'currency_options') = 'Object', JSONExtractRaw(o.coupon, 'currency_options'),
               c.currency_options) AS currency_options,
            if(embedded, JSONExtractString(o.coupon, 'duration'), c.duration) AS duration,
            if(embedded, JSONExtract(o.coupon, 'duration_in_months', 'Nullable(Int64)'), c.duration_in_months) AS duration_in_months,
            -- the products the coupon is restricted to (`applies_to`, expandable: the embedded coupon's when
            -- it has it, else the coupons table's; none: every product)
            JSONExtract(ifNull(if(embedded AND JSONHas(o.coupon, 'applies_to'), JSONExtractRaw(o.coupon, 'applies_to'), c.applies_to), ''),
                        'products', 'Array(String)') AS applies_to_products,
            {%- else %}
            {{ stripe_coupon_percent_off('o.coupon') }} AS percent_off,
            JSONExtract(o.coupon, 'amount_off', 'Nullable(Int64)') AS amount_off,
            lower(JSONExtractString(o.coupon, 'currency')) AS amount_currency,
            if(JSONType(o.coupon, 'currency_options') = 'Object', JSONExtractRaw(o.coupon, 'currency_options'), NULL) AS currency_options,
            JSONExtractString(o.coupon, 'duration') AS duration,
            JSONExtract(o.coupon, 'duration_in_months', 'Nullable(Int64)') AS duration_in_months,
            JSONExtract(JSONExtractRaw(o.coupon, 'applies_to'), 'products', 'Array(String)') AS applies_to_products,
            {%- endif %}
            o.start AS start,
            coalesce(o.end, if(duration = 'repeating' AND o.start IS NOT NULL,
                               addMonths(o.start, toInt32(ifNull(duration_in_months, 0))), NULL)) AS end
        FROM discount_objects AS o
        {%- if has_coupons %}
        LEFT JOIN coupons AS c ON c.id = {{ stripe_coupon_id('o.coupon') }}
        {%- endif %}
    ),
    state_discounts AS (
        -- a state's discounts with their terms and the items each applies to, in the order they apply:
        -- item discounts, then the subscription's; percent_off before amount_off; then as listed
        SELECT
            state_key,
            arraySort(groupArray((level, ifNull(d_amount_off, 0) != 0, position, n,
                                  toDecimal128(ifNull(d_percent_off, 0), 10), toDecimal128(ifNull(d_amount_off, 0), 10),
                                  ifNull(d_duration, 'once') = 'once', ifNull(d_start, toDateTime64(0, 6, 'UTC')),
                                  ifNull(d_end, {{ far_future }}), items_mask))) AS sorted,
            arrayMap(x -> x.5, sorted) AS percent_off,
            arrayMap(x -> x.6, sorted) AS amount_off,
            arrayMap(x -> x.7, sorted) AS once,
            arrayMap(x -> x.8, sorted) AS starts,
            arrayMap(x -> x.9, sorted) AS ends,
            arrayMap(x -> x.10, sorted) AS discount_items
        FROM
        (
            SELECT
                sd.state_key AS state_key, sd.level AS level, sd.position AS position, sd.n AS n,
                t.percent_off AS d_percent_off,
                -- amount_off in the subscription's currency: a coupon in another currency gives its
                -- currency_options entry for it (Stripe applies an amount_off coupon only in those currencies)
                if(t.amount_off IS NULL, NULL,
                   coalesce(JSONExtract({{ currency_option('t.currency_options', 'sd.currency', 't.amount_currency') }},
                                        'amount_off', 'Nullable(Int64)'),
                            t.amount_off)) AS d_amount_off,
                t.duration AS d_duration,
                t.start AS d_start, t.end AS d_end,
                -- bit i-1 set: the discount applies to licensed item i (an item discount to its own item; a
                -- coupon with `applies_to` to the items of those products only)
                arraySum(arrayMap((id, product, i) ->
                                      if((sd.item_id = '' OR id = sd.item_id)
                                             AND (empty(t.applies_to_products) OR has(t.applies_to_products, product)),
                                         toUInt64(bitShiftLeft(toUInt64(1), i - 1)), toUInt64(0)),
                                  si.item_ids, si.products, arrayEnumerate(si.item_ids))) AS items_mask
            FROM
            (
                SELECT
                    state_key, currency, level, position, n, item_id,
                    if(JSONType(d) = 'String', JSONExtractString(d), JSONExtractString(d, 'id')) AS discount_id
                FROM discount_refs
            ) AS sd
            LEFT JOIN discount_terms AS t ON t.discount_id = sd.discount_id
            LEFT JOIN state_items AS si ON si.state_key = sd.state_key
        )
        GROUP BY state_key
    ),
    valued_states AS (
        SELECT
            s.subscription AS subscription,
            s.at AS at,
            s.kind AS kind,
            s.source_id AS source_id,
            s.customer AS customer,
            s.currency AS currency,
            s.status AS status,
            s.start_date AS start_date,
            s.trial_end AS trial_end,
            s.ended_at AS ended_at,
            arraySum(b.item_mrr) AS base_mrr,
            b.item_mrr AS item_mrr,
            ifNull(b.period_to_month, toDecimal128(1, 10)) AS period_to_month,
            ifNull(b.exponent, 2) AS exponent,
            d.percent_off AS percent_off,
            d.amount_off AS amount_off,
            d.once AS once,
            d.starts AS starts,
            d.ends AS ends,
            d.discount_items AS discount_items
        FROM states AS s
        LEFT JOIN state_items AS b ON b.state_key = s.state_key
        LEFT JOIN state_discounts AS d ON d.state_key = s.state_key
    )
SELECT
    v.subscription AS subscription, v.at AS at, v.kind AS kind, v.source_id AS source_id,
    ifNull(v.customer, '') AS customer, ifNull(v.currency, '') AS currency, ifNull(v.status, '') AS status,
    v.start_date AS start_date, v.trial_end AS trial_end, v.ended_at AS ended_at,
    v.base_mrr AS base_mrr, v.item_mrr AS item_mrr, v.period_to_month AS period_to_month,
    toUInt8(v.exponent) AS exponent, v.percent_off AS percent_off, v.amount_off AS amount_off, v.once AS once,
    v.starts AS starts, v.ends AS ends, v.discount_items AS discount_items, c.coverage_start AS events_since
FROM valued_states AS v
CROSS JOIN coverage AS c
{%- else %}
SELECT '' AS subscription, toDateTime64(0, 6, 'UTC') AS at, '' AS kind, '' AS source_id, '' AS customer,
       '' AS currency, '' AS status, NULL AS start_date, NULL AS trial_end, NULL AS ended_at,
       toDecimal128(0, 10) AS base_mrr, CAST([], 'Array(Decimal(38, 10))') AS item_mrr,
       toDecimal128(1, 10) AS period_to_month, toUInt8(2) AS exponent,
       [] AS percent_off, [] AS amount_off, [] AS once, [] AS starts, [] AS ends, CAST([], 'Array(UInt64)') AS discount_items,
       {{ far_future }} AS events_since
WHERE 0
{%- endif %}
