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
-- Every reporting category counts except the ones that only move money between balances, the bank and
-- other accounts (payouts, transfers, top-ups, reserves, advances and financing, Issuing, Climate), so
-- a category Stripe adds later lands in `other` instead of being dropped. Fees are a cost line:
--   revenue          = gross_volume + refunds + failed_payments + disputes + platform_earnings + other
--                      - sales_tax                          (before any Stripe fee)
--   refunds          refund, refund_failure (a failed refund gives the money back), partial_capture_reversal
--   failed_payments  charge_failure (an ACH/SEPA debit that succeeded, then failed; its fee stays charged)
--   platform_earnings platform_earning, platform_earning_refund (Connect application fees: revenue)
--   sales_tax        VAT / sales tax on paid invoices (stripe_revenue_recognition): collected for the
--                    state, not revenue, though the charge includes it
--   processing_fees  the `fee` of every revenue transaction (card, ACH, dispute fees)
--   stripe_fees      Stripe's own fees (`fee`), the tax Stripe charges on them (`tax`) and network costs
--   fees = processing_fees + stripe_fees; net = revenue - fees
CREATE OR REPLACE VIEW finops.monthly_revenue AS
WITH
    ledger AS
    (
        SELECT
            month,
            upper(currency)                                                                        AS currency,
            sumIf(amount, reporting_category = 'charge')                                           AS gross_volume,
            sumIf(amount, reporting_category IN ('refund', 'refund_failure', 'partial_capture_reversal')) AS refunds,
            sumIf(amount, reporting_category = 'charge_failure')                                   AS failed_payments,
            sumIf(amount, reporting_category IN ('dispute', 'dispute_reversal'))                   AS disputes,
            sumIf(amount, reporting_category IN ('platform_earning', 'platform_earning_refund'))   AS platform_earnings,
            sumIf(amount, reporting_category NOT IN ('charge', 'refund', 'refund_failure', 'partial_capture_reversal',
                'charge_failure', 'dispute', 'dispute_reversal', 'platform_earning', 'platform_earning_refund',
                'fee', 'tax', 'network_cost'))                                                     AS other,
            sum(fee)                                                                               AS processing_fees,
            -sumIf(amount, reporting_category IN ('fee', 'tax', 'network_cost'))                   AS stripe_fees
        FROM finops.stripe_balance_daily
        WHERE reporting_category NOT IN
            ('payout', 'payout_reversal', 'transfer', 'transfer_reversal', 'topup', 'topup_reversal',
             'advance', 'advance_funding', 'anticipation_repayment', 'connect_collection_transfer',
             'connect_reserved_funds', 'risk_reserved_funds', 'reserve_transaction', 'reserved_funds',
             'unreconciled_customer_funds', 'contribution', 'climate_order_purchase', 'climate_order_refund')
          AND NOT startsWith(reporting_category, 'issuing_')
          AND NOT startsWith(reporting_category, 'financing_')
        GROUP BY month, currency
    ),
    tax AS
    (
        SELECT month, upper(currency) AS currency, sum(sales_tax) AS sales_tax
        FROM finops.stripe_revenue_recognition
        GROUP BY month, currency
    )
SELECT
    l.month                                                                      AS month,
    l.currency                                                                   AS currency,
    toDecimal128(l.gross_volume, 10)                                             AS gross_volume,
    toDecimal128(l.refunds, 10)                                                  AS refunds,
    toDecimal128(l.failed_payments, 10)                                          AS failed_payments,
    toDecimal128(l.disputes, 10)                                                 AS disputes,
    toDecimal128(l.platform_earnings, 10)                                        AS platform_earnings,
    toDecimal128(l.other, 10)                                                    AS other,
    toDecimal128(ifNull(t.sales_tax, 0), 10)                                     AS sales_tax,
    gross_volume + refunds + failed_payments + disputes + platform_earnings + other - sales_tax AS revenue,
    toDecimal128(l.processing_fees, 10)                                          AS processing_fees,
    toDecimal128(l.stripe_fees, 10)                                              AS stripe_fees,
    processing_fees + stripe_fees                                                AS fees,
    revenue - fees                                                               AS net
FROM ledger AS l
LEFT JOIN tax AS t ON t.month = l.month AND t.currency = l.currency;

-- Revenue as recognised (accrual): cash revenue (monthly_revenue.revenue) moved to the service periods
-- of what was invoiced: + the paid invoices' amounts (excluding tax) spread over their lines' periods,
-- - the same invoices' amounts in the month they were paid. An annual plan paid up front counts a
-- twelfth a month; charges without an invoice stay in their month.
CREATE OR REPLACE VIEW finops.monthly_recognised_revenue AS
WITH
    deferral AS
    (
        SELECT month, upper(currency) AS currency, sum(recognised) - sum(invoiced_paid) AS adjustment
        FROM finops.stripe_revenue_recognition
        GROUP BY month, currency
    ),
    months AS
    (
        SELECT month, currency FROM finops.monthly_revenue
        UNION DISTINCT
        SELECT month, currency FROM deferral WHERE month <= (SELECT max(month) FROM finops.stripe_balance_daily)
    )
SELECT
    m.month                                                       AS month,
    m.currency                                                    AS currency,
    toDecimal128(ifNull(r.revenue, 0), 10)                        AS cash_revenue,
    toDecimal128(ifNull(d.adjustment, 0), 10)                     AS deferral_adjustment,
    cash_revenue + deferral_adjustment                            AS recognised_revenue,
    toDecimal128(ifNull(r.fees, 0), 10)                           AS fees
FROM months AS m
LEFT JOIN finops.monthly_revenue AS r ON r.month = m.month AND r.currency = m.currency
LEFT JOIN deferral AS d ON d.month = m.month AND d.currency = m.currency;

-- Revenue against the billed cloud cost, per month and currency, unconverted (converted:
-- unit_economics_monthly). revenue is cash revenue before Stripe fees (monthly_revenue.revenue);
-- stripe_fees are a cost line; margin = revenue - stripe_fees - cloud_billed_cost, margin_pct = margin / revenue.
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
    toDecimal128(ifNull(r.revenue, 0), 10)     AS revenue,
    toDecimal128(ifNull(r.fees, 0), 10)        AS stripe_fees,
    revenue - stripe_fees - cloud_billed_cost  AS margin,
    if(revenue = 0, NULL, round(toFloat64(margin) / toFloat64(revenue) * 100, 2)) AS margin_pct
FROM months AS m
LEFT JOIN costs AS c ON c.month = m.month AND c.currency = m.currency
LEFT JOIN finops.monthly_revenue AS r ON r.month = m.month AND r.currency = m.currency
ORDER BY month, currency;
