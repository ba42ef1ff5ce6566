-- Unit economics per month in the reporting currency (finops_sql_config.reporting_currency, default
-- USD), on one basis:
--   revenue          recognised revenue (monthly_recognised_revenue: annual prepayments spread over their
--                    service period), so a month's revenue is what that month's service earned
--   cash_revenue     the ledger's revenue of the month (monthly_revenue.revenue), before Stripe fees
--   stripe_fees      processing and Stripe fees: a cost of revenue, not netted from revenue
--   cloud_billed_cost the cost finance is invoiced (monthly_cloud_costs.billed_cost): AWS net unblended +
--                    GCP cost + credits + Azure BilledCost; cloud_effective_cost (AWS net amortized, Azure
--                    EffectiveCost) is shown beside it
--   gross_margin     revenue - cost_of_revenue (stripe_fees + cloud_billed_cost); margin_pct = gross_margin / revenue
--   active_customers customers with an active subscription at the month's end; paying_customers those
--                    with MRR > 0 (free, trialing, unpaid and paused customers are not paying). Distinct
--                    customers, never a sum over currencies; per currency: unit_economics_by_currency
-- Conversion: one rate per currency and month (finops.fx_rates), amount × rate(C, M) / rate(R, M),
-- exact (multiplyDecimal/divideDecimal: rates at 18 decimals, amounts truncated at 10). A month with no rate for a currency is NOT filled
-- from another month: that currency's amounts are left out of the month and the month lists it in
-- missing_fx (USD is 1 when it has no row).
WITH
    amounts AS
    (
        -- billed cost per provider ('aws', 'gcp', 'azure'), and the AWS and Azure effective cost
        SELECT month, provider AS source, currency, sum(billed_cost) AS amount
        FROM {{ ref('int_cloud_cost_daily') }} GROUP BY month, source, currency
        UNION ALL
        SELECT month, concat(provider, '_effective'), currency, sum(effective_cost)
        FROM {{ ref('int_cloud_cost_daily') }} WHERE provider IN ('aws', 'azure') GROUP BY month, provider, currency
        UNION ALL
        SELECT month, 'revenue', currency, recognised_revenue FROM {{ ref('monthly_recognised_revenue') }}
        UNION ALL
        SELECT month, 'cash_revenue', currency, cash_revenue FROM {{ ref('monthly_recognised_revenue') }}
        UNION ALL
        SELECT month, 'fees', currency, fees FROM {{ ref('monthly_recognised_revenue') }}
    ),
    rates AS
    (
        SELECT month, currency, any(rate_to_usd) AS rate FROM {{ ref('fx_rates') }} GROUP BY month, currency
    ),
    converted AS
    (
        SELECT
            a.month AS month,
            a.source AS source,
            a.currency AS currency,
            {{ fx_rate('r.rate', 'a.currency') }} AS rate,
            {{ fx_rate('q.rate', lit(config.reporting_currency)) }} AS reporting_rate,
            -- exact at any magnitude (a plain Decimal a * b / c overflows near 1.7e8): macros.jinja
            if(rate = 0 OR reporting_rate = 0, NULL, {{ fx_convert('a.amount', 'rate', 'reporting_rate') }}) AS converted
        FROM amounts AS a
        LEFT JOIN rates AS r ON r.month = a.month AND r.currency = a.currency
        LEFT JOIN rates AS q ON q.month = a.month AND q.currency = {{ lit(config.reporting_currency) }}
    ),
    customers AS
    (
        SELECT month, uniqExactIf(customer, mrr > 0) AS paying_customers
        FROM {{ ref('int_stripe__customer_mrr') }}
        GROUP BY month
    ),
    subscribers AS
    (
        SELECT month, uniqExactIf(customer, active_at_end) AS active_customers
        FROM {{ ref('int_stripe__subscription_mrr') }}
        GROUP BY month
    ),
    monthly AS
    (
        SELECT
            month,
            toDecimal128(sumIf(ifNull(converted, 0), source = 'revenue'), 10)       AS revenue,
            toDecimal128(sumIf(ifNull(converted, 0), source = 'cash_revenue'), 10)  AS cash_revenue,
            toDecimal128(sumIf(ifNull(converted, 0), source = 'fees'), 10)          AS stripe_fees,
            toDecimal128(sumIf(ifNull(converted, 0), source = 'aws'), 10)           AS aws_billed,
            toDecimal128(sumIf(ifNull(converted, 0), source = 'aws_effective'), 10) AS aws_effective,
            toDecimal128(sumIf(ifNull(converted, 0), source = 'gcp'), 10)           AS gcp_billed,
            toDecimal128(sumIf(ifNull(converted, 0), source = 'azure'), 10)         AS azure_billed,
            toDecimal128(sumIf(ifNull(converted, 0), source = 'azure_effective'), 10) AS azure_effective,
            arraySort(groupUniqArrayIf(currency, converted IS NULL)) AS missing_fx
        FROM converted
        GROUP BY month
    )
SELECT
    m.month                                                     AS month,
    {{ lit(config.reporting_currency) }}                        AS reporting_currency,
    m.revenue                                                   AS revenue,
    m.cash_revenue                                              AS cash_revenue,
    m.stripe_fees                                               AS stripe_fees,
    m.aws_billed                                                AS aws_billed_cost,
    m.gcp_billed                                                AS gcp_billed_cost,
    m.azure_billed                                              AS azure_billed_cost,
    aws_billed_cost + gcp_billed_cost + azure_billed_cost       AS cloud_billed_cost,
    m.aws_effective + m.gcp_billed + m.azure_effective          AS cloud_effective_cost,
    stripe_fees + cloud_billed_cost                             AS cost_of_revenue,
    revenue - cost_of_revenue                                   AS gross_margin,
    if(revenue = 0, NULL, round(toFloat64(gross_margin) / toFloat64(revenue) * 100, 2)) AS margin_pct,
    ifNull(s.active_customers, 0)                               AS active_customers,
    ifNull(c.paying_customers, 0)                               AS paying_customers,
    if(active_customers = 0, NULL, toDecimal128(cloud_billed_cost / greatest(active_customers, 1), 10)) AS cost_per_active_customer,
    if(active_customers = 0, NULL, toDecimal128(revenue / greatest(active_customers, 1), 10))    AS revenue_per_active_customer,
    m.missing_fx                                                AS missing_fx
FROM monthly AS m
LEFT JOIN customers AS c ON c.month = m.month
LEFT JOIN subscribers AS s ON s.month = m.month
ORDER BY month
