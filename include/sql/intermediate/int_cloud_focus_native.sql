-- finops.int_cloud_focus_native: the rows of the providers' native FOCUS exports, mapped onto the columns of
-- finops.focus (FOCUS 1.4, include/sql/focus_columns.jinja), one SELECT per export joined by UNION ALL;
-- marts/focus.sql adds them beside the rows it maps from the CUR and the GCP export. Today: Azure Cost Management's FOCUS export
-- (dataset version 1.2-preview), whose rows pass through as exported (typed in int_azure__cost_line_items), with
-- Microsoft's x_ columns as a JSON object in x_ProviderColumns. A view: no copy of the line items.
{%- from 'focus_columns.jinja' import focus_columns as columns %}
{#- Azure's Cost Management FOCUS export: the FOCUS columns as Microsoft wrote them; only the columns its
    dataset version lacks are NULL. Units: Microsoft writes a block of one as '1 GB/Month', which FOCUS's Unit
    Format does not allow ('<quantity> <unit>' takes no rate): a block of one is the unit itself
    ('GB/Month', 'Hour'); other block sizes ('100 Hours') stay as written. -#}
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
    'AvailabilityZone': 'NULL',
    'ServiceProviderName': 'PublisherName',
    'HostProviderName': 'ProviderName',
    'InvoiceDetailId': 'NULL',
    'CommitmentProgramEligibilityDetails': 'NULL',
    'ConsumedUnit': 'replaceRegexpOne(ConsumedUnit, ' ~ azure_unit_of_one ~ ')',
    'PricingUnit': 'replaceRegexpOne(PricingUnit, ' ~ azure_unit_of_one ~ ')',
    'PricingCurrencyContractedUnitPrice': 'NULL',
    'PricingCurrencyEffectiveCost': "if(PricingCurrency = BillingCurrency, EffectiveCost, NULL)",
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
} %}
SELECT
{%- for name, type in columns %}
    CAST({{ name if name in azure_same else azure[name] }} AS {{ type }}) AS {{ name }}{{ "," if not loop.last }}
{%- endfor %}
FROM {{ ref('int_azure__cost_line_items') }}
