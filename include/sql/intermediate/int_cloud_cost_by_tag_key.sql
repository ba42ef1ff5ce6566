-- The clouds' billed cost (AWS net unblended, GCP cost + credits, Azure FOCUS BilledCost) per month, configured
-- tag key (finops_sql_config tag_keys), account and resource, with the key's value ('' = not tagged). AWS CUR lines
-- through aws_billed_cost: Savings Plan covered usage (tagged, on-demand cost) and its negation (no resource, no tags)
-- count 0, as FOCUS BilledCost has them, so tagged cost is not above the bill and untagged cost not below it. AWS keys match
-- in every spelling (aws_tag_value: CUR 2.0 `user_team`, legacy `user:team`); a GCP key is the resource label,
-- else the Resource Manager tag, else the project label (gcp_tag_value), as in int_*__cost_line_items_tagged; Azure keys (config.tags.azure) are looked up in
-- the FOCUS Tags, as in int_cloud_cost_daily_by_tag. Computed here from the line items rather than read from
-- int_cloud_cost_daily_by_tag: that rollup has no resource, and untagged_cost_top names the resources.
-- AWS and GCP from the input that counts for the billing account and month (int_cloud_cost_inputs): the CUR / billing
-- export line items, or the native FOCUS export rows (their Tags, ResourceId, SubAccountId; AWS's service as the CUR
-- product code, as int_cloud_cost_daily names it). Every read is filtered to the months being rebuilt (in_periods).
-- Per billing currency, named as int_cloud_cost_daily names it: one account's bill can hold several (an Azure MCA
-- billing account's profiles each bill in their own currency), and amounts of two currencies are never added.
{%- from 'cost_inputs.jinja' import counted_input %}
{%- macro tag_array(pairs, value) -%}
{%- if pairs -%}
[{% for name, key in pairs %}({{ lit(name) }}, {{ value(key) }}){{ ', ' if not loop.last }}{% endfor %}]
{%- else -%}
CAST([], 'Array(Tuple(String, String))')
{%- endif -%}
{%- endmacro %}
{%- macro aws_tag(key) %}{{ aws_tag_value('resource_tags', lit(key)) }}{% endmacro %}
{%- macro aws_focus_tag(key) %}{{ aws_tag_value('tags', lit(key)) }}{% endmacro %}
{%- macro gcp_label(key) %}{{ gcp_tag_value(lit(key)) }}{% endmacro %}
{%- macro focus_tag(key) %}tags[{{ lit(key) }}]{% endmacro %}
SELECT provider, month, tag_key, account_id, service_name, resource_id, tag_value, currency,
       sum(billed_cost) AS billed_cost, count() AS line_items
FROM
(
    SELECT 'aws' AS provider, billing_period AS month, usage_account_id AS account_id, product_code AS service_name,
           resource_id, upper(currency) AS currency, {{ aws_billed_cost('line_item_type') }} AS billed_cost,
           {{ tag_array(config.tags.aws, aws_tag) }} AS tag_values
    FROM {{ ref('int_aws__cost_line_items') }}
    WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'cur', 'payer_account_id', 'billing_period') }}
      AND {{ in_periods('billing_period') }}
    UNION ALL
    SELECT 'aws', billing_period, ifNull(SubAccountId, ''),
           if(x_columns['x_ServiceCode'] != '', x_columns['x_ServiceCode'], ServiceName), ifNull(ResourceId, ''),
           BillingCurrency, BilledCost, {{ tag_array(config.tags.aws, aws_focus_tag) }}
    FROM {{ ref('int_aws__focus_line_items') }}
    WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'focus_export', 'BillingAccountId', 'billing_period') }}
      AND {{ in_periods('billing_period') }}
    UNION ALL
    SELECT 'gcp', invoice_month, project_id, service_description, resource_name, upper(currency), net_cost,
           {{ tag_array(config.tags.gcp, gcp_label) }}
    FROM {{ ref('int_gcp__cost_line_items') }}
    WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'billing_export', 'billing_account_id', 'invoice_month') }}
      AND {{ in_periods('invoice_month') }}
    UNION ALL
    -- ResourceName: the resource.name the billing export's rows carry (ResourceId is its global name)
    SELECT 'gcp', invoice_month, ifNull(SubAccountId, ''), ServiceName, ifNull(ResourceName, ''), BillingCurrency,
           BilledCost, {{ tag_array(config.tags.gcp, focus_tag) }}
    FROM {{ ref('int_gcp__focus_line_items') }}
    WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'focus_export', 'BillingAccountId', 'invoice_month') }}
      AND {{ in_periods('invoice_month') }}
    UNION ALL
    SELECT 'azure', billing_period, ifNull(SubAccountId, ''), ServiceName, ifNull(ResourceId, ''), BillingCurrency,
           BilledCost, {{ tag_array(config.tags.azure, focus_tag) }}
    FROM {{ ref('int_azure__cost_line_items') }}
    WHERE {{ in_periods('billing_period') }}
)
ARRAY JOIN tag_values.1 AS tag_key, tag_values.2 AS tag_value
GROUP BY provider, month, tag_key, account_id, service_name, resource_id, tag_value, currency
