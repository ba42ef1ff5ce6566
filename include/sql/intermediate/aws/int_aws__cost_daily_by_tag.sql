-- Daily AWS cost per configured tag key and value (tag_keys.aws, matched in CUR 2.0 `user_team` and legacy
-- `user:team` spelling; '' = line items without the tag).
-- Every line item appears once per configured key, so each key's rows add up to the full cost.
-- (Net) unblended cost as FOCUS BilledCost (aws_billed_cost): Savings Plan covered usage carries its on-demand cost
-- and its resource's tags, the SavingsPlanNegation that cancels it neither (AWS groups it per hour, plan, operation,
-- usage type and zone), so as the CUR has them a covered tag got its on-demand price and '' the negative negation.
-- Both count 0 (rows kept; the plan bills through its fee); each key's total is unchanged. Amortized cost as the CUR.
SELECT
    billing_period,
    usage_date,
    usage_account_id,
    product_code,
    tag.1                       AS tag_key,
    {{ aws_tag_value('resource_tags', 'tag.2') }} AS tag_value,
    currency,
    sum({{ aws_billed_cost('line_item_type', 'unblended_cost') }}) AS unblended_cost,
    sum({{ aws_billed_cost('line_item_type') }}) AS net_unblended_cost,
    sum(amortized_cost)         AS amortized_cost,
    sum(net_amortized_cost)     AS net_amortized_cost,
    count()                     AS line_items
FROM {{ ref('int_aws__cost_line_items') }}
ARRAY JOIN CAST([
{%- for name, key in config.tags.aws %}({{ lit(ident(name)) }}, {{ lit(key) }}){{ ", " if not loop.last }}{% endfor -%}
], 'Array(Tuple(String, String))') AS tag
WHERE {{ in_periods('billing_period') }}
GROUP BY billing_period, usage_date, usage_account_id, product_code, tag_key, tag_value, currency
