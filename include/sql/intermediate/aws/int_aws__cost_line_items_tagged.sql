-- The line items with the configured tag keys as columns (Variable finops_sql_config, tag_keys.aws):
-- tag_<name> = the value of '<key>' in resource_tags in any spelling (CUR 2.0 `user_team`, legacy CUR
-- `user:team`; '' when the line item does not carry the tag).
SELECT
    *
{%- for name, key in config.tags.aws %},
    {{ aws_tag_value('resource_tags', lit(key)) }} AS tag_{{ ident(name) }}
{%- endfor %}
FROM {{ ref('int_aws__cost_line_items') }}
