-- finops.int_cloud_focus_native: the rows of the providers' native FOCUS exports, mapped onto the columns of
-- finops.focus (FOCUS 1.4, include/sql/focus_columns.jinja), one SELECT per export joined by UNION ALL;
-- marts/focus.sql adds them beside the rows it maps from the CUR and the GCP export. Azure Cost Management's FOCUS
-- export (dataset version 1.2-preview) and AWS Data Exports' "FOCUS 1.2 with AWS columns" pass through as exported
-- (typed in int_azure__cost_line_items / int_aws__focus_line_items), with the provider's x_ columns as a JSON
-- object in x_ProviderColumns. AWS rows only where int_cloud_cost_inputs counts the FOCUS export for the payer
-- account and month (else the CUR rows of marts/focus.sql count); Google Cloud's FOCUS export table likewise per
-- billing account and invoice month (else the billing export rows count). A view: no copy of the line items.
{%- from 'cost_inputs.jinja' import counted_input %}
{%- from 'focus_columns.jinja' import focus_columns as columns, contract_applied %}
{#- Azure's Cost Management FOCUS export: the FOCUS columns as Microsoft wrote them; only the columns its
    dataset version lacks are NULL. Units: Microsoft writes a block of one as '1 GB/Month', which FOCUS's Unit
    Format does not allow ('<quantity> <unit>' takes no rate): a block of one is the unit itself
    ('GB/Month', 'Hour'); other block sizes ('100 Hours') stay as written. PricingCurrencyEffectiveCost: EffectiveCost
    when billed in the pricing currency, else EffectiveCost / x_BillingExchangeRate (Microsoft's rate converts the
    pricing currency into the billing currency), exact; NULL only when that rate is missing or zero. -#}
{%- set azure_unit_of_one = "'^1 ', ''" %}
{%- set azure_same = ['BilledCost', 'BillingAccountId', 'BillingAccountName', 'BillingAccountType', 'BillingCurrency',
    'BillingPeriodEnd', 'BillingPeriodStart', 'CapacityReservationId', 'CapacityReservationStatus', 'ChargeCategory',
    'ChargeClass', 'ChargeDescription', 'ChargeFrequency', 'ChargePeriodEnd', 'ChargePeriodStart',
    'CommitmentDiscountCategory', 'CommitmentDiscountId', 'CommitmentDiscountName', 'CommitmentDiscountQuantity',
    'CommitmentDiscountStatus', 'CommitmentDiscountType', 'CommitmentDiscountUnit', 'ConsumedQuantity',
    'ContractedCost', 'ContractedUnitPrice', 'EffectiveCost', 'InvoiceId', 'InvoiceIssuerName', 'ListCost',
    'ListUnitPrice', 'PricingCategory', 'PricingCurrency', 'PricingQuantity', 'RegionId', 'RegionName', 'ResourceId',
    'ResourceName', 'ResourceType', 'ServiceCategory', 'ServiceName', 'ServiceSubcategory', 'SkuId', 'SkuMeter',
    'SkuPriceDetails', 'SkuPriceId', 'SubAccountId', 'SubAccountName', 'SubAccountType'] %}
{%- set azure = {
    'AllocatedMethodDetails': 'NULL', 'AllocatedMethodId': 'NULL', 'AllocatedResourceId': 'NULL',
    'AllocatedResourceName': 'NULL', 'AllocatedTags': 'NULL',
    'AvailabilityZone': 'NULL',
    'ServiceProviderName': 'PublisherName',
    'HostProviderName': 'ProviderName',
    'InvoiceDetailId': 'NULL',
    'CommitmentProgramEligibilityDetails': 'NULL',
    'ConsumedUnit': 'replaceRegexpOne(ConsumedUnit, ' ~ azure_unit_of_one ~ ')',
    'PricingUnit': 'replaceRegexpOne(PricingUnit, ' ~ azure_unit_of_one ~ ')',
    'PricingCurrencyContractedUnitPrice': 'NULL',
    'PricingCurrencyEffectiveCost': "if(PricingCurrency = BillingCurrency, EffectiveCost, "
                                    ~ div_money('EffectiveCost', 'ifNull(billing_exchange_rate, 0)') ~ ")",
    'PricingCurrencyListUnitPrice': 'NULL',
    'Tags': 'toJSONString(tags)',
    'x_Provider': "'azure'",
    'x_BillingMonth': 'billing_period',
    'x_UsageDate': 'usage_date',
    'x_LineItemId': 'line_item_key',
    'x_ChargeType': 'ChargeCategory',
    'x_UsageType': 'NULL',
    'x_Operation': 'NULL',
    'x_UnblendedCost': 'BilledCost',
    'x_AmortizedCost': 'EffectiveCost',
    'x_PublicOnDemandCost': 'ListCost',
    'x_SavingsPlanSavings': 'NULL',
    'x_ReservationSavings': 'NULL',
    'x_Credits': 'NULL',
    'x_CreditsByType': 'NULL',
    'x_ExportType': "nullIf(export_dataset_version, '')",
    'x_ProviderColumns': 'toJSONString(x_columns)',
    'x_CorrectionHandling': "'Replacement'",
    'x_DeliveredAt': 'delivered_at',
    'ContractApplied': contract_applied('CommitmentDiscountId', "coalesce(nullIf(x_columns['x_SkuOrderId'], ''), CommitmentDiscountId)",
                                        'ChargeCategory', 'BilledCost', 'EffectiveCost'),
} %}
SELECT
{%- for name, type in columns %}
    CAST({{ name if name in azure_same else azure[name] }} AS {{ type }}) AS {{ name }}{{ "," if not loop.last }}
{%- endfor %}
FROM {{ ref('int_azure__cost_line_items') }}
UNION ALL
{#- AWS's FOCUS 1.2 export maps like Azure's (AWS writes units without a block, so they pass as written). -#}
{%- set aws_native = dict(azure, ConsumedUnit='ConsumedUnit', PricingUnit='PricingUnit', x_Provider="'aws'",
    x_Operation="nullIf(x_columns['x_Operation'], '')", x_UsageType="nullIf(x_columns['x_UsageType'], '')",
    x_ExportType="'FOCUS_1_2_AWS'",
    PricingCurrencyEffectiveCost="if(PricingCurrency = BillingCurrency, EffectiveCost, NULL)",
    ContractApplied=contract_applied('CommitmentDiscountId', 'CommitmentDiscountId', 'ChargeCategory', 'BilledCost',
                                     'EffectiveCost')) %}
SELECT
{%- for name, type in columns %}
    CAST({{ name if name in azure_same else aws_native[name] }} AS {{ type }}) AS {{ name }}{{ "," if not loop.last }}
{%- endfor %}
FROM {{ ref('int_aws__focus_line_items') }}
WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'focus_export', 'BillingAccountId', 'billing_period') }}
UNION ALL
{#- Google Cloud's FOCUS export table maps like AWS's; corrections are appended rows (Delta), x_Credits is summed
    into x_Credits like the billing export's credits, and per credit type into x_CreditsByType (the same JSON object
    the billing export's rows have); ContractedCost is the billing export's cost (x_UnblendedCost); ContractApplied
    is NULL, as for the billing export (a CUD credit does not name the subscription focus_contract_commitments lists).
    A table without ServiceCategory takes the billing export rows' category (seeds/service_categories by service
    name), so a service has one category whichever input counts. -#}
{%- set gcp_credits = "JSONExtractArrayRaw(x_columns['x_Credits'])" %}
{%- set gcp_credit_types = "arrayDistinct(arrayMap(c -> JSONExtractString(c, 'Type'), " ~ gcp_credits ~ "))" %}
{%- set gcp_credits_by_type = "toJSONString(CAST((" ~ gcp_credit_types ~ ", arrayMap(t -> arraySum(arrayMap(c -> "
    ~ gcp_credit_amount('c') ~ ", arrayFilter(c -> JSONExtractString(c, 'Type') = t, " ~ gcp_credits ~ "))), "
    ~ gcp_credit_types ~ ")), 'Map(String, Decimal(38, 10))'))" %}
{%- set gcp_native = dict(aws_native, x_Provider="'gcp'", x_BillingMonth='invoice_month', x_LineItemId='line_item_key',
    x_ChargeType="nullIf(x_columns['x_CostType'], '')", x_Operation='NULL', x_UsageType='NULL', x_UnblendedCost='ContractedCost',
    x_Credits='credits', x_CreditsByType=gcp_credits_by_type, x_ExportType="'focus'", x_CorrectionHandling="'Delta'",
    x_DeliveredAt="nullIf(export_time, toDateTime64(0, 6, 'UTC'))",
    PricingCurrencyEffectiveCost="if(PricingCurrency = BillingCurrency, EffectiveCost, NULL)",
    ServiceCategory="if(ServiceCategory = 'Other' AND sc.service_category != '', sc.service_category, ServiceCategory)",
    ServiceSubcategory="if(ServiceSubcategory = 'Other (Other)' AND sc.service_subcategory != '', "
                       ~ "sc.service_subcategory, ServiceSubcategory)",
    ContractApplied='NULL') %}
SELECT
{%- for name, type in columns %}
    CAST({{ gcp_native[name] if name in gcp_native else name }} AS {{ type }}) AS {{ name }}{{ "," if not loop.last }}
{%- endfor %}
FROM {{ ref('int_gcp__focus_line_items') }}
LEFT JOIN (SELECT service, service_category, service_subcategory FROM {{ ref('service_categories') }} WHERE provider = 'gcp') AS sc
    ON sc.service = ServiceName
WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'focus_export', 'BillingAccountId', 'invoice_month') }}
