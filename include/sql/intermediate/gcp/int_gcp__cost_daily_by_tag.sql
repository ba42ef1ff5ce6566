-- Daily GCP cost per configured tag key and value (tag_keys.gcp: resource label, else Resource Manager tag, else
-- project label, gcp_tag_value; '' = none). Each key's rows add up to the full cost.
SELECT
    invoice_month,
    usage_date,
    project_id,
    service_description,
    tag.1                   AS tag_key,
    {{ gcp_tag_value('tag.2') }} AS tag_value,
    currency,
    sum(cost)               AS cost,
    sum(credits)            AS credits,
    sum(net_cost)           AS net_cost,
    count()                 AS line_items
FROM {{ ref('int_gcp__cost_line_items') }}
ARRAY JOIN CAST([
{%- for name, key in config.tags.gcp %}({{ lit(ident(name)) }}, {{ lit(key) }}){{ ", " if not loop.last }}{% endfor -%}
], 'Array(Tuple(String, String))') AS tag
WHERE {{ in_periods('invoice_month') }}
GROUP BY invoice_month, usage_date, project_id, service_description, tag_key, tag_value, currency
