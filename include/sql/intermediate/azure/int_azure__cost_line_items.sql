-- Azure FOCUS export rows, typed: the FOCUS columns under their FOCUS names (money and quantities
-- exact Decimal(38, 10) through money(), periods DateTime UTC, text '' -> NULL where FOCUS allows null),
-- Microsoft's x_ columns kept as a map. Partitioned by billing period; a run with `periods` rebuilds
-- only those months. A FOCUS export has no line item id: line_item_key hashes the row's blob and row
-- number in the load, so a row keeps its key across rebuilds and identical rows stay two rows.
-- FOCUS 1.0 months read InvoiceId and PricingCurrency from x_InvoiceId and x_PricingCurrency (kept in x_columns with
-- x_InvoiceIssuerId). CommitmentDiscountId is lower-cased: Azure resource ids are case-insensitive and Cost
-- Management writes one reservation's id in more than one casing (Microsoft's FinOps toolkit lower-cases it too), so
-- every model downstream groups a commitment's rows as one. A commitment's Purchase row has EffectiveCost 0 (FOCUS;
-- Cost Management writes savings plan purchases with their billed cost there although it amortizes them onto the
-- Used / Unused rows too: microsoft/finops-toolkit#1092), so the commitment is counted once; one written Usage-Based
-- (FOCUS 1.0 exports' monthly savings plan payments) is Recurring.
{%- from 'focus_export_columns.jinja' import focus_export_columns %}
{%- set view = 'azure_costs__focus_costs' %}
{%- set x_columns = [
    'x_AccountId', 'x_AccountName', 'x_AccountOwnerId', 'x_AmortizationClass', 'x_BilledCostInUsd',
    'x_BilledUnitPrice', 'x_BillingAccountId', 'x_BillingAccountName', 'x_BillingExchangeRate',
    'x_BillingExchangeRateDate', 'x_BillingProfileId', 'x_BillingProfileName', 'x_ContractedCostInUsd',
    'x_CostAllocationRuleName', 'x_CostCenter', 'x_CustomerId', 'x_CustomerName', 'x_EffectiveCostInUsd',
    'x_EffectiveUnitPrice', 'x_InvoiceId', 'x_InvoiceIssuerId', 'x_InvoiceSectionId', 'x_InvoiceSectionName',
    'x_ListCostInUsd',
    'x_PartnerCreditApplied', 'x_PartnerCreditRate', 'x_PricingBlockSize', 'x_PricingCurrency',
    'x_PricingSubcategory', 'x_PricingUnitDescription', 'x_PublisherCategory', 'x_PublisherId', 'x_ResellerId',
    'x_ResellerName', 'x_ResourceGroupName', 'x_ResourceType', 'x_ServiceModel', 'x_ServicePeriodEnd',
    'x_ServicePeriodStart', 'x_SkuDescription', 'x_SkuDetails', 'x_SkuIsCreditEligible', 'x_SkuMeterCategory',
    'x_SkuMeterId', 'x_SkuMeterName', 'x_SkuMeterSubcategory', 'x_SkuOfferId', 'x_SkuOrderId', 'x_SkuOrderName',
    'x_SkuPlanName', 'x_SkuPartNumber', 'x_SkuRegion', 'x_SkuServiceFamily', 'x_SkuTerm', 'x_SkuTier',
] %}
{#- Raw columns are read qualified (r.`BilledCost`): the typed columns keep the FOCUS names, and an alias
    that changes the type of a column of the same name resolves differently on ClickHouse 24.x. -#}
{%- macro raw(column, default='NULL') -%}
{{ 'r.`' ~ column ~ '`' if has_column(view, column) else default }}
{%- endmacro %}
SELECT
    ifNull(r.billing_period, '')                                    AS billing_period,
    ifNull(r.export_run_id, '')                                     AS export_run_id,
    ifNull({{ raw('export_dataset_version', "''") }}, '')           AS export_dataset_version,
    {#- when Azure produced the run (its manifest's submittedTime); raw tables loaded before it was kept: the load -#}
    coalesce(toDateTime64({{ raw('export_submitted_at') }}, 6, 'UTC'), {{ load_time('r._dlt_load_id') }}) AS delivered_at,
    {#- blob + row number identify a row of the load (two identical rows are two charges); raw tables written
        before the loader recorded source_row fall back to a hash of the row's identifying columns -#}
    {%- if has_column(view, 'source_row') %}
    hex(sipHash128(r.billing_period, r.source_blob, r.source_row))
    {%- else %}
    hex(sipHash128(toString(tuple(r.billing_period, r.ChargePeriodStart, r.ChargePeriodEnd, r.ChargeCategory, {{ raw('ChargeClass') }},
                   {{ raw('ChargeDescription') }}, {{ raw('ResourceId') }}, {{ raw('SkuPriceId') }}, {{ raw('SubAccountId') }},
                   {{ raw('CommitmentDiscountId') }}, {{ raw('PricingCategory') }}, r.BilledCost, r.EffectiveCost,
                   {{ raw('ConsumedQuantity') }}, {{ raw('Tags') }}))))
    {%- endif %}
                                                                    AS line_item_key,
    {#- the rate that converts the pricing currency into the billing currency (Microsoft: billing = pricing * rate) -#}
    if({{ raw('x_BillingExchangeRate') }} IS NULL, NULL, {{ money(raw('x_BillingExchangeRate')) }}) AS billing_exchange_rate,
    {{ focus_export_columns(raw, x_columns, 'Microsoft', 'Azure', lower_commitment_ids=True,
                            zero_commitment_purchase_effective_cost=True,
                            recurring_usage_based_commitment_purchases=True) }}
FROM {{ ref('stg_azure__focus_costs') }} AS r
WHERE {{ in_periods('r.billing_period') }}
