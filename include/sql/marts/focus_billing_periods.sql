-- finops.focus_billing_periods: the FOCUS 1.4 BillingPeriod dataset, one row per provider x billing account x
-- billing period (x currency), with BillingPeriodStatus Open / Closed from each provider's bill status:
-- * AWS: Closed once the period has ended and every line of its newest CUR delivery carries the invoice id
--   (AWS fills bill_invoice_id when it issues the period's invoice, in the period's final delivery; staging
--   keeps only the newest delivery of a period, so a later re-delivery without ids reopens it).
-- * GCP: the export has no invoice status: Closed once billing_period_closing_days.gcp days have passed since
--   the invoice month ended (Pacific time, like BillingPeriodEnd).
-- * Azure: Closed once billing_period_closing_days.azure days have passed since the export's BillingPeriodEnd.
-- BillingPeriodCreated / BillingPeriodLastUpdated: the first and the last delivery of the period's rows as held
-- (focus.x_DeliveredAt): GCP's export times (corrections are appended: Created stays, LastUpdated moves); AWS and
-- Azure replace a period with each delivery (Replacement), so both are the newest delivery's time: Azure's export run
-- submitted time, AWS's load (the CUR carries no time). A period none of whose rows has a delivery time (load ids not
-- written by dlt) takes its BillingPeriodStart.
-- Columns beyond the spec's six carry the x_ prefix (FOCUS CustomColumnHandling); the grain is finer than the
-- spec's (BillingPeriodStart, InvoiceIssuerName): a row per billing account and currency, so a join from focus
-- by x_Provider, BillingAccountId = x_BillingAccountId, BillingPeriodStart and BillingCurrency = x_BillingCurrency finds
-- one row.
-- A view: the status moves with the clock, not only with loads. x_CorrectionHandling says how the provider
-- corrects a period (include/sql/README.md).
{%- set closing = config.billing_period_closing_days %}
SELECT
    x_Provider,
    BillingAccountId                                          AS x_BillingAccountId,
    BillingCurrency                                           AS x_BillingCurrency,
    BillingPeriodStart,
    BillingPeriodEnd,
    x_BillingMonth,
    toDateTime(ifNull(min(x_DeliveredAt), BillingPeriodStart), 'UTC') AS BillingPeriodCreated,
    toDateTime(ifNull(max(x_DeliveredAt), BillingPeriodStart), 'UTC') AS BillingPeriodLastUpdated,
    any(BillingAccountName)                                   AS x_BillingAccountName,
    min(HostProviderName)                                     AS x_HostProviderName,
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
