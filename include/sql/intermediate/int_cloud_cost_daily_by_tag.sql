-- The conformed daily cost per configured tag key and value of the clouds (tag_keys in finops_sql_config):
-- AWS and GCP from their daily tag rollups, Azure from the FOCUS Tags of its line items. Every line item
-- appears once per configured key ('' = not tagged), so each key's rows add up to the provider's full cost.
-- Azure tags are matched with `tag_keys.azure` when the configuration has it, else with the GCP label
-- keys (plain keys such as `team`, the way Azure resource tags are written; config.tags.azure resolves it).
{%- set azure_tags = config.tags.azure %}
SELECT 'aws' AS provider, billing_period AS month, usage_date, usage_account_id AS account_id,
       product_code AS service_name, tag_key, tag_value, upper(currency) AS currency,
       net_unblended_cost AS billed_cost, net_amortized_cost AS effective_cost, line_items
FROM {{ ref('int_aws__cost_daily_by_tag') }}
UNION ALL
SELECT 'gcp', invoice_month, usage_date, project_id, service_description, tag_key, tag_value, upper(currency),
       net_cost, net_cost, line_items
FROM {{ ref('int_gcp__cost_daily_by_tag') }}
UNION ALL
SELECT 'azure', billing_period, usage_date, ifNull(SubAccountId, ''), ServiceName, CAST(tag.1 AS LowCardinality(String)),
       tags[tag.2], BillingCurrency,
       sum(BilledCost), sum(EffectiveCost), count()
FROM {{ ref('int_azure__cost_line_items') }}
ARRAY JOIN CAST([
{%- for name, key in azure_tags %}({{ lit(ident(name)) }}, {{ lit(key) }}){{ ", " if not loop.last }}{% endfor -%}
], 'Array(Tuple(String, String))') AS tag
GROUP BY billing_period, usage_date, SubAccountId, ServiceName, tag.1, tags[tag.2], BillingCurrency
