-- Daily cost per configured tag key and value of the clouds (tag_keys in finops_sql_config), from the
-- conformed int_cloud_cost_daily_by_tag.
SELECT provider, month, usage_date, account_id, service_name, tag_key, tag_value, currency, billed_cost,
       effective_cost, line_items
FROM {{ ref('int_cloud_cost_daily_by_tag') }}
