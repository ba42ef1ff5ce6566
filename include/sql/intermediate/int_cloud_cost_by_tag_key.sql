-- The clouds' billed cost (AWS net unblended, GCP cost + credits, Azure FOCUS BilledCost) per month, configured
-- tag key (finops_sql_config tag_keys), account and resource, with the key's value ('' = not tagged). AWS keys match
-- in every spelling (aws_tag_value: CUR 2.0 `user_team`, legacy `user:team`); a GCP key is the resource label,
-- else the project label, as in int_*__cost_line_items_tagged; Azure keys (config.tags.azure) are looked up in
-- the FOCUS Tags, as in int_cloud_cost_daily_by_tag. Computed here from the line items rather than read from
-- int_cloud_cost_daily_by_tag: that rollup has no resource, and untagged_cost_top names the resources.
SELECT provider, month, tag_key, account_id, service_name, resource_id, tag_value, sum(billed_cost) AS billed_cost,
       count() AS line_items
FROM
(
    SELECT 'aws' AS provider, billing_period AS month, usage_account_id AS account_id, product_code AS service_name,
           resource_id, net_unblended_cost AS billed_cost,
{%- if config.tags.aws %}
           [{% for name, key in config.tags.aws %}({{ lit(name) }}, {{ aws_tag_value('resource_tags', lit(key)) }}){{ ', ' if not loop.last }}{% endfor %}] AS tag_values
{%- else %}
           CAST([], 'Array(Tuple(String, String))') AS tag_values
{%- endif %}
    FROM {{ ref('int_aws__cost_line_items') }}
    UNION ALL
    SELECT 'gcp', invoice_month, project_id, service_description, resource_name, net_cost,
{%- if config.tags.gcp %}
           [{% for name, key in config.tags.gcp %}({{ lit(name) }}, if(mapContains(labels, {{ lit(key) }}), labels[{{ lit(key) }}], project_labels[{{ lit(key) }}])){{ ', ' if not loop.last }}{% endfor %}]
{%- else %}
           CAST([], 'Array(Tuple(String, String))')
{%- endif %}
    FROM {{ ref('int_gcp__cost_line_items') }}
    UNION ALL
    SELECT 'azure', billing_period, ifNull(SubAccountId, ''), ServiceName, ifNull(ResourceId, ''), BilledCost,
{%- if config.tags.azure %}
           [{% for name, key in config.tags.azure %}({{ lit(name) }}, tags[{{ lit(key) }}]){{ ', ' if not loop.last }}{% endfor %}]
{%- else %}
           CAST([], 'Array(Tuple(String, String))')
{%- endif %}
    FROM {{ ref('int_azure__cost_line_items') }}
)
ARRAY JOIN tag_values.1 AS tag_key, tag_values.2 AS tag_value
GROUP BY provider, month, tag_key, account_id, service_name, resource_id, tag_value
