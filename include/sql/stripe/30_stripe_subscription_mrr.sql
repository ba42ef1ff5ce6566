-- MRR of every subscription at every month's end: finops.stripe_subscription_mrr, one row per
-- subscription and month from the month it started to the month it ended (or the month of the newest
-- load). The base of the customer movements (35_...) and the monthly figures (40_...).
--
-- Raw subscriptions and their items are current state only (a plan change overwrites them), so the
-- history comes from what Stripe billed:
--   * a month that had ended when the data was read uses the invoice lines that cover its last instant
--     (mrr_source = 'invoice'): the subscription line of the billing period, plus the proration lines
--     of a change inside the period. A proration line counts its price * quantity with the sign of its
--     amount, so "unused time on" the old plan (-old) and "remaining time on" the new one (+new) move
--     the MRR from old to new at the instant of the change, whether the prorations were invoiced at
--     once or with the next period;
--   * the month still running, and any month no invoice line covers (invoices not loaded, void, or
--     billed before the data starts), use the subscription's current items (mrr_source =
--     'subscription').
-- So a change shows in an ended month once Stripe has invoiced its prorations (at the latest with the
-- next period's invoice; every run rebuilds the whole history), and a change made without prorations
-- (proration_behavior = none) shows from the next billing period, which is when it is billed.
-- A subscription counts at a month's end when it started before it, had not ended, was out of trial
-- and is not incomplete, incomplete_expired (never paid) or, on its current items, paused.
-- Normalised to one month: year / 12, week * 52 / 12, day * 365 / 12, divided by interval_count; in
-- major units (minor / 10^exponent). Metered prices and discounts are left out; amounts stay in the
-- subscription's currency. A regular line counts its amount, so tiered prices are right; a proration
-- line of a tiered price (no single unit_amount) counts 0, so there the change shows a period later.
-- Draft and void invoices are not read. Only rows of completed loads are read; every table gets the
-- dedup rule of README-contract.md.
{%- set has_invoices = has_column('stripe_revenue__invoices', 'lines') %}
{%- set has_prices = has_column('stripe_revenue__prices', 'recurring_interval') %}

{#- An amount in minor units per recurring interval as Decimal major units per month. Multiplied
    before it is divided, so that a yearly 1200.00 is exactly 100.00 a month. 0 for an unknown interval. -#}
{% macro monthly(amount, interval, interval_count, exponent) -%}
toDecimal128({{ amount }}, 10)
    * multiIf({{ interval }} IN ('month', 'year'), 1, {{ interval }} = 'week', 52, {{ interval }} = 'day', 365, 0)
    / (multiIf({{ interval }} = 'month', 1, 12) * greatest(ifNull({{ interval_count }}, 1), 1))
    / intExp10(ifNull({{ exponent }}, 2))
{%- endmacro %}

{% call rebuild('stripe_subscription_mrr', partitioned=false) %}
WITH
    subscriptions AS (
        {{ stripe_current('subscriptions', "id, customer, status, lower(currency) AS currency, start_date, ended_at, trial_end, _loaded_at") | indent(8) }}
    ),
    items AS (
        {{ stripe_current('subscription_items', "id, subscription, quantity, unit_amount, currency_exponent, recurring_interval, recurring_interval_count, recurring_usage_type") | indent(8) }}
    ),
    current_mrr AS (
        SELECT
            subscription,
            sum({{ monthly('ifNull(unit_amount, 0) * ifNull(quantity, 1)', 'recurring_interval',
                           'recurring_interval_count', 'currency_exponent') | indent(16) }}) AS mrr
        FROM items
        WHERE ifNull(recurring_usage_type, 'licensed') = 'licensed'
        GROUP BY subscription
    ),
    invoice_mrr AS (
{%- if has_invoices %}
        WITH
            invoices AS (
                {{ stripe_current('invoices', "id, status, subscription, currency_exponent, lines") | indent(16) }}
            ),
            {%- if has_prices %}
            prices AS (
                {{ stripe_current('prices', "id, unit_amount, recurring_interval, recurring_interval_count, recurring_usage_type") | indent(16) }}
            ),
            {%- endif %}
            lines AS (
                -- Both line shapes: `parent` / `pricing` (API 2025-03-31 and later) and the older
                -- `type` / `proration` / `subscription` / expanded `price`.
                SELECT
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
                    JSONExtractInt(line, 'amount') AS amount,
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
                    SELECT subscription AS invoice_subscription, currency_exponent AS invoice_exponent, lines
                    FROM invoices
                    WHERE status NOT IN ('draft', 'void')
                )
                ARRAY JOIN JSONExtractArrayRaw(ifNull(lines, '[]')) AS line
            ),
            priced AS (
                SELECT
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
                    -- A regular line bills the whole period (its amount is the period's price, 0 in a
                    -- trial); a proration line bills part of one, so it counts its full price instead.
                    {{ monthly('if(l.proration, sign(l.amount) * ifNull(unit_amount, 0) * ifNull(l.quantity, 1), l.amount)',
                               'interval', 'interval_count', 'l.invoice_exponent') | indent(20) }} AS mrr
                FROM lines AS l
                {%- if has_prices %}
                LEFT JOIN prices AS p ON p.id = l.price
                {%- endif %}
                WHERE l.subscription IS NOT NULL AND (l.subscription_line OR l.proration)
            )
        -- Each line counts at the end of every month inside its period: at the instant `month_end`
        -- when period_start < month_end <= period_end (the last instant of the month is inside).
        SELECT subscription, month_start, sum(mrr) AS mrr, count() AS lines
        FROM
        (
            SELECT
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
               toUInt64(0) AS lines
        WHERE 0
{%- endif %}
    ),
    subscription_months AS (
        SELECT
            s.*,
            addMonths(toStartOfMonth(toDate(s.start_date, 'UTC')), toInt32(n)) AS month_start
        FROM
        (
            SELECT subscriptions.*, last_month
            FROM subscriptions
            CROSS JOIN (SELECT toStartOfMonth(max(toDate(_loaded_at, 'UTC'))) AS last_month FROM subscriptions) AS b
        ) AS s
        ARRAY JOIN range(toUInt32(greatest(dateDiff('month', toStartOfMonth(toDate(s.start_date, 'UTC')),
            if(s.ended_at IS NULL, s.last_month, least(s.last_month, toStartOfMonth(toDate(s.ended_at, 'UTC'))))),
            0)) + 1) AS n
    ),
    flagged AS (
        SELECT
            sm.id AS id,
            sm.customer AS customer,
            sm.status AS status,
            sm.currency AS currency,
            sm.start_date AS start_date,
            sm.ended_at AS ended_at,
            sm.month_start AS month_start,
            toDateTime64(sm.month_start, 6, 'UTC') AS period_start,
            toDateTime64(addMonths(sm.month_start, 1), 6, 'UTC') AS period_end,
            sm.status NOT IN ('incomplete', 'incomplete_expired') AS counted,
            counted AND sm.start_date < period_end
                AND (sm.ended_at IS NULL OR sm.ended_at >= period_end)
                AND (sm.trial_end IS NULL OR sm.trial_end < period_end) AS is_active_at_end,
            counted AND sm.start_date < period_start
                AND (sm.ended_at IS NULL OR sm.ended_at >= period_start) AS is_active_at_start,
            -- a month that had ended when the subscriptions were read: what Stripe billed for it
            im.lines > 0 AND period_end <= sm._loaded_at AS from_invoices,
            im.mrr AS billed_mrr,
            if(sm.status = 'paused', toDecimal128(0, 10), cm.mrr) AS plan_mrr
        FROM subscription_months AS sm
        LEFT JOIN invoice_mrr AS im ON im.subscription = sm.id AND im.month_start = sm.month_start
        LEFT JOIN current_mrr AS cm ON cm.subscription = sm.id
    )
SELECT
    formatDateTime(month_start, '%Y-%m')                                AS month,
    month_start,
    ifNull(currency, '')                                                AS currency,
    ifNull(customer, '')                                                AS customer,
    id                                                                  AS subscription,
    ifNull(status, '')                                                  AS status,
    if(is_active_at_end, if(from_invoices, billed_mrr, plan_mrr), toDecimal128(0, 10)) AS mrr,
    multiIf(NOT is_active_at_end, '', from_invoices, 'invoice', 'subscription') AS mrr_source,
    is_active_at_start                                                  AS active_at_start,
    is_active_at_end                                                    AS active_at_end,
    counted AND start_date >= period_start AND start_date < period_end  AS started,
    counted AND ended_at IS NOT NULL AND ended_at >= period_start AND ended_at < period_end AS ended
FROM flagged
{% endcall %}
