-- Revenue against the billed cloud cost, per month and currency, unconverted (converted:
-- unit_economics_monthly). revenue is cash revenue before Stripe fees (monthly_revenue.revenue);
-- stripe_fees are a cost line; margin = revenue - stripe_fees - cloud_billed_cost, margin_pct = margin / revenue.
WITH
    costs AS
    (
        SELECT month, currency,
               sumIf(billed_cost, provider = 'aws') AS aws_billed,
               sumIf(billed_cost, provider = 'gcp') AS gcp_billed,
               sumIf(billed_cost, provider = 'azure') AS azure_billed
        FROM {{ ref('monthly_cloud_costs') }}
        GROUP BY month, currency
    ),
    months AS
    (
        SELECT month, currency FROM costs
        UNION DISTINCT
        SELECT month, currency FROM {{ ref('monthly_revenue') }}
    )
SELECT
    m.month                                    AS month,
    m.currency                                 AS currency,
    toDecimal128(ifNull(c.aws_billed, 0), 10)  AS aws_billed_cost,
    toDecimal128(ifNull(c.gcp_billed, 0), 10)  AS gcp_billed_cost,
    toDecimal128(ifNull(c.azure_billed, 0), 10) AS azure_billed_cost,
    aws_billed_cost + gcp_billed_cost + azure_billed_cost AS cloud_billed_cost,
    toDecimal128(ifNull(r.revenue, 0), 10)     AS revenue,
    toDecimal128(ifNull(r.fees, 0), 10)        AS stripe_fees,
    revenue - stripe_fees - cloud_billed_cost  AS margin,
    if(revenue = 0, NULL, round(toFloat64(margin) / toFloat64(revenue) * 100, 2)) AS margin_pct
FROM months AS m
LEFT JOIN costs AS c ON c.month = m.month AND c.currency = m.currency
LEFT JOIN {{ ref('monthly_revenue') }} AS r ON r.month = m.month AND r.currency = m.currency
ORDER BY month, currency
