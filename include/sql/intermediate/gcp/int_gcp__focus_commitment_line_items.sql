-- Google Cloud's FOCUS export rows of committed use discounts, as int_gcp__commitment_line_items has them from the
-- billing export (the same pools, row kinds and amounts), so commitment utilization reads whichever input
-- int_cloud_cost_inputs counts for the billing account and month: commitment fee rows (ChargeDescription, the SKU's
-- description, 'Commitment ...'; Google writes them as ChargeCategory Purchase) and rows with CUD credits in
-- x_Credits (Type COMMITTED_USAGE_DISCOUNT, resource-based, or COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE, spend-based),
-- one row per program of the credits a row carries.
-- fee_cost is ContractedCost, the billing export's cost before credits. Google's FOCUS rows name no commitment
-- behind a CUD credit either (CommitmentDiscountCategory and Name only), so the pools are the billing export's.
-- Google's new spend-based model, from the detailed export's fields Google keeps as x_ columns (x_ConsumptionModelId,
-- x_SubscriptionInstanceId, x_CostAtEffectivePriceDefault; FEE_UTILIZATION_OFFSET in x_Credits): as the billing
-- export's rows (gcp_cud_pools.jinja), covered usage at its ContractedCost (the cost before credits).
-- Partitioned by invoice month; a run with `periods` rebuilds only those.
{%- from 'gcp_cud_pools.jinja' import cud_programs, cud_credit_types, cud_pool_columns, focus_cud_consumption, focus_cud_fee,
    focus_cost_at_default %}
WITH
    rows_ AS
    (
        SELECT
            *,
            {{ focus_cud_consumption }} AS is_cud_consumption_,
            {{ focus_cud_fee() }} AS is_consumption_model_fee_,
            startsWith(ifNull(ChargeDescription, ''), 'Commitment') OR is_consumption_model_fee_ AS is_fee_,
            is_consumption_model_fee_ OR (is_cud_consumption_ AND NOT is_fee_) AS is_consumption_model_,
            arrayFilter(c -> JSONExtractString(c, 'Type') IN {{ cud_credit_types }},
                        JSONExtractArrayRaw(x_columns['x_Credits'])) AS cud_credit_list_,
            arrayMap(c -> JSONExtractString(c, 'Type'), cud_credit_list_) AS cud_types_,
            toDecimal128(arraySum(arrayMap(
                c -> if(JSONExtractString(c, 'Type') = 'FEE_UTILIZATION_OFFSET', {{ gcp_credit_amount('c') }}, toDecimal128(0, 10)),
                JSONExtractArrayRaw(x_columns['x_Credits']))), 10) AS fee_offset_,
            {{ focus_cost_at_default }} AS cost_at_default_
        FROM {{ ref('int_gcp__focus_line_items') }}
        WHERE {{ in_periods('invoice_month') }}
    ),
    programs AS
    (
        SELECT
            *,
            program_.1 AS category_,
            program_.2 AS cud_credits_,
            CAST(ifNull(RegionId, '') AS String) AS region_
        FROM rows_
        ARRAY JOIN {{ cud_programs('is_fee_', "ifNull(ChargeDescription, '')",
                                   "has(cud_types_, 'COMMITTED_USAGE_DISCOUNT')",
                                   "arraySum(arrayMap(c -> if(JSONExtractString(c, 'Type') = 'COMMITTED_USAGE_DISCOUNT', "
                                   ~ gcp_credit_amount('c') ~ ", toDecimal128(0, 10)), cud_credit_list_))",
                                   "has(cud_types_, 'COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE') OR is_cud_consumption_",
                                   "arraySum(arrayMap(c -> if(JSONExtractString(c, 'Type') = 'COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE', "
                                   ~ gcp_credit_amount('c') ~ ", toDecimal128(0, 10)), cud_credit_list_))",
                                   'is_consumption_model_fee_') }} AS program_
        WHERE is_fee_ OR notEmpty(cud_credit_list_) OR is_cud_consumption_
    )
SELECT
    invoice_month,
    line_item_key                                                   AS row_key,
    ChargePeriodStart                                               AS usage_start,
    ChargePeriodEnd                                                 AS usage_end,
    usage_date,
    BillingAccountId                                                AS billing_account_id,
    ifNull(SubAccountId, '')                                        AS project_id,
    ifNull(ServiceName, '')                                         AS service_description,
    ifNull(ChargeDescription, '')                                   AS sku_description,
    region_                                                         AS region,
    BillingCurrency                                                 AS currency,
{{ cud_pool_columns('is_fee_', 'category_', 'BillingAccountId', 'region_', 'ContractedCost', 'cud_credits_',
                    'is_consumption_model_', 'fee_offset_', 'ContractedCost', 'cost_at_default_') }}
FROM programs
