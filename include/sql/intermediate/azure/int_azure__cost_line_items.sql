-- Azure FOCUS export rows, typed: the FOCUS columns under their FOCUS names (money and quantities
-- exact Decimal(38, 10) through money(), periods DateTime UTC, text '' -> NULL where FOCUS allows null),
-- Microsoft's x_ columns kept as a map. Partitioned by billing period; a run with `periods` rebuilds
-- only those months. A FOCUS export has no line item id: line_item_key hashes the row's blob and row
-- number in the load, so a row keeps its key across rebuilds and identical rows stay two rows.
{%- set view = 'azure_costs__focus_costs' %}
{%- set x_columns = [
    'x_AccountId', 'x_AccountName', 'x_AccountOwnerId', 'x_AmortizationClass', 'x_BilledCostInUsd',
    'x_BilledUnitPrice', 'x_BillingAccountId', 'x_BillingAccountName', 'x_BillingExchangeRate',
    'x_BillingExchangeRateDate', 'x_BillingProfileId', 'x_BillingProfileName', 'x_ContractedCostInUsd',
    'x_CostAllocationRuleName', 'x_CostCenter', 'x_CustomerId', 'x_CustomerName', 'x_EffectiveCostInUsd',
    'x_EffectiveUnitPrice', 'x_InvoiceSectionId', 'x_InvoiceSectionName', 'x_ListCostInUsd',
    'x_PartnerCreditApplied', 'x_PartnerCreditRate', 'x_PricingBlockSize', 'x_PricingCurrency',
    'x_PricingSubcategory', 'x_PricingUnitDescription', 'x_PublisherCategory', 'x_PublisherId', 'x_ResellerId',
    'x_ResellerName', 'x_ResourceGroupName', 'x_ResourceType', 'x_ServiceModel', 'x_ServicePeriodEnd',
    'x_ServicePeriodStart', 'x_SkuDescription', 'x_SkuDetails', 'x_SkuIsCreditEligible', 'x_SkuMeterCategory',
    'x_SkuMeterId', 'x_SkuMeterName', 'x_SkuMeterSubcategory', 'x_SkuOfferId', 'x_SkuOrderId', 'x_SkuOrderName',
    'x_SkuPlanName', 'x_SkuPartNumber', 'x_SkuRegion', 'x_SkuServiceFamily', 'x_SkuTier',
] %}
{#- Raw columns are read qualified (r.`BilledCost`): the typed columns keep the FOCUS names, and an alias
    that changes the type of a column of the same name resolves differently on ClickHouse 24.x. -#}
{%- macro raw(column, default='NULL') -%}
{{ 'r.`' ~ column ~ '`' if has_column(view, column) else default }}
{%- endmacro %}
{%- macro text(column) -%}
nullIf(toString({{ raw(column, "''") }}), '')
{%- endmacro %}
{%- macro quantity(column) -%}
if({{ raw(column) }} IS NULL, NULL, {{ money(raw(column)) }})
{%- endmacro %}
SELECT
    ifNull(r.billing_period, '')                                    AS billing_period,
    ifNull(r.export_run_id, '')                                     AS export_run_id,
    ifNull({{ raw('export_dataset_version', "''") }}, '')           AS export_dataset_version,
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
    toDate(r.ChargePeriodStart, 'UTC')                              AS usage_date,
    {{ money(raw('BilledCost')) }}                                       AS BilledCost,
    {{ money(raw('EffectiveCost')) }}                                    AS EffectiveCost,
    {{ money(raw('ListCost')) }}                                         AS ListCost,
    {{ money(raw('ContractedCost')) }}                                   AS ContractedCost,
    {{ quantity('ConsumedQuantity') }}                              AS ConsumedQuantity,
    {{ quantity('PricingQuantity') }}                               AS PricingQuantity,
    {{ quantity('CommitmentDiscountQuantity') }}                    AS CommitmentDiscountQuantity,
    {{ quantity('ContractedUnitPrice') }}                           AS ContractedUnitPrice,
    {{ quantity('ListUnitPrice') }}                                 AS ListUnitPrice,
    ifNull(r.BillingAccountId, '')                                    AS BillingAccountId,
    {{ text('BillingAccountName') }}                                AS BillingAccountName,
    ifNull({{ text('BillingAccountType') }}, 'Billing Account')     AS BillingAccountType,
    upper(ifNull(r.BillingCurrency, ''))                              AS BillingCurrency,
    toDateTime(r.BillingPeriodStart, 'UTC')                           AS BillingPeriodStart,
    toDateTime(r.BillingPeriodEnd, 'UTC')                             AS BillingPeriodEnd,
    toDateTime(r.ChargePeriodStart, 'UTC')                            AS ChargePeriodStart,
    toDateTime(r.ChargePeriodEnd, 'UTC')                              AS ChargePeriodEnd,
    ifNull(r.ChargeCategory, '')                                      AS ChargeCategory,
    {{ text('ChargeClass') }}                                       AS ChargeClass,
    {{ text('ChargeDescription') }}                                 AS ChargeDescription,
    ifNull({{ text('ChargeFrequency') }}, 'Usage-Based')                                     AS ChargeFrequency,
    {{ text('CapacityReservationId') }}                             AS CapacityReservationId,
    {{ text('CapacityReservationStatus') }}                         AS CapacityReservationStatus,
    {{ text('CommitmentDiscountCategory') }}                        AS CommitmentDiscountCategory,
    {{ text('CommitmentDiscountId') }}                              AS CommitmentDiscountId,
    {{ text('CommitmentDiscountName') }}                            AS CommitmentDiscountName,
    {{ text('CommitmentDiscountStatus') }}                          AS CommitmentDiscountStatus,
    {{ text('CommitmentDiscountType') }}                            AS CommitmentDiscountType,
    {{ text('CommitmentDiscountUnit') }}                            AS CommitmentDiscountUnit,
    {{ text('ConsumedUnit') }}                                      AS ConsumedUnit,
    {{ text('InvoiceId') }}                                         AS InvoiceId,
    ifNull({{ text('InvoiceIssuerName') }}, 'Microsoft')            AS InvoiceIssuerName,
    {{ text('PricingCategory') }}                                   AS PricingCategory,
    {{ text('PricingCurrency') }}                                   AS PricingCurrency,
    {{ text('PricingUnit') }}                                       AS PricingUnit,
    ifNull({{ text('ProviderName') }}, 'Microsoft')                 AS ProviderName,
    ifNull({{ text('PublisherName') }}, 'Microsoft')                AS PublisherName,
    {{ text('RegionId') }}                                          AS RegionId,
    {{ text('RegionName') }}                                        AS RegionName,
    {{ text('ResourceId') }}                                        AS ResourceId,
    {{ text('ResourceName') }}                                      AS ResourceName,
    {{ text('ResourceType') }}                                      AS ResourceType,
    ifNull({{ text('ServiceCategory') }}, 'Other')                  AS ServiceCategory,
    ifNull({{ text('ServiceName') }}, 'Azure')                      AS ServiceName,
    ifNull({{ text('ServiceSubcategory') }}, 'Other (Other)')       AS ServiceSubcategory,
    {{ text('SkuId') }}                                             AS SkuId,
    {{ text('SkuMeter') }}                                          AS SkuMeter,
    {{ text('SkuPriceDetails') }}                                   AS SkuPriceDetails,
    {{ text('SkuPriceId') }}                                        AS SkuPriceId,
    {{ text('SubAccountId') }}                                      AS SubAccountId,
    {{ text('SubAccountName') }}                                    AS SubAccountName,
    {{ text('SubAccountType') }}                                    AS SubAccountType,
    {{ tag_map(raw('Tags')) }}                                           AS tags,
    -- Microsoft's x_ columns as text (empty ones left out), for the FOCUS mart to pass through.
    mapFilter((k, v) -> v != '', map(
{%- for column in x_columns %}
        {{ lit(column) }}, ifNull(toString({{ raw(column, "''") }}), ''){{ "," if not loop.last }}
{%- endfor %}
    ))                                                              AS x_columns
FROM {{ ref('stg_azure__focus_costs') }} AS r
WHERE {{ in_periods('r.billing_period') }}
