-- Daily GCP cost: cost, credits (all types; and per type), net cost = cost + credits.
-- Partitioned by invoice month; a run with `periods` rebuilds only those months.
SELECT
    invoice_month,
    usage_date,
    billing_account_id,
    project_id,
    service_description,
    region,
    cost_type,
    currency,
    sum(cost)               AS cost,
    sum(credits)            AS credits,
    sum(net_cost)           AS net_cost,
    count()                 AS line_items,
    sum(cost_at_list)       AS cost_at_list,
    sumMap(credits_by_type) AS credits_by_type,
    any(project_name)       AS project_name,
    {{ gcp_charge_category('cost_type', 'is_commitment_fee') }} AS charge_category
FROM {{ ref('int_gcp__cost_line_items') }}
WHERE {{ in_periods('invoice_month') }}
GROUP BY invoice_month, usage_date, billing_account_id, project_id, service_description, region, cost_type, currency,
         charge_category
