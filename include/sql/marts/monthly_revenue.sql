-- Stripe revenue per month and currency, from the ledger (balance transactions), in major units.
-- Every reporting category counts except the ones that only move money between balances, the bank and
-- other accounts (payouts, transfers, top-ups, reserves and balance holds, advances and financing, Issuing,
-- Climate), so a category Stripe adds later lands in `other` instead of being dropped. Fees are a cost line:
--   revenue          = gross_volume + refunds + failed_payments + disputes + platform_earnings + other
--                      - sales_tax                          (before any Stripe fee)
--   refunds          refund, refund_failure (a failed refund gives the money back), partial_capture_reversal
--   failed_payments  charge_failure (an ACH/SEPA debit that succeeded, then failed; its fee stays charged)
--   platform_earnings platform_earning, platform_earning_refund (Connect application fees: revenue)
--   sales_tax        VAT / sales tax on invoices paid through Stripe (int_stripe__revenue_recognition, in
--                    the currency the invoice settled in; less the VAT their credit notes give back, a refund's
--                    in the month it takes effect): collected for the state, not revenue, though the
--                    charge includes it. A month and currency with sales tax but no ledger row is kept (its
--                    revenue is negative) rather than the tax being dropped
--   processing_fees  the `fee` of every revenue transaction (card, ACH, dispute fees)
--   stripe_fees      Stripe's own fees (`fee`), the tax Stripe charges on them (`tax`) and network costs
--   fees = processing_fees + stripe_fees; net = revenue - fees
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
        FROM {{ ref('int_stripe__balance_daily') }}
        WHERE reporting_category NOT IN
            ('payout', 'payout_reversal', 'transfer', 'transfer_reversal', 'topup', 'topup_reversal',
             'advance', 'advance_funding', 'anticipation_repayment', 'connect_collection_transfer',
             'connect_reserved_funds', 'risk_reserved_funds', 'reserve_transaction', 'reserved_funds',
             'unreconciled_customer_funds', 'contribution', 'climate_order_purchase', 'climate_order_refund')
          AND NOT startsWith(reporting_category, 'issuing_')
          AND NOT startsWith(reporting_category, 'financing_')
          -- balance holds and their releases (a payout's minimum balance, reserves): money kept back, whatever
          -- reporting category they carry; a hold and its release can fall in different months
          AND type NOT IN ('payout_minimum_balance_hold', 'payout_minimum_balance_release', 'reserve_hold',
                           'reserve_release', 'payment_network_reserve_hold', 'payment_network_reserve_release',
                           'reserved_funds', 'reserve_transaction')
        GROUP BY month, currency
    ),
    tax AS
    (
        SELECT month, upper(currency) AS currency, sum(sales_tax) AS sales_tax
        FROM {{ ref('int_stripe__revenue_recognition') }}
        GROUP BY month, currency
        HAVING sales_tax != 0
    ),
    keys AS
    (
        SELECT month, currency FROM ledger
        UNION DISTINCT
        SELECT month, currency FROM tax
    )
SELECT
    k.month                                                                      AS month,
    k.currency                                                                   AS currency,
    toDecimal128(ifNull(l.gross_volume, 0), 10)                                  AS gross_volume,
    toDecimal128(ifNull(l.refunds, 0), 10)                                       AS refunds,
    toDecimal128(ifNull(l.failed_payments, 0), 10)                               AS failed_payments,
    toDecimal128(ifNull(l.disputes, 0), 10)                                      AS disputes,
    toDecimal128(ifNull(l.platform_earnings, 0), 10)                             AS platform_earnings,
    toDecimal128(ifNull(l.other, 0), 10)                                         AS other,
    toDecimal128(ifNull(t.sales_tax, 0), 10)                                     AS sales_tax,
    gross_volume + refunds + failed_payments + disputes + platform_earnings + other - sales_tax AS revenue,
    toDecimal128(ifNull(l.processing_fees, 0), 10)                               AS processing_fees,
    toDecimal128(ifNull(l.stripe_fees, 0), 10)                                   AS stripe_fees,
    processing_fees + stripe_fees                                                AS fees,
    revenue - fees                                                               AS net
FROM keys AS k
LEFT JOIN ledger AS l ON l.month = k.month AND l.currency = k.currency
LEFT JOIN tax AS t ON t.month = k.month AND t.currency = k.currency
