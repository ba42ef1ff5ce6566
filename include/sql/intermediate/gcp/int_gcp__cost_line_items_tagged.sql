-- The rows with the configured label keys as columns (Variable finops_sql_config, tag_keys.gcp):
-- tag_<name> = the resource label, else the project label ('' when neither is set).
SELECT
    *
{%- for name, key in config.tags.gcp %},
    if(mapContains(labels, {{ lit(key) }}), labels[{{ lit(key) }}], project_labels[{{ lit(key) }}]) AS tag_{{ ident(name) }}
{%- endfor %}
FROM {{ ref('int_gcp__cost_line_items') }}
