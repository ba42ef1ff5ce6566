-- finops.focus: a FOCUS 1.4 cost and usage dataset over AWS, GCP and Azure, one row per line item (AWS: a commitment
-- fee with an unused part gives a Purchase and an Unused row; SavingsPlanNegation gives none, see below).
-- Every FOCUS 1.4 Cost and Usage column (include/focus/focus-1.4-columns.csv; names and types in
-- include/sql/focus_columns.jinja) with the spec's name and type (String / Decimal(38, 10) / DateTime UTC / JSON as
-- String); columns a provider has no data for are NULL. Provider extras carry the x_ prefix.
-- ServiceProviderName is who sells the service (the marketplace seller on marketplace rows), HostProviderName
-- the cloud it runs on (FOCUS 1.3 entity identification). x_CorrectionHandling: how the source corrects a
-- period. InvoiceDetailId and CommitmentProgramEligibilityDetails are NULL: no source (CUR, GCP export, Azure
-- FOCUS 1.2 export) carries them. BilledCost and EffectiveCost add up to the provider tables: AWS net unblended
-- / net amortized cost, GCP cost + credits, Azure's own FOCUS columns. Mapping: include/sql/README.md.
-- Native FOCUS exports (Azure's) come mapped from int_cloud_focus_native (one SELECT per export there).
-- ContractApplied (1.3+): the Savings Plan / RI (AWS) or reservation / savings plan (Azure) a charge applies to, with
-- the charge's EffectiveCost (BilledCost for a purchase); NULL for GCP, whose CUD credits name a pool, not one of the
-- subscriptions focus_contract_commitments lists.
-- GCP: BillingAccountName is the billing account id (the export has no display name); PricingCurrency
-- is USD (Google's price lists), PricingCurrencyEffectiveCost = net cost / currency_conversion_rate
-- (billing-currency units per USD; the rate taken by its shortest text, as money() does: Decimal of the Float64
-- itself would truncate 0.57 to 0.5699999999; and at 18 decimals, as fx_convert reads finops.fx_rates: money()'s
-- 10 cut a FLOAT64 rate of 0.9173581399123456 to 0.9173581399, 0.18 USD off on a month of 1.3e10 USD). The FOCUS
-- 1.2 shape for tools and the FinOps Foundation's validator (tests/rill/test_focus_validator.py): marts/focus_1_2.sql.
{%- from 'focus_columns.jinja' import focus_columns as columns, contract_applied %}

{%- set usage_row = "line_item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')" %}
{#- Commitments as FOCUS 1.2 has them (columns/effectivecost.md, commitmentdiscountstatus.md, appendix
    "Commitment Discount Scenarios"; AWS rows as in the spec's appendix aws_savings_plan_*.md):
    * a fee (SavingsPlanRecurringFee, RIFee) is a Purchase: BilledCost = the fee, EffectiveCost 0 ("EffectiveCost
      MUST be 0 when ChargeCategory is "Purchase" and the purchase is intended to cover future eligible charges");
    * its unused part is a second row (focus_row 'unused'): ChargeCategory Usage, CommitmentDiscountStatus Unused,
      BilledCost 0, EffectiveCost = net amortized cost of the fee ("Unused: Charges that represent the unused
      portion of the commitment discount"; "The sum of EffectiveCost where ChargeCategory is "Usage" MUST equal
      the sum of BilledCost where ChargeCategory is "Purchase"", per CommitmentDiscountId);
    * covered usage is Used with BilledCost 0 ("Used rows: BilledCost must be 0. Usage is covered by the
      commitment"), so SavingsPlanNegation (which only cancels the covered usage's on-demand cost on the bill)
      has no row of its own, like in AWS's FOCUS export. BilledCost still adds up to the bill: the
      reconciliation check focus_billed_cost proves per period that covered usage and negation cancel;
    * ContractedCost of covered usage is its cost at the negotiated on-demand price: net unblended for Savings
      Plans; public on-demand for RIs (the CUR has no negotiated rate there; "If negotiated discounts are not
      applicable, the Contracted Cost defaults to the List Cost"). -#}
{#- ListCost: a Credit line (a promotional credit, unrelated to other charges) is its BilledCost (listcost.md: "The
    ListCost of a charge unrelated to other charges (e.g., when the ChargeCategory is "Credit") MUST match the
    BilledCost"); the *Discount lines are 0: the list price is the price before them, so ListCost - EffectiveCost
    counts them as savings. -#}
{%- set unused = "focus_row = 'unused'" %}
{%- set fee = "line_item_type IN ('SavingsPlanRecurringFee', 'RIFee')" %}
{%- set zero = "toDecimal128(0, 10)" %}
{#- Capacity reservations (CUR 2.0 with INCLUDE_CAPACITY_RESERVATION_DATA): the CUR status Used / Unused;
    a Usage line in a reservation with another CUR state consumes it (CapacityReservationStatus "MUST NOT be
    null when CapacityReservationId is not null and ChargeCategory is "Usage""). -#}
{%- set aws_effective = "multiIf(" ~ unused ~ ", net_amortized_cost, " ~ fee ~ ", " ~ zero ~ ", net_amortized_cost)" %}
{#- Split cost allocation (FOCUS 1.3+): int_aws__allocated_line_items re-cuts an EC2 instance line the pods / tasks of
    its hour split into allocated charges; they replace the instance line and the pods' own zero-cost records. -#}
{%- set aws = {
    'AllocatedMethodDetails': "nullIf(allocated_method_details, '')",
    'AllocatedMethodId': "nullIf(allocated_method_id, '')",
    'AllocatedResourceId': "nullIf(allocated_resource_id, '')",
    'AllocatedResourceName': "nullIf(allocated_resource_name, '')",
    'AllocatedTags': "if(allocated_resource_id = '', NULL, toJSONString(allocated_tags))",
    'AvailabilityZone': "nullIf(availability_zone, '')",
    'BilledCost': "if(" ~ unused ~ ", " ~ zero ~ ", " ~ aws_billed_cost('line_item_type') ~ ")",
    'BillingAccountId': 'payer_account_id',
    'BillingAccountName': "coalesce(nullIf(payer_account_name, ''), payer_account_id)",
    'BillingAccountType': "'Payer Account'",
    'BillingCurrency': 'currency',
    'BillingPeriodEnd': "toDateTime(billing_period_end, 'UTC')",
    'BillingPeriodStart': "toDateTime(billing_period_start, 'UTC')",
    'CapacityReservationId': "nullIf(capacity_reservation_arn, '')",
    'CapacityReservationStatus': "multiIf(capacity_reservation_arn = '', NULL, lower(capacity_reservation_status) = 'unused', 'Unused', "
                                 ~ "lower(capacity_reservation_status) = 'used' OR " ~ aws_charge_category('line_item_type') ~ " = 'Usage', 'Used', NULL)",
    'ChargeCategory': "if(" ~ unused ~ ", 'Usage', " ~ aws_charge_category('line_item_type') ~ ")",
    'ChargeClass': "if(usage_start < billing_period_start, 'Correction', NULL)",
    'ChargeDescription': "nullIf(description, '')",
    'ChargeFrequency': "if(" ~ unused ~ ", 'Usage-Based', " ~ aws_charge_frequency('line_item_type') ~ ")",
    'ChargePeriodEnd': "toDateTime(usage_end, 'UTC')",
    'ChargePeriodStart': "toDateTime(usage_start, 'UTC')",
    'CommitmentDiscountCategory': "multiIf(commitment_type = 'Savings Plan', 'Spend', commitment_type = 'Reserved Instance', 'Usage', NULL)",
    'CommitmentDiscountId': "nullIf(commitment_arn, '')",
    'CommitmentDiscountName': 'NULL',
    'CommitmentDiscountQuantity': 'NULL',
    'CommitmentDiscountStatus': "multiIf(commitment_arn = '', NULL, " ~ unused ~ ", 'Unused', "
                                "line_item_type IN ('DiscountedUsage', 'SavingsPlanCoveredUsage'), 'Used', NULL)",
    'CommitmentDiscountType': "nullIf(commitment_type, '')",
    'CommitmentDiscountUnit': 'NULL',
    'ConsumedQuantity': "if(" ~ usage_row ~ ", toDecimal128(toString(usage_amount), 10), NULL)",
    'ConsumedUnit': "if(" ~ usage_row ~ ", " ~ focus_unit("nullIf(pricing_unit, '')") ~ ", NULL)",
    'ContractedCost': "multiIf(" ~ unused ~ ", " ~ zero ~ ", line_item_type = 'DiscountedUsage', public_on_demand_cost, net_unblended_cost)",
    'ContractedUnitPrice': "if(" ~ usage_row ~ ", if(line_item_type = 'DiscountedUsage', public_on_demand_rate, net_unblended_rate), NULL)",
    'EffectiveCost': aws_effective,
    'InvoiceId': "nullIf(invoice_id, '')",
    'InvoiceIssuerName': "if(invoicing_entity = '' OR match(invoicing_entity, '^(Amazon|AWS)'), 'AWS', invoicing_entity)",
    'ListCost': "multiIf(" ~ unused ~ ", " ~ zero ~ ", " ~ usage_row ~ ", public_on_demand_cost, "
                ~ "line_item_type = 'Credit', net_unblended_cost, "
                ~ aws_charge_category('line_item_type') ~ " = 'Credit', toDecimal128(0, 10), unblended_cost)",
    'ListUnitPrice': "if(" ~ usage_row ~ ", public_on_demand_rate, NULL)",
    'PricingCategory': "if(" ~ usage_row ~ " OR " ~ unused ~ ", multiIf(line_item_type != 'Usage', 'Committed', pricing_term = 'OnDemand', 'Standard', "
                       ~ "pricing_term = 'Spot', 'Dynamic', 'Other'), NULL)",
    'PricingCurrency': "nullIf(pricing_currency, '')",
    'PricingCurrencyContractedUnitPrice': 'NULL',
    'PricingCurrencyEffectiveCost': "if(pricing_currency = '' OR pricing_currency = currency, " ~ aws_effective ~ ", NULL)",
    'PricingCurrencyListUnitPrice': 'NULL',
    'PricingQuantity': "if(" ~ usage_row ~ ", toDecimal128(toString(usage_amount), 10), NULL)",
    'PricingUnit': "if(" ~ usage_row ~ ", " ~ focus_unit("nullIf(pricing_unit, '')") ~ ", NULL)",
    'RegionId': "nullIf(region, '')",
    'RegionName': "nullIf(region, '')",
    'ResourceId': "nullIf(resource_id, '')",
    'ResourceName': 'NULL',
    'ResourceType': "if(resource_id = '', NULL, coalesce(nullIf(if(startsWith(resource_id, 'arn:'), "
                    ~ "splitByRegexp('[/:]', splitByChar(':', resource_id, 6)[6])[1], ''), ''), "
                    ~ "nullIf(product_family, ''), nullIf(product_code, ''), 'Resource'))",
    'ServiceCategory': "if(sc.service_category = '', 'Other', sc.service_category)",
    'ServiceName': "coalesce(nullIf(service_name, ''), nullIf(product_code, ''), 'AWS')",
    'ServiceProviderName': "if(billing_entity = 'AWS Marketplace' AND legal_entity != '', legal_entity, 'AWS')",
    'HostProviderName': "'AWS'",
    'InvoiceDetailId': 'NULL',
    'CommitmentProgramEligibilityDetails': 'NULL',
    'ServiceSubcategory': "if(sc.service_subcategory = '', 'Other (Other)', sc.service_subcategory)",
    'SkuId': "if(line_item_type = 'Tax', NULL, nullIf(sku_id, ''))",
    'SkuMeter': "if(line_item_type = 'Tax' OR sku_id = '', NULL, nullIf(usage_type, ''))",
    'SkuPriceDetails': 'NULL',
    'SkuPriceId': "nullIf(rate_id, '')",
    'SubAccountId': "nullIf(usage_account_id, '')",
    'SubAccountName': "nullIf(usage_account_name, '')",
    'SubAccountType': "'Member Account'",
    'Tags': 'toJSONString(resource_tags)',
    'x_Provider': "'aws'",
    'x_BillingMonth': 'billing_period',
    'x_UsageDate': 'usage_date',
    'x_LineItemId': 'line_item_id',
    'x_ChargeType': 'line_item_type',
    'x_UsageType': "nullIf(usage_type, '')",
    'x_Operation': "nullIf(operation, '')",
    'x_UnblendedCost': "if(" ~ unused ~ ", " ~ zero ~ ", unblended_cost)",
    'x_AmortizedCost': "multiIf(" ~ unused ~ ", amortized_cost, " ~ fee ~ ", " ~ zero ~ ", amortized_cost)",
    'x_PublicOnDemandCost': "if(" ~ unused ~ ", " ~ zero ~ ", public_on_demand_cost)",
    'x_SavingsPlanSavings': "if(" ~ unused ~ ", " ~ zero ~ ", savings_plan_savings)",
    'x_ReservationSavings': "if(" ~ unused ~ ", " ~ zero ~ ", reservation_savings)",
    'x_Credits': 'NULL',
    'x_CreditsByType': 'NULL',
    'x_ExportType': 'NULL',
    'x_ProviderColumns': 'NULL',
    'x_CorrectionHandling': "'Replacement'",
    'x_DeliveredAt': load_time('load_id'),
} %}
{#- a Savings Plan's or RI's id is its contract's (focus_contract_commitments) -#}
{%- set aws = dict(aws, ContractApplied=contract_applied(aws['CommitmentDiscountId'], aws['CommitmentDiscountId'],
                                                        aws['ChargeCategory'], aws['BilledCost'], aws['EffectiveCost'])) %}

{%- set gcp_usage_row = "(cost_type = 'regular' AND NOT is_commitment_fee)" %}
{#- the committed use discount of a row: the CUD credit's id (credit model); in the new spend-based model
    (gcp_cud_pools.jinja) the subscription (detailed export) of covered usage or of a fee row, else covered usage's
    consumption model. The credit model's fee rows name no commitment. -#}
{%- set gcp_cud_id = "multiIf(committed_use_credit_id != '', committed_use_credit_id, "
                     ~ "is_cud_consumption_model OR is_consumption_model_cud_fee, "
                     ~ "if(subscription_instance_id != '', subscription_instance_id, "
                     ~ "if(is_cud_consumption_model, consumption_model_id, '')), '')" %}
{#- GCP invoice months run on Pacific time (like invoice.month): the billing period starts at midnight
    America/Los_Angeles (07:00 or 08:00 UTC). -#}
{%- set gcp_period_start = "toTimeZone(toDateTime(concat(invoice_month, '-01 00:00:00'), 'America/Los_Angeles'), 'UTC')" %}
{%- set gcp_period_end = "toTimeZone(addMonths(toDateTime(concat(invoice_month, '-01 00:00:00'), 'America/Los_Angeles'), 1), 'UTC')" %}
{#- InvoiceId: NULL. The export has no invoice id, only invoice.month ("The year and month (YYYYMM) of the
    invoice that includes the cost line items") and invoice.publisher_type: a month names no invoice, so no
    InvoiceId can be derived. FOCUS: InvoiceId "MUST be null when the charge is not associated either with an
    invoice or with a pre-generated provisional invoice". -#}
{%- set gcp = {
    'AllocatedMethodDetails': 'NULL', 'AllocatedMethodId': 'NULL', 'AllocatedResourceId': 'NULL',
    'AllocatedResourceName': 'NULL', 'AllocatedTags': 'NULL',
    'AvailabilityZone': "nullIf(zone, '')",
    'BilledCost': 'net_cost',
    'BillingAccountId': 'billing_account_id',
    'BillingAccountName': 'billing_account_id',
    'BillingAccountType': "'Billing Account'",
    'BillingCurrency': 'currency',
    'BillingPeriodEnd': gcp_period_end,
    'BillingPeriodStart': gcp_period_start,
    'CapacityReservationId': 'NULL',
    'CapacityReservationStatus': 'NULL',
    'ChargeCategory': gcp_charge_category('cost_type', 'is_commitment_fee'),
    'ChargeClass': "if((cost_type = 'adjustment' OR adjustment_type != '') AND usage_start < " ~ gcp_period_start
                   ~ ", 'Correction', NULL)",
    'ChargeDescription': "nullIf(sku_description, '')",
    'ChargeFrequency': gcp_charge_frequency('cost_type', 'is_commitment_fee'),
    'ChargePeriodEnd': "toDateTime(usage_end, 'UTC')",
    'ChargePeriodStart': "toDateTime(usage_start, 'UTC')",
    'CommitmentDiscountCategory': "if(" ~ gcp_cud_id ~ " = '', NULL, "
                                  ~ "if(is_cud_consumption_model OR is_consumption_model_cud_fee "
                                  ~ "OR mapContains(credits_by_type, 'COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE'), 'Spend', 'Usage'))",
    'CommitmentDiscountId': "nullIf(" ~ gcp_cud_id ~ ", '')",
    'CommitmentDiscountName': 'NULL',
    'CommitmentDiscountQuantity': 'NULL',
    'CommitmentDiscountStatus': "if(" ~ gcp_cud_id ~ " != '' AND " ~ gcp_usage_row ~ ", 'Used', NULL)",
    'CommitmentDiscountType': "if(" ~ gcp_cud_id ~ " = '', NULL, 'Committed Use Discount')",
    'CommitmentDiscountUnit': 'NULL',
    'ConsumedQuantity': "if(" ~ gcp_usage_row ~ ", toDecimal128(toString(usage_amount), 10), NULL)",
    'ConsumedUnit': "if(" ~ gcp_usage_row ~ ", " ~ focus_unit("nullIf(usage_unit, '')") ~ ", NULL)",
    'ContractedCost': 'cost_at_default_price',
    'ContractedUnitPrice': "if(" ~ gcp_usage_row ~ " AND NOT is_cud_consumption_model, price_effective_price, NULL)",
    'EffectiveCost': 'net_cost',
    'InvoiceId': 'NULL',
    'InvoiceIssuerName': "'Google Cloud'",
    'ListCost': 'cost_at_list',
    'ListUnitPrice': 'NULL',
    'PricingCategory': "if(" ~ gcp_usage_row ~ ", if(" ~ gcp_cud_id ~ " != '', 'Committed', 'Standard'), NULL)",
    'PricingCurrency': "'USD'",
    'PricingCurrencyContractedUnitPrice': 'NULL',
    'PricingCurrencyEffectiveCost': fx_convert('net_cost', '1', 'toString(currency_conversion_rate)', if_zero='net_cost'),
    'PricingCurrencyListUnitPrice': 'NULL',
    'PricingQuantity': "if(" ~ gcp_usage_row ~ ", toDecimal128(toString(usage_amount_in_pricing_units), 10), NULL)",
    'PricingUnit': "if(" ~ gcp_usage_row ~ ", " ~ focus_unit("nullIf(usage_pricing_unit, '')") ~ ", NULL)",
    'RegionId': "nullIf(region, '')",
    'RegionName': "nullIf(region, '')",
    'ResourceId': "nullIf(resource_global_name, '')",
    'ResourceName': "nullIf(resource_name, '')",
    'ResourceType': "if(resource_global_name = '', NULL, coalesce(nullIf(splitByChar('/', resource_global_name)[-2], ''), "
                    ~ "nullIf(service_description, ''), 'Resource'))",
    'ServiceCategory': "if(sc.service_category = '', 'Other', sc.service_category)",
    'ServiceName': "coalesce(nullIf(service_description, ''), 'Google Cloud')",
    'ServiceProviderName': "if(startsWith(transaction_type, 'THIRD_PARTY') AND seller_name != '', seller_name, 'Google Cloud')",
    'HostProviderName': "'Google Cloud'",
    'InvoiceDetailId': 'NULL',
    'CommitmentProgramEligibilityDetails': 'NULL',
    'ServiceSubcategory': "if(sc.service_subcategory = '', 'Other (Other)', sc.service_subcategory)",
    'SkuId': "if(cost_type = 'tax', NULL, nullIf(sku_id, ''))",
    'SkuMeter': "if(cost_type = 'tax' OR sku_id = '', NULL, nullIf(sku_description, ''))",
    'SkuPriceDetails': 'NULL',
    'SkuPriceId': 'NULL',
    'SubAccountId': "nullIf(project_id, '')",
    'SubAccountName': "nullIf(project_name, '')",
    'SubAccountType': "'Project'",
    'Tags': 'toJSONString(' ~ gcp_tags() ~ ')',
    'x_Provider': "'gcp'",
    'x_BillingMonth': 'invoice_month',
    'x_UsageDate': 'usage_date',
    'x_LineItemId': 'row_key',
    'x_ChargeType': 'cost_type',
    'x_UsageType': 'NULL',
    'x_Operation': 'NULL',
    'x_UnblendedCost': 'cost',
    'x_AmortizedCost': 'net_cost',
    'x_PublicOnDemandCost': 'NULL',
    'x_SavingsPlanSavings': 'NULL',
    'x_ReservationSavings': 'NULL',
    'x_Credits': 'credits',
    'x_CreditsByType': 'toJSONString(credits_by_type)',
    'x_ExportType': "nullIf(export_type, '')",
    'x_ProviderColumns': 'NULL',
    'x_CorrectionHandling': "'Delta'",
    'x_DeliveredAt': "nullIf(export_time, toDateTime64(0, 6, 'UTC'))",
    'ContractApplied': 'NULL',
} %}

{#- AWS arrives as CUR or as the Data Exports FOCUS 1.2 export: per payer account and month, only the input
    int_cloud_cost_inputs counts gives rows (the CUR block above, or the native block at the end). -#}
{%- macro aws_counted(input) -%}
(SELECT billing_account_id, month FROM {{ ref('int_cloud_cost_inputs') }} WHERE provider = 'aws' AND input = {{ lit(input) }} AND counted = 1)
{%- endmacro %}
SELECT
{%- for name, type in columns %}
    CAST({{ aws[name] }} AS {{ type }}) AS {{ name }}{{ "," if not loop.last }}
{%- endfor %}
FROM
(
    SELECT *, arrayJoin(if({{ fee }} AND (net_amortized_cost != 0 OR amortized_cost != 0), ['purchase', 'unused'], ['line'])) AS focus_row
    FROM
    (
        {#- the same columns in the same order: int_aws__allocated_line_items has the line items' then these -#}
        SELECT *, line_item_id AS origin_line_item_id, '' AS allocated_method_id, '' AS allocated_resource_id,
               '' AS allocated_resource_name, CAST(map(), 'Map(String, String)') AS allocated_tags, '' AS allocated_method_details
        FROM {{ ref('int_aws__cost_line_items') }}
        WHERE NOT (product_code = 'AmazonEC2' AND split_parent_resource_id = '' AND (billing_period, line_item_id, time_interval) IN
                   (SELECT billing_period, origin_line_item_id, time_interval FROM {{ ref('int_aws__allocated_line_items') }}))
          AND NOT (split_parent_resource_id != '' AND (billing_period, split_parent_resource_id, usage_start) IN
                   (SELECT billing_period, resource_id, usage_start FROM {{ ref('int_aws__allocated_line_items') }}))
        UNION ALL
        SELECT * FROM {{ ref('int_aws__allocated_line_items') }}
    )
    WHERE line_item_type != 'SavingsPlanNegation'
      AND (payer_account_id, billing_period) IN {{ aws_counted('cur') }}
) AS line_items
LEFT JOIN (SELECT service, service_category, service_subcategory FROM {{ ref('service_categories') }} WHERE provider = 'aws') AS sc
    ON sc.service = product_code
UNION ALL
SELECT
{%- for name, type in columns %}
    CAST({{ gcp[name] }} AS {{ type }}) AS {{ name }}{{ "," if not loop.last }}
{%- endfor %}
FROM {{ ref('int_gcp__cost_line_items') }}
LEFT JOIN (SELECT service, service_category, service_subcategory FROM {{ ref('service_categories') }} WHERE provider = 'gcp') AS sc
    ON sc.service = service_description
{#- GCP arrives as the billing export or Google's FOCUS export table: only the counted one gives rows (the native
    rows come from int_cloud_focus_native). #}
WHERE (billing_account_id, invoice_month) IN
    (SELECT billing_account_id, month FROM {{ ref('int_cloud_cost_inputs') }} WHERE provider = 'gcp' AND input = 'billing_export' AND counted = 1)
UNION ALL
SELECT {% for name, _ in columns %}{{ name }}{{ ", " if not loop.last }}{% endfor %}
FROM {{ ref('int_cloud_focus_native') }}
