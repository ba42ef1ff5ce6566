-- One row per CUR line item (newest completed load of each billing period), normalized: names,
-- Decimal money, tags as maps, and the amortized / net amortized cost and the commitment savings of
-- the AWS CUR query library (rules table in include/sql/README.md). Partitioned by billing period;
-- a run with `periods` rebuilds only those billing periods.
{%- from 'aws_cur_commitment_amounts.jinja' import net_or_gross, ri_unused, sp_commitment, sp_net_commitment %}
{%- set raw = 'aws_costs__cur_line_items' %}
{%- set cur_loaded = source('aws_costs', 'cur_line_items') %}{# only a FOCUS export loaded: skipped, the table stays empty #}
{%- macro col(name, default="''") -%}{{ column_or(raw, name, default) }}{%- endmacro %}
{#- A money column as Decimal; `fallback` (a column) replaces it where it is missing or NULL. -#}
{%- macro num(name, fallback=none) -%}
{%- if fallback is none -%}{{ money(column_or(raw, name, '0')) }}
{%- else -%}{{ money('coalesce(' ~ column_or(raw, name, 'NULL') ~ ', ' ~ column_or(raw, fallback, 'NULL') ~ ')') }}
{%- endif -%}
{%- endmacro %}
WITH
    items AS
    (
        SELECT
            *,
            ifNull(line_item_line_item_type, '') AS type_,
            ifNull({{ col('pricing_term') }}, '') AS pricing_term_,
            ifNull({{ col('pricing_unit') }}, '') AS pricing_unit_,
            upper(ifNull({{ col('pricing_currency') }}, '')) AS pricing_currency_,
            {{ tag_map('resource_tags') if has_column(raw, 'resource_tags') else "map()" }} AS resource_tags_,
            {{ tag_map('cost_category') if has_column(raw, 'cost_category') else "map()" }} AS cost_category_,
            ifNull({{ col('reservation_reservation_a_r_n') }}, '') AS ri_arn_,
            ifNull({{ col('savings_plan_savings_plan_a_r_n') }}, '') AS sp_arn_,
            {{ num('line_item_unblended_cost') }} AS unblended_,
            {{ num('line_item_net_unblended_cost', 'line_item_unblended_cost') }} AS net_unblended_,
            {{ num('pricing_public_on_demand_cost') }} AS on_demand_,
            {{ num('savings_plan_savings_plan_effective_cost') }} AS sp_effective_,
            {{ net_or_gross(raw, 'savings_plan_net_savings_plan_effective_cost',
                            'savings_plan_savings_plan_effective_cost') }} AS sp_net_effective_,
            {{ num('savings_plan_total_commitment_to_date') }} - {{ num('savings_plan_used_commitment') }} AS sp_unused_,
            -- net / gross commitment of the Savings Plan (1 without negotiated discounts)
            {{ sp_commitment(raw) }} AS sp_commitment_,
            {{ sp_net_commitment(raw) }} AS sp_net_commitment_,
            {{ num('reservation_effective_cost') }} AS ri_effective_,
            {{ net_or_gross(raw, 'reservation_net_effective_cost', 'reservation_effective_cost') }} AS ri_net_effective_,
            {{ ri_unused(raw) }} AS ri_unused_,
            {{ net_or_gross(raw, 'reservation_net_unused_amortized_upfront_fee_for_billing_period',
                            'reservation_unused_amortized_upfront_fee_for_billing_period') }}
                + {{ net_or_gross(raw, 'reservation_net_unused_recurring_fee', 'reservation_unused_recurring_fee') }} AS ri_net_unused_
        FROM {{ ref('stg_aws__cur_line_items') }}
        WHERE {{ in_periods('billing_period') }}
    )
SELECT
    billing_period,
    ifNull(identity_line_item_id, '')                                   AS line_item_id,
    ifNull(identity_time_interval, '')                                  AS time_interval,
    line_item_usage_start_date                                          AS usage_start,
    line_item_usage_end_date                                            AS usage_end,
    toDate(line_item_usage_start_date, 'UTC')                           AS usage_date,
    ifNull({{ col('bill_billing_period_start_date', "toDateTime64(concat(billing_period, '-01 00:00:00'), 3, 'UTC')") }},
           toDateTime64(concat(billing_period, '-01 00:00:00'), 3, 'UTC')) AS billing_period_start,
    ifNull({{ col('bill_billing_period_end_date', "addMonths(toDateTime64(concat(billing_period, '-01 00:00:00'), 3, 'UTC'), 1)") }},
           addMonths(toDateTime64(concat(billing_period, '-01 00:00:00'), 3, 'UTC'), 1)) AS billing_period_end,
    ifNull({{ col('bill_invoice_id') }}, '')                            AS invoice_id,
    ifNull({{ col('bill_billing_entity') }}, '')                        AS billing_entity,
    ifNull({{ col('bill_invoicing_entity') }}, '')                      AS invoicing_entity,
    ifNull({{ col('line_item_legal_entity') }}, '')                     AS legal_entity,
    ifNull(bill_payer_account_id, '')                                   AS payer_account_id,
    ifNull({{ col('bill_payer_account_name') }}, '')                    AS payer_account_name,
    ifNull(line_item_usage_account_id, '')                              AS usage_account_id,
    ifNull({{ col('line_item_usage_account_name') }}, '')               AS usage_account_name,
    type_                                                               AS line_item_type,
    ifNull(line_item_product_code, '')                                  AS product_code,
    {%- if has_column(raw, 'product') %}
    if(JSONExtractString(ifNull(product, '{}'), 'product_name') != '',
       JSONExtractString(ifNull(product, '{}'), 'product_name'), ifNull(line_item_product_code, '')) AS service_name,
    {%- else %}
    ifNull(line_item_product_code, '')                                  AS service_name,
    {%- endif %}
    ifNull({{ col('product_product_family') }}, '')                     AS product_family,
    ifNull({{ col('product_sku') }}, '')                                AS sku_id,
    ifNull({{ col('pricing_rate_id') }}, '')                            AS rate_id,
    ifNull({{ col('product_region_code') }}, '')                        AS region,
    ifNull({{ col('line_item_availability_zone') }}, '')                AS availability_zone,
    ifNull({{ col('line_item_usage_type') }}, '')                       AS usage_type,
    ifNull({{ col('line_item_operation') }}, '')                        AS operation,
    ifNull({{ col('line_item_resource_id') }}, '')                      AS resource_id,
    ifNull({{ col('line_item_line_item_description') }}, '')            AS description,
    pricing_term_                                                       AS pricing_term,
    pricing_unit_                                                       AS pricing_unit,
    ifNull(line_item_usage_amount, 0)                                   AS usage_amount,
    upper(ifNull(line_item_currency_code, 'USD'))                       AS currency,
    pricing_currency_                                                   AS pricing_currency,
    {{ num('line_item_unblended_rate') }}                               AS unblended_rate,
    {{ num('line_item_net_unblended_rate', 'line_item_unblended_rate') }} AS net_unblended_rate,
    {{ num('pricing_public_on_demand_rate') }}                          AS public_on_demand_rate,
    unblended_                                                          AS unblended_cost,
    net_unblended_                                                      AS net_unblended_cost,
    on_demand_                                                          AS public_on_demand_cost,
    multiIf(
        type_ = 'SavingsPlanCoveredUsage', sp_effective_,
        type_ = 'SavingsPlanRecurringFee', sp_unused_,
        type_ IN ('SavingsPlanNegation', 'SavingsPlanUpfrontFee'), toDecimal128(0, 10),
        type_ = 'DiscountedUsage', ri_effective_,
        type_ = 'RIFee', ri_unused_,
        type_ = 'Fee' AND ri_arn_ != '', toDecimal128(0, 10),
        unblended_)                                                     AS amortized_cost,
    multiIf(
        type_ = 'SavingsPlanCoveredUsage', sp_net_effective_,
        type_ = 'SavingsPlanRecurringFee',
            {{ mul_div('sp_unused_', 'sp_net_commitment_', 'sp_commitment_', if_zero='sp_unused_') }},
        type_ IN ('SavingsPlanNegation', 'SavingsPlanUpfrontFee'), toDecimal128(0, 10),
        type_ = 'DiscountedUsage', ri_net_effective_,
        type_ = 'RIFee', ri_net_unused_,
        type_ = 'Fee' AND ri_arn_ != '', toDecimal128(0, 10),
        net_unblended_)                                                 AS net_amortized_cost,
    if(type_ = 'SavingsPlanCoveredUsage', on_demand_ - sp_effective_, toDecimal128(0, 10)) AS savings_plan_savings,
    if(type_ = 'DiscountedUsage', on_demand_ - ri_effective_, toDecimal128(0, 10))         AS reservation_savings,
    multiIf(startsWith(type_, 'SavingsPlan'), 'Savings Plan',
            type_ IN ('DiscountedUsage', 'RIFee') OR (type_ = 'Fee' AND ri_arn_ != ''), 'Reserved Instance',
            '')                                                         AS commitment_type,
    multiIf(commitment_type = 'Savings Plan', sp_arn_, commitment_type = 'Reserved Instance', ri_arn_, '') AS commitment_arn,
    -- CUR 2.0 with INCLUDE_CAPACITY_RESERVATION_DATA; '' without it
    ifNull({{ col('capacity_reservation_capacity_reservation_arn') }}, '')    AS capacity_reservation_arn,
    ifNull({{ col('capacity_reservation_capacity_reservation_status') }}, '') AS capacity_reservation_status,
    ifNull({{ col('line_item_tax_type') }}, '')                         AS tax_type,
    -- Split cost allocation data (CUR 2.0 INCLUDE_SPLIT_COST_ALLOCATION_DATA, EKS pods / ECS tasks); '' and 0 without
    -- it. AWS: "Split cost allocation data introduces new usage records and new cost metric columns for each
    -- containerized resource ID (that is, ECS task and Kubernetes pod)"; split_line_item_parent_resource_id is "the
    -- resource ID of the parent EC2 instance associated with the Amazon ECS task or Amazon EKS pod". The net_ columns
    -- exist "only when your account has a discount in the applicable billing period": else they equal the gross ones.
    ifNull({{ col('split_line_item_parent_resource_id') }}, '')         AS split_parent_resource_id,
    toFloat64(ifNull({{ column_or(raw, 'split_line_item_split_usage', 'NULL') }}, 0)) AS split_usage,
    toFloat64(ifNull({{ column_or(raw, 'split_line_item_reserved_usage', 'NULL') }}, 0)) AS split_reserved_usage,
    toFloat64(ifNull({{ column_or(raw, 'split_line_item_actual_usage', 'NULL') }}, 0)) AS split_actual_usage,
    toFloat64(ifNull({{ column_or(raw, 'split_line_item_split_usage_ratio', 'NULL') }}, 0)) AS split_usage_ratio,
    {{ num('split_line_item_split_cost') }}                             AS split_cost,
    {{ num('split_line_item_unused_cost') }}                            AS split_unused_cost,
    {{ num('split_line_item_net_split_cost', 'split_line_item_split_cost') }}   AS split_net_split_cost,
    {{ num('split_line_item_net_unused_cost', 'split_line_item_unused_cost') }} AS split_net_unused_cost,
    resource_tags_                                                      AS resource_tags,
    cost_category_                                                      AS cost_category,
    _dlt_load_id                                                        AS load_id
FROM items
