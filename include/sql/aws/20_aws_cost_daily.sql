-- Daily AWS cost from the normalized line items: unblended (what the invoice shows), net unblended,
-- public on-demand, amortized and net amortized cost, and the Savings Plan / RI savings.
-- Partitioned by billing period; a run with `periods` rebuilds only those billing periods.
{% call rebuild('aws_cost_daily') %}
SELECT
    billing_period,
    usage_date,
    payer_account_id,
    usage_account_id,
    usage_account_name,
    product_code,
    region,
    line_item_type,
    currency,
    sum(unblended_cost)         AS unblended_cost,
    sum(net_unblended_cost)     AS net_unblended_cost,
    sum(public_on_demand_cost)  AS public_on_demand_cost,
    sum(usage_amount)           AS usage_amount,
    count()                     AS line_items,
    sum(amortized_cost)         AS amortized_cost,
    sum(net_amortized_cost)     AS net_amortized_cost,
    sum(savings_plan_savings)   AS savings_plan_savings,
    sum(reservation_savings)    AS reservation_savings,
    any(service_name)           AS service_name,
    any(payer_account_name)     AS payer_account_name
FROM finops.aws_cost_line_items
WHERE {{ in_periods('billing_period') }}
GROUP BY billing_period, usage_date, payer_account_id, usage_account_id, usage_account_name, product_code, region,
         line_item_type, currency
{% endcall %}

-- Daily AWS cost per configured tag key and value (tag_keys.aws, matched in CUR 2.0 `user_team` and legacy
-- `user:team` spelling; '' = line items without the tag).
-- Every line item appears once per configured key, so each key's rows add up to the full cost.
{% call rebuild('aws_cost_daily_by_tag') %}
SELECT
    billing_period,
    usage_date,
    usage_account_id,
    product_code,
    tag.1                       AS tag_key,
    {{ aws_tag_value('resource_tags', 'tag.2') }} AS tag_value,
    currency,
    sum(unblended_cost)         AS unblended_cost,
    sum(net_unblended_cost)     AS net_unblended_cost,
    sum(amortized_cost)         AS amortized_cost,
    sum(net_amortized_cost)     AS net_amortized_cost,
    count()                     AS line_items
FROM finops.aws_cost_line_items
ARRAY JOIN CAST([
{%- for name, key in config.tags.aws %}({{ lit(ident(name)) }}, {{ lit(key) }}){{ ", " if not loop.last }}{% endfor -%}
], 'Array(Tuple(String, String))') AS tag
WHERE {{ in_periods('billing_period') }}
GROUP BY billing_period, usage_date, usage_account_id, product_code, tag_key, tag_value, currency
{% endcall %}
