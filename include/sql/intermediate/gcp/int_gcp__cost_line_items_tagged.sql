-- The rows with the configured tag keys as columns (Variable finops_sql_config, tag_keys.gcp): tag_<name> = the
-- resource label, else the Resource Manager tag of that key (attached before inherited, short key name, namespace
-- ignored), else the project label ('' when none is set): gcp_tag_value, as in every GCP tag cut.
SELECT
    *
{%- for name, key in config.tags.gcp %},
    {{ gcp_tag_value(lit(key)) }} AS tag_{{ ident(name) }}
{%- endfor %}
FROM {{ ref('int_gcp__cost_line_items') }}
