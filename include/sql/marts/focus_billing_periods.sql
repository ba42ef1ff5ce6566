-- finops.focus_billing_periods: the FOCUS 1.4 BillingPeriod dataset, one row per provider x billing account x
-- billing period (x currency), with BillingPeriodStatus Open / Closed from each provider's bill status:
-- * AWS: Closed once the period has ended and every line of its newest CUR delivery carries the invoice id
--   (AWS fills bill_invoice_id when it issues the period's invoice, in the period's final delivery; staging
--   keeps only the newest delivery of a period, so a later re-delivery without ids reopens it).
-- * GCP: the export has no invoice status: Closed once billing_period_closing_days.gcp days have passed since
--   the invoice month ended (Pacific time, like BillingPeriodEnd).
-- * Azure: Closed once billing_period_closing_days.azure days have passed since the export's BillingPeriodEnd.
-- A view: the status moves with the clock, not only with loads. x_CorrectionHandling says how the provider
-- corrects a period (include/sql/README.md).
{%- set closing = config.billing_period_closing_days %}
SELECT
    x_Provider,
    BillingAccountId,
    BillingCurrency,
    BillingPeriodStart,
    BillingPeriodEnd,
    x_BillingMonth,
    any(BillingAccountName)                                   AS BillingAccountName,
    CAST(min(ifNull(HostProviderName, ServiceProviderName)) AS String) AS ServiceProviderName,
    min(InvoiceIssuerName)                                    AS InvoiceIssuerName,
    CAST(multiIf(
        x_Provider = 'aws', if(BillingPeriodEnd <= now() AND countIf(InvoiceId IS NULL) = 0, 'Closed', 'Open'),
        x_Provider = 'gcp', if(now() >= BillingPeriodEnd + toIntervalDay({{ lit(closing.gcp) }}), 'Closed', 'Open'),
        x_Provider = 'azure', if(now() >= BillingPeriodEnd + toIntervalDay({{ lit(closing.azure) }}), 'Closed', 'Open'),
        'Open') AS String)                                    AS BillingPeriodStatus,
    any(x_CorrectionHandling)                                 AS x_CorrectionHandling,
    arrayStringConcat(arraySort(groupUniqArrayIf(InvoiceId, InvoiceId IS NOT NULL)), ',') AS x_InvoiceIds,
    sum(BilledCost)                                           AS x_BilledCost,
    sum(EffectiveCost)                                        AS x_EffectiveCost,
    toUInt64(count())                                         AS x_Rows
FROM {{ ref('focus') }}
GROUP BY x_Provider, BillingAccountId, BillingCurrency, BillingPeriodStart, BillingPeriodEnd, x_BillingMonth
