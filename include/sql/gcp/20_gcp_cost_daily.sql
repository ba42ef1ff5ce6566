-- Daily GCP cost: cost, credits (all types; and per type), net cost = cost + credits.
-- Partitioned by invoice month; a run with `periods` rebuilds only those months.
{% call rebuild('gcp_cost_daily') %}
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
    {{ gcp_charge_category('cost_type', 'sku_description') }} AS charge_category
FROM finops.gcp_cost_line_items
WHERE {{ in_periods('invoice_month') }}
GROUP BY invoice_month, usage_date, billing_account_id, project_id, service_description, region, cost_type, currency,
         charge_category
{% endcall %}

-- Daily GCP cost per configured label key and value (tag_keys.gcp: resource label, else project
-- label; '' = not labelled). Each key's rows add up to the full cost.
{% call rebuild('gcp_cost_daily_by_tag') %}
SELECT
    invoice_month,
    usage_date,
    project_id,
    service_description,
    tag.1                   AS tag_key,
    if(mapContains(labels, tag.2), labels[tag.2], project_labels[tag.2]) AS tag_value,
    currency,
    sum(cost)               AS cost,
    sum(credits)            AS credits,
    sum(net_cost)           AS net_cost,
    count()                 AS line_items
FROM finops.gcp_cost_line_items
ARRAY JOIN CAST([
{%- for name, key in config.tags.gcp %}({{ lit(ident(name)) }}, {{ lit(key) }}){{ ", " if not loop.last }}{% endfor -%}
], 'Array(Tuple(String, String))') AS tag
WHERE {{ in_periods('invoice_month') }}
GROUP BY invoice_month, usage_date, project_id, service_description, tag_key, tag_value, currency
{% endcall %}
