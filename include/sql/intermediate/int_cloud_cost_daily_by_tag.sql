-- The conformed daily cost per configured tag key and value of the clouds (tag_keys in finops_sql_config). Every
-- line item appears once per configured key ('' = not tagged), so each key's rows add up to the provider's full cost.
-- AWS and GCP from the input that counts for each billing account and month (int_cloud_cost_inputs), read from the
-- line items because the daily tag rollups (int_*__cost_daily_by_tag) have no billing account to pick the input by:
-- the CUR's resource tags (every spelling of a key, aws_tag_value) or the AWS FOCUS export's Tags (AWS's service as
-- the CUR product code, as int_cloud_cost_daily names it); the CUR's billed cost as FOCUS BilledCost (aws_billed_cost:
-- Savings Plan covered usage and its negation, which has no tags, 0; their effective cost is the plan's, on the usage); the GCP billing export's labels and tags (the resource label,
-- else the Resource Manager tag, else the project label: gcp_tag_value) or its FOCUS table's Tags (the same overlay). Azure from the FOCUS Tags of its line items,
-- matched with `tag_keys.azure` when the configuration has it, else with the GCP label keys (plain keys such as
-- `team`, the way Azure resource tags are written; config.tags.azure resolves it).
{%- from 'cost_inputs.jinja' import counted_input %}
{#- the configured keys of a provider as (column name, raw key) pairs to ARRAY JOIN on -#}
{%- macro tag_pairs(pairs) -%}
CAST([{%- for name, key in pairs %}({{ lit(ident(name)) }}, {{ lit(key) }}){{ ", " if not loop.last }}{% endfor -%}],
     'Array(Tuple(String, String))')
{%- endmacro %}
SELECT 'aws' AS provider, billing_period AS month, usage_date, usage_account_id AS account_id,
       product_code AS service_name, CAST(tag.1 AS LowCardinality(String)) AS tag_key,
       {{ aws_tag_value('resource_tags', 'tag.2') }} AS tag_value, upper(currency) AS currency,
       sum({{ aws_billed_cost('line_item_type') }}) AS billed_cost, sum(net_amortized_cost) AS effective_cost, count() AS line_items
FROM {{ ref('int_aws__cost_line_items') }}
ARRAY JOIN {{ tag_pairs(config.tags.aws) }} AS tag
WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'cur', 'payer_account_id', 'billing_period') }}
GROUP BY month, usage_date, account_id, service_name, tag_key, tag_value, currency
UNION ALL
SELECT 'aws', billing_period, usage_date, ifNull(SubAccountId, ''),
       if(x_columns['x_ServiceCode'] != '', x_columns['x_ServiceCode'], ServiceName) AS service,
       CAST(tag.1 AS LowCardinality(String)) AS key, {{ aws_tag_value('tags', 'tag.2') }} AS value, BillingCurrency,
       sum(BilledCost), sum(EffectiveCost), count()
FROM {{ ref('int_aws__focus_line_items') }}
ARRAY JOIN {{ tag_pairs(config.tags.aws) }} AS tag
WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'focus_export', 'BillingAccountId', 'billing_period') }}
GROUP BY billing_period, usage_date, SubAccountId, service, key, value, BillingCurrency
UNION ALL
SELECT 'gcp', invoice_month, usage_date, project_id, service_description, CAST(tag.1 AS LowCardinality(String)) AS key,
       {{ gcp_tag_value('tag.2') }} AS value, upper(currency) AS currency_,
       sum(net_cost), sum(net_cost), count()
FROM {{ ref('int_gcp__cost_line_items') }}
ARRAY JOIN {{ tag_pairs(config.tags.gcp) }} AS tag
WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'billing_export', 'billing_account_id', 'invoice_month') }}
GROUP BY invoice_month, usage_date, project_id, service_description, key, value, currency_
UNION ALL
SELECT 'gcp', invoice_month, usage_date, ifNull(SubAccountId, ''), ServiceName, CAST(tag.1 AS LowCardinality(String)),
       tags[tag.2], BillingCurrency, sum(BilledCost), sum(EffectiveCost), count()
FROM {{ ref('int_gcp__focus_line_items') }}
ARRAY JOIN {{ tag_pairs(config.tags.gcp) }} AS tag
WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'focus_export', 'BillingAccountId', 'invoice_month') }}
GROUP BY invoice_month, usage_date, SubAccountId, ServiceName, tag.1, tags[tag.2], BillingCurrency
UNION ALL
SELECT 'azure', billing_period, usage_date, ifNull(SubAccountId, ''), ServiceName, CAST(tag.1 AS LowCardinality(String)),
       tags[tag.2], BillingCurrency,
       sum(BilledCost), sum(EffectiveCost), count()
FROM {{ ref('int_azure__cost_line_items') }}
ARRAY JOIN {{ tag_pairs(config.tags.azure) }} AS tag
GROUP BY billing_period, usage_date, SubAccountId, ServiceName, tag.1, tags[tag.2], BillingCurrency
