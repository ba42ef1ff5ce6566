-- The GCP billing export rows of committed use discounts (CUDs), one row per export row that is a commitment fee
-- (a `Commitment ...` SKU, e.g. "Commitment v1: Cpu in Americas for 1 Year", "Commitment - dollar based v1: GCE
-- for 1 year") and per program of the CUD credits a row carries (credits of type COMMITTED_USAGE_DISCOUNT,
-- resource-based, and COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE, spend-based: usage covered by both carries both, each
-- to its own pool), from int_gcp__cost_line_items.
-- In the credit model the credits offset the on-demand cost of the covered usage, and the fee is what the
-- commitment costs (Google's "Sample queries for the new CUDs data model", KPI "CUD cost plus CUD savings":
-- savings = -(credits) - fee; "Commitment savings: cost of resources at on-demand rates - cost of resources with
-- commitment discounts"). The export does not say which commitment a credit came from, nor the commitment's
-- amount, start or end (those are in the separate CUD metadata export, `cud_subscriptions_export`, not loaded),
-- so commitments are pooled per billing account and program (include/sql/gcp_cud_pools.jinja).
-- Google's new spend-based model (cud_model 'consumption'; Google's "Sample KPI queries using the new data model"):
-- the fee rows of a CUD subscription (fee_cost, their FEE_UTILIZATION_OFFSET credits in fee_utilization_offset: minus
-- the part of the commitment used) and the usage billed under its consumption model (covered_cost, billed at the CUD
-- price; covered_on_demand_cost its cost_at_effective_price_default), pooled with the account's spend-based CUDs.
{%- from 'gcp_cud_pools.jinja' import cud_programs, cud_pool_columns %}
WITH
    rows_ AS
    (
        SELECT
            *,
            is_commitment_fee AS is_fee_,
            is_consumption_model_cud_fee OR (is_cud_consumption_model AND NOT is_fee_) AS is_consumption_model_
        FROM {{ ref('int_gcp__cost_line_items') }}
        WHERE {{ in_periods('invoice_month') }}
          AND (is_commitment_fee OR is_cud_consumption_model
               OR mapContains(credits_by_type, 'COMMITTED_USAGE_DISCOUNT')
               OR mapContains(credits_by_type, 'COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE'))
    ),
    programs AS
    (
        SELECT
            *,
            program_.1 AS category_,
            program_.2 AS cud_credits_
        FROM rows_
        ARRAY JOIN {{ cud_programs('is_fee_', 'sku_description',
                                   "mapContains(credits_by_type, 'COMMITTED_USAGE_DISCOUNT')",
                                   "ifNull(credits_by_type['COMMITTED_USAGE_DISCOUNT'], toDecimal128(0, 10))",
                                   "mapContains(credits_by_type, 'COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE') OR is_cud_consumption_model",
                                   "ifNull(credits_by_type['COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE'], toDecimal128(0, 10))",
                                   'is_consumption_model_cud_fee') }} AS program_
    )
SELECT
    invoice_month,
    row_key,
    usage_start,
    usage_end,
    usage_date,
    billing_account_id,
    project_id,
    service_description,
    sku_description,
    region,
    currency,
{{ cud_pool_columns('is_fee_', 'category_', 'billing_account_id', 'region', 'cost', 'cud_credits_',
                    'is_consumption_model_',
                    "ifNull(credits_by_type['FEE_UTILIZATION_OFFSET'], toDecimal128(0, 10))",
                    'cost', 'cost_at_default_price') }},
    load_id
FROM programs
