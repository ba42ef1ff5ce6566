-- Daily cost per configured tag key and value, both clouds (tag_keys in finops_sql_config).
SELECT 'aws' AS provider, billing_period AS month, usage_date, usage_account_id AS account_id,
       product_code AS service_name, tag_key, tag_value, upper(currency) AS currency,
       net_unblended_cost AS billed_cost, net_amortized_cost AS effective_cost, line_items
FROM {{ ref('int_aws__cost_daily_by_tag') }}
UNION ALL
SELECT 'gcp', invoice_month, usage_date, project_id, service_description, tag_key, tag_value, upper(currency),
       net_cost, net_cost, line_items
FROM {{ ref('int_gcp__cost_daily_by_tag') }}
