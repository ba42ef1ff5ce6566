-- The line items with the configured tag keys as columns (Variable finops_sql_config, tag_keys.aws):
-- tag_<name> = the value of '<key>' in resource_tags in any spelling (CUR 2.0 `user_team`, legacy CUR
-- `user:team`; '' when the line item does not carry the tag).
-- billed_cost: the line's FOCUS BilledCost (aws_billed_cost), what a cut by tag or resource sums (the generated
-- dashboard pages chart it): the CUR's (net) unblended cost, which stays as the CUR has it per line, puts Savings
-- Plan covered usage on its resource and tags at on-demand price and its negation, tagless, on no resource.
SELECT
    *,
    {{ aws_billed_cost('line_item_type') }} AS billed_cost
{%- for name, key in config.tags.aws %},
    {{ aws_tag_value('resource_tags', lit(key)) }} AS tag_{{ ident(name) }}
{%- endfor %}
FROM {{ ref('int_aws__cost_line_items') }}
