-- Cloud cost per provider and month, in the one vocabulary of every view (= FOCUS):
--   billed_cost     what finance is invoiced: AWS net unblended cost (net of negotiated discounts; unblended
--                   where the export has no net columns) incl. tax, credits and refunds; GCP cost + credits
--   effective_cost  AWS net amortized cost (commitments spread over the usage they cover); GCP cost + credits
--   list_cost       AWS public on-demand cost; GCP cost at list
CREATE OR REPLACE VIEW finops.monthly_cloud_costs AS
SELECT billing_period AS month, 'aws' AS provider, upper(currency) AS currency, sum(net_unblended_cost) AS billed_cost,
       sum(net_amortized_cost) AS effective_cost, sum(public_on_demand_cost) AS list_cost
FROM finops.aws_cost_daily
GROUP BY month, provider, currency
UNION ALL
SELECT invoice_month AS month, 'gcp' AS provider, upper(currency) AS currency, sum(net_cost) AS billed_cost,
       sum(net_cost) AS effective_cost, sum(cost_at_list) AS list_cost
FROM finops.gcp_cost_daily
GROUP BY month, provider, currency;

-- Stripe revenue per month and currency, from the ledger (balance transactions), in major units.
-- Only revenue moves count: charges, refunds, disputes and their reversals, Stripe's own fees and
-- adjustments. Payouts, transfers, top-ups and reserves move money between balances and the bank;
-- they are not revenue and are left out. net = gross_volume + refunds + disputes + other
-- - processing_fees - stripe_fees.
CREATE OR REPLACE VIEW finops.monthly_revenue AS
SELECT
    month,
    upper(currency)                                                             AS currency,
    sumIf(amount, reporting_category = 'charge')                                AS gross_volume,
    sumIf(amount, reporting_category IN ('refund', 'partial_capture_reversal'))   AS refunds,
    sumIf(amount, reporting_category IN ('dispute', 'dispute_reversal'))        AS disputes,
    sum(fee)                                                                    AS processing_fees,
    -sumIf(amount, reporting_category = 'fee')                                  AS stripe_fees,
    sumIf(amount, reporting_category = 'other_adjustment')                      AS other,
    sum(amount)                                                                 AS gross,
    sum(fee)                                                                    AS fees,
    sum(net)                                                                    AS net
FROM finops.stripe_balance_daily
WHERE reporting_category IN
    ('charge', 'refund', 'partial_capture_reversal', 'dispute', 'dispute_reversal', 'fee', 'other_adjustment')
GROUP BY month, currency;

-- Revenue against the billed cloud cost, per month and currency, unconverted (converted: unit_economics_monthly).
CREATE OR REPLACE VIEW finops.monthly_margin AS
WITH
    costs AS
    (
        SELECT month, currency,
               sumIf(billed_cost, provider = 'aws') AS aws_billed,
               sumIf(billed_cost, provider = 'gcp') AS gcp_billed
        FROM finops.monthly_cloud_costs
        GROUP BY month, currency
    ),
    months AS
    (
        SELECT month, currency FROM costs
        UNION DISTINCT
        SELECT month, currency FROM finops.monthly_revenue
    )
SELECT
    m.month                                    AS month,
    m.currency                                 AS currency,
    toDecimal128(ifNull(c.aws_billed, 0), 10)  AS aws_billed_cost,
    toDecimal128(ifNull(c.gcp_billed, 0), 10)  AS gcp_billed_cost,
    aws_billed_cost + gcp_billed_cost          AS cloud_billed_cost,
    toDecimal128(ifNull(r.net, 0), 10)         AS revenue,
    revenue - cloud_billed_cost                AS margin,
    if(revenue = 0, NULL, round(toFloat64(margin) / toFloat64(revenue) * 100, 2)) AS margin_pct
FROM months AS m
LEFT JOIN costs AS c ON c.month = m.month AND c.currency = m.currency
LEFT JOIN finops.monthly_revenue AS r ON r.month = m.month AND r.currency = m.currency
ORDER BY month, currency;
