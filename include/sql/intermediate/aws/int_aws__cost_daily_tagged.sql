-- The AWS dashboard's rows (rill/metrics/aws_costs.yaml): int_aws__cost_daily_tag_values with the configured tag keys
-- as columns, tag_<name> = the key's value ('' without it), as int_aws__cost_line_items_tagged names them. A view: the
-- table holds the values in an array, so a configuration with other keys needs no other table structure.
SELECT
    * EXCEPT (tag_values)
{%- for name, key in config.tags.aws %},
    tag_values[{{ loop.index }}] AS tag_{{ ident(name) }}
{%- endfor %}
FROM {{ ref('int_aws__cost_daily_tag_values') }}
