-- Daily Azure cost from the typed FOCUS rows: billed, effective, list and contracted cost per day,
-- billing account, subscription, service, region, charge category and frequency and currency. Partitioned by
-- billing period; a run with `periods` rebuilds only those months.
SELECT
    billing_period,
    usage_date,
    BillingAccountId                            AS billing_account_id,
    ifNull(SubAccountId, '')                    AS sub_account_id,
    ifNull(SubAccountName, '')                  AS sub_account_name,
    ServiceName                                 AS service_name,
    ifNull(RegionId, '')                        AS region,
    ChargeCategory                              AS charge_category,
    ChargeFrequency                             AS charge_frequency,
    BillingCurrency                             AS currency,
    sum(BilledCost)                             AS billed_cost,
    sum(EffectiveCost)                          AS effective_cost,
    sum(ListCost)                               AS list_cost,
    sum(ContractedCost)                         AS contracted_cost,
    count()                                     AS line_items
FROM {{ ref('int_azure__cost_line_items') }}
WHERE {{ in_periods('billing_period') }}
GROUP BY billing_period, usage_date, billing_account_id, sub_account_id, sub_account_name, service_name, region,
         charge_category, charge_frequency, currency
