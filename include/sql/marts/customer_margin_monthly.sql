-- finops.customer_margin_monthly: revenue, allocated cloud cost and gross margin per Stripe customer and month, in
-- the reporting currency (finops_sql_config.reporting_currency).
--   revenue         the customer's MRR at the month's end (int_stripe__customer_mrr, Stripe's Billing analytics
--                   definition): recognised revenue is kept per month and currency only, not per customer
--   direct_cost     billed cost of the line items whose customers.tag value names the customer (int_cloud_cost_allocated
--                   customer_id), outside the shared pools of the allocation
--   shared_cost     the customer's share of the month's shared pools (allocation.shared: support, tax, ...), split by
--                   the customers' positive direct cost; shares are exact (mul_div truncates at 10 decimals) and the
--                   truncation remainder goes to the largest share
--   customer_id ''  the unmapped row: direct cost without a customer, and the shared pools of a month no customer
--                   has direct cost in; so allocated_cost adds up to the month's bill (reconciliation check
--                   customer_cost_total against unit_economics_monthly.cloud_billed_cost)
-- Conversion as in unit_economics_monthly: amount × rate(C, M) / rate(R, M), exact; a currency without the month's
-- rate is left out of the month and listed in missing_fx.
WITH
    rates AS
    (
        SELECT month, currency, any(rate_to_usd) AS rate FROM {{ ref('fx_rates') }} GROUP BY month, currency
    ),
    amounts AS
    (
        SELECT month, customer_id, if(shared_pool != '', 'shared', 'direct') AS part, currency, sum(billed_cost) AS amount
        FROM {{ ref('int_cloud_cost_allocated') }}
        GROUP BY month, customer_id, part, currency
        UNION ALL
        SELECT month, customer, 'revenue', upper(currency), sum(mrr)
        FROM {{ ref('int_stripe__customer_mrr') }}
        WHERE mrr != 0
        GROUP BY month, customer, currency
    ),
    converted AS
    (
        SELECT
            a.month AS month, a.customer_id AS customer_id, a.part AS part, a.currency AS currency,
            {{ fx_rate('r.rate', 'a.currency') }} AS rate,
            {{ fx_rate('q.rate', lit(config.reporting_currency)) }} AS reporting_rate,
            if(rate = 0 OR reporting_rate = 0, NULL, {{ fx_convert('a.amount', 'rate', 'reporting_rate') }}) AS converted
        FROM amounts AS a
        LEFT JOIN rates AS r ON r.month = a.month AND r.currency = a.currency
        LEFT JOIN rates AS q ON q.month = a.month AND q.currency = {{ lit(config.reporting_currency) }}
    ),
    direct AS
    (
        SELECT month, customer_id, toDecimal128(sum(ifNull(converted, 0)), 10) AS direct_cost
        FROM converted WHERE part = 'direct' GROUP BY month, customer_id
    ),
    pools AS
    (
        SELECT month, toDecimal128(sum(ifNull(converted, 0)), 10) AS pool_cost
        FROM converted WHERE part = 'shared' GROUP BY month
    ),
    shares AS
    (
        SELECT month, customer_id, pool_cost, weight, truncated_share,
               sum(truncated_share) OVER (PARTITION BY month) AS shared_out,
               row_number() OVER (PARTITION BY month ORDER BY weight DESC, customer_id) AS share_rank
        FROM
        (
            SELECT d.month AS month, d.customer_id AS customer_id, d.direct_cost AS weight, p.pool_cost AS pool_cost,
                   sum(d.direct_cost) OVER (PARTITION BY d.month) AS total_weight,
                   {{ mul_div('p.pool_cost', 'd.direct_cost', 'total_weight', 'toDecimal128(0, 10)') }} AS truncated_share
            FROM direct AS d
            INNER JOIN pools AS p ON p.month = d.month
            WHERE d.customer_id != '' AND d.direct_cost > 0
        )
    ),
    missing AS
    (
        SELECT month, arraySort(groupUniqArrayIf(currency, converted IS NULL)) AS missing_fx FROM converted GROUP BY month
    ),
    parts AS
    (
        SELECT month, customer_id, toDecimal128(0, 10) AS revenue_part, direct_cost AS direct_part,
               toDecimal128(0, 10) AS shared_part
        FROM direct
        UNION ALL
        -- the remainder of the truncated shares goes to the largest share: the pools are split exactly
        SELECT month, customer_id, toDecimal128(0, 10), toDecimal128(0, 10),
               toDecimal128(truncated_share + if(share_rank = 1, pool_cost - shared_out, toDecimal128(0, 10)), 10)
        FROM shares
        UNION ALL
        SELECT month, '', toDecimal128(0, 10), toDecimal128(0, 10), pool_cost
        FROM pools
        WHERE month NOT IN (SELECT month FROM shares)
        UNION ALL
        SELECT month, customer_id, toDecimal128(sum(ifNull(converted, 0)), 10), toDecimal128(0, 10), toDecimal128(0, 10)
        FROM converted WHERE part = 'revenue' GROUP BY month, customer_id
    )
SELECT p.month AS month, p.customer_id AS customer_id, toUInt8(p.customer_id != '') AS mapped,
       {{ lit(config.reporting_currency) }} AS reporting_currency,
       sum(p.revenue_part) AS revenue, sum(p.direct_part) AS direct_cost, sum(p.shared_part) AS shared_cost,
       direct_cost + shared_cost AS allocated_cost, revenue - allocated_cost AS gross_margin,
       if(revenue = 0, NULL, round(toFloat64(gross_margin) / toFloat64(revenue) * 100, 2)) AS margin_pct,
       any(m.missing_fx) AS missing_fx
FROM parts AS p
LEFT JOIN missing AS m ON m.month = p.month
GROUP BY p.month, p.customer_id
