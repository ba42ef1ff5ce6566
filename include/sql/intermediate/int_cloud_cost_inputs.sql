-- Which input counts for each provider, billing account and month when a provider's cost arrives through more
-- than one: AWS CUR (2.0 or legacy) and the Data Exports FOCUS 1.2 export are the same bill, and so are GCP's
-- billing export and its FOCUS export table; counting both would double it. Per (provider, billing account,
-- month): the input `cost_inputs.<provider>` of finops_sql_config prefers (default: the CUR, the billing export)
-- counts when it has the account-month; otherwise the one that has it. The conformed cost (int_cloud_cost_daily) and the FOCUS mart read only `counted` inputs; the other stays in
-- its provider tables.
-- A table partitioned by month: every counted_input() filter read it, a union of four scans, as a view.
WITH inputs AS
(
    SELECT DISTINCT 'aws' AS provider, payer_account_id AS billing_account_id, billing_period AS month, 'cur' AS input
    FROM {{ ref('int_aws__cost_daily') }}
    WHERE {{ in_periods('billing_period') }}
    UNION ALL
    SELECT DISTINCT 'aws', BillingAccountId, billing_period, 'focus_export'
    FROM {{ ref('int_aws__focus_line_items') }}
    WHERE {{ in_periods('billing_period') }}
    UNION ALL
    SELECT DISTINCT 'gcp', billing_account_id, invoice_month, 'billing_export'
    FROM {{ ref('int_gcp__cost_daily') }}
    WHERE {{ in_periods('invoice_month') }}
    UNION ALL
    SELECT DISTINCT 'gcp', BillingAccountId, invoice_month, 'focus_export'
    FROM {{ ref('int_gcp__focus_line_items') }}
    WHERE {{ in_periods('invoice_month') }}
),
preferred AS
(
    SELECT provider, billing_account_id, month, input,
           multiIf(provider = 'aws', {{ lit(config.cost_inputs.aws) }},
                   provider = 'gcp', {{ lit(config.cost_inputs.gcp) }}, '') AS preferred_input
    FROM inputs
)
SELECT
    provider,
    billing_account_id,
    month,
    input,
    preferred_input,
    toUInt8(input = preferred_input
            OR countIf(input = preferred_input) OVER (PARTITION BY provider, billing_account_id, month) = 0) AS counted
FROM preferred
