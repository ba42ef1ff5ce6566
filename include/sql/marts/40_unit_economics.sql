-- Unit economics per month in the reporting currency (finops_sql_config.reporting_currency, default
-- USD): Stripe net revenue, billed cloud cost (AWS net unblended + GCP cost + credits, as in
-- monthly_cloud_costs.billed_cost), gross margin, margin %,
-- and cost and revenue per active customer (customers with an active subscription at the month's end,
-- finops.stripe_mrr_monthly). Every amount is converted with finops.fx_rates: the rate of its currency
-- for its month (or the latest earlier month that has one) divided by the reporting currency's rate.
-- An amount in a currency without any rate is left out and its currency listed in missing_fx.
CREATE OR REPLACE VIEW finops.unit_economics_monthly AS
WITH
    amounts AS
    (
        SELECT billing_period AS month, 'aws' AS source, upper(currency) AS currency, sum(net_unblended_cost) AS amount
        FROM finops.aws_cost_daily GROUP BY month, source, currency
        UNION ALL
        SELECT invoice_month, 'gcp', upper(currency), sum(net_cost)
        FROM finops.gcp_cost_daily GROUP BY invoice_month, upper(currency)
        UNION ALL
        SELECT month, 'revenue', currency, net  -- revenue moves only (payouts etc. excluded)
        FROM finops.monthly_revenue
    ),
    with_rate AS
    (
        SELECT a.month, a.source, a.currency, a.amount, a.month_start, r.rate_to_usd AS rate
        FROM (SELECT *, toDate(concat(month, '-01')) AS month_start FROM amounts) AS a
        ASOF LEFT JOIN (SELECT currency, month_start, rate_to_usd FROM finops.fx_rates) AS r
            ON r.currency = a.currency AND a.month_start >= r.month_start
    ),
    converted AS
    (
        SELECT w.month, w.source, w.currency, w.amount, w.rate, q.rate_to_usd AS reporting_rate,
               -- exact at any magnitude (a plain Decimal a * b / c overflows near 1.7e8): macros.jinja
               if(w.rate = 0, NULL, {{ mul_div('w.amount', 'w.rate', 'q.rate_to_usd') }}) AS converted
        FROM (SELECT *, {{ lit(config.reporting_currency) }} AS reporting_currency FROM with_rate) AS w
        ASOF LEFT JOIN (SELECT currency, month_start, rate_to_usd FROM finops.fx_rates) AS q
            ON q.currency = w.reporting_currency AND w.month_start >= q.month_start
    ),
    customers AS
    (
        SELECT month, sum(active_customers) AS active_customers
        FROM finops.stripe_mrr_monthly
        GROUP BY month
    ),
    monthly AS
    (
        SELECT
            month,
            toDecimal128(sumIf(ifNull(converted, 0), source = 'revenue'), 10)  AS revenue,
            toDecimal128(sumIf(ifNull(converted, 0), source = 'aws'), 10)      AS aws_billed,
            toDecimal128(sumIf(ifNull(converted, 0), source = 'gcp'), 10)      AS gcp_billed,
            arraySort(groupUniqArrayIf(currency, converted IS NULL))           AS missing_fx
        FROM converted
        GROUP BY month
    )
SELECT
    m.month                                                     AS month,
    {{ lit(config.reporting_currency) }}                        AS reporting_currency,
    m.revenue                                                   AS revenue,
    m.aws_billed                                                AS aws_billed_cost,
    m.gcp_billed                                                AS gcp_billed_cost,
    aws_billed_cost + gcp_billed_cost                           AS cloud_billed_cost,
    revenue - cloud_billed_cost                                 AS gross_margin,
    if(revenue = 0, NULL, round(toFloat64(gross_margin) / toFloat64(revenue) * 100, 2)) AS margin_pct,
    ifNull(c.active_customers, 0)                               AS active_customers,
    if(active_customers = 0, NULL, toDecimal128(cloud_billed_cost / greatest(active_customers, 1), 10)) AS cost_per_active_customer,
    if(active_customers = 0, NULL, toDecimal128(revenue / greatest(active_customers, 1), 10))    AS revenue_per_active_customer,
    m.missing_fx                                                AS missing_fx
FROM monthly AS m
LEFT JOIN customers AS c ON c.month = m.month
ORDER BY month;
