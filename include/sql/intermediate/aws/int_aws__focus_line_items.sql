-- AWS Data Exports "FOCUS 1.2 with AWS columns" rows, typed like int_azure__cost_line_items: the FOCUS columns under
-- their FOCUS names (money and quantities exact Decimal(38, 10) through money(), periods DateTime UTC, text '' -> NULL
-- where FOCUS allows null), AWS's x_ columns (x_Discounts, x_Operation, x_ServiceCode) kept as a map. Partitioned by
-- billing period; a run with `periods` rebuilds only those months. A FOCUS row has no line item id: line_item_key
-- hashes the row's file and row number in the load, so identical rows stay two charges.
-- Whether these rows or the CUR's count for an account and month: int_cloud_cost_inputs.
{%- set view = 'aws_costs__focus_export' %}
{%- set raw_table = source('aws_costs', 'focus_export') %}{# no export loaded yet: the model is skipped #}
{%- set x_columns = ['x_Discounts', 'x_Operation', 'x_ServiceCode'] %}
{#- Raw columns are read qualified (r.`BilledCost`): the typed columns keep the FOCUS names, and an alias
    that changes the type of a column of the same name resolves differently on ClickHouse 24.x. -#}
{#- dlt loads the export under its default (snake_case) naming: BilledCost -> billed_cost, x_ServiceCode ->
    x_service_code; raw(column) takes the FOCUS name. -#}
{%- macro snake(column) -%}
{%- for ch in column -%}{{ ('_' if ch.isupper() and not loop.first else '') ~ ch.lower() }}{%- endfor -%}
{%- endmacro %}
{%- macro raw(column, default='NULL') -%}
{%- set name = snake(column) | replace('__', '_') -%}
{{ 'r.`' ~ name ~ '`' if has_column(view, name) else default }}
{%- endmacro %}
{%- macro text(column) -%}
nullIf(toString({{ raw(column, "''") }}), '')
{%- endmacro %}
{%- macro quantity(column) -%}
if({{ raw(column) }} IS NULL, NULL, {{ money(raw(column)) }})
{%- endmacro %}
SELECT
    ifNull(r.billing_period, '')                                    AS billing_period,
    ifNull(r.source_file, '')                                       AS source_file,
    hex(sipHash128(r.billing_period, r.source_file, r.source_row))  AS line_item_key,
    toDate({{ raw('ChargePeriodStart') }}, 'UTC')                              AS usage_date,
    {{ money(raw('BilledCost')) }}                                       AS BilledCost,
    {{ money(raw('EffectiveCost')) }}                                    AS EffectiveCost,
    {{ money(raw('ListCost')) }}                                         AS ListCost,
    {{ money(raw('ContractedCost')) }}                                   AS ContractedCost,
    {{ quantity('ConsumedQuantity') }}                              AS ConsumedQuantity,
    {{ quantity('PricingQuantity') }}                               AS PricingQuantity,
    {{ quantity('CommitmentDiscountQuantity') }}                    AS CommitmentDiscountQuantity,
    {{ quantity('ContractedUnitPrice') }}                           AS ContractedUnitPrice,
    {{ quantity('ListUnitPrice') }}                                 AS ListUnitPrice,
    ifNull({{ raw('BillingAccountId') }}, '')                                    AS BillingAccountId,
    {{ text('BillingAccountName') }}                                AS BillingAccountName,
    ifNull({{ text('BillingAccountType') }}, 'Billing Account')     AS BillingAccountType,
    upper(ifNull({{ raw('BillingCurrency') }}, ''))                              AS BillingCurrency,
    toDateTime({{ raw('BillingPeriodStart') }}, 'UTC')                           AS BillingPeriodStart,
    toDateTime({{ raw('BillingPeriodEnd') }}, 'UTC')                             AS BillingPeriodEnd,
    toDateTime({{ raw('ChargePeriodStart') }}, 'UTC')                            AS ChargePeriodStart,
    toDateTime({{ raw('ChargePeriodEnd') }}, 'UTC')                              AS ChargePeriodEnd,
    ifNull({{ raw('ChargeCategory') }}, '')                                      AS ChargeCategory,
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
    ifNull({{ text('InvoiceIssuerName') }}, 'AWS')            AS InvoiceIssuerName,
    {{ text('PricingCategory') }}                                   AS PricingCategory,
    {{ text('PricingCurrency') }}                                   AS PricingCurrency,
    {{ text('PricingUnit') }}                                       AS PricingUnit,
    ifNull({{ text('ProviderName') }}, 'AWS')                 AS ProviderName,
    ifNull({{ text('PublisherName') }}, 'AWS')                AS PublisherName,
    {{ text('RegionId') }}                                          AS RegionId,
    {{ text('RegionName') }}                                        AS RegionName,
    {{ text('ResourceId') }}                                        AS ResourceId,
    {{ text('ResourceName') }}                                      AS ResourceName,
    {{ text('ResourceType') }}                                      AS ResourceType,
    ifNull({{ text('ServiceCategory') }}, 'Other')                  AS ServiceCategory,
    ifNull({{ text('ServiceName') }}, 'AWS')                      AS ServiceName,
    ifNull({{ text('ServiceSubcategory') }}, 'Other (Other)')       AS ServiceSubcategory,
    {{ text('SkuId') }}                                             AS SkuId,
    {{ text('SkuMeter') }}                                          AS SkuMeter,
    {{ text('SkuPriceDetails') }}                                   AS SkuPriceDetails,
    {{ text('SkuPriceId') }}                                        AS SkuPriceId,
    {{ text('SubAccountId') }}                                      AS SubAccountId,
    {{ text('SubAccountName') }}                                    AS SubAccountName,
    {{ text('SubAccountType') }}                                    AS SubAccountType,
    {{ tag_map(raw('Tags')) }}                                           AS tags,
    -- AWS's x_ columns as text (x_Discounts: its JSON object) (empty ones left out), for the FOCUS mart to pass through.
    mapFilter((k, v) -> v != '', map(
{%- for column in x_columns %}
        {{ lit(column) }}, ifNull(toString({{ raw(column, "''") }}), ''){{ "," if not loop.last }}
{%- endfor %}
    ))                                                              AS x_columns
FROM {{ ref('stg_aws__focus_export') }} AS r
WHERE {{ in_periods('r.billing_period') }}
