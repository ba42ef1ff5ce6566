-- The AWS line items (int_aws__cost_line_items_tagged) summed per day and the dimensions of the AWS dashboard
-- (rill/metrics/aws_costs.yaml), the configured tag keys' values included (tag_values, in the configuration's order;
-- int_aws__cost_daily_tagged names them), so the dashboard reads a row per day and dimension values instead of
-- every line item: at the year benchmark's size (12M line items) its line-level queries took up to 1.5 s at p95 on
-- DuckDB. Its measures are sums, ratios of sums and a count of distinct accounts (a dimension here), so they are
-- the same on these rows; line_item_count counts the line items. Partitioned by billing period; a run with
-- `periods` rebuilds only those.
-- (Net) unblended cost as FOCUS BilledCost (aws_billed_cost, billed_cost of the line items): 0 on Savings Plan covered
-- usage and its SavingsPlanNegation, which has no tags or resource, so a tag cut of the dashboard does not show the
-- covered resources' on-demand price on their tags and the negation negative on '' (totals unchanged: they cancel).
-- Covered usage's on-demand price stays in public_on_demand_cost, the plan's cost on it in (net) amortized cost.
SELECT
    billing_period,
    usage_date,
    payer_account_id,
    usage_account_id,
    usage_account_name,
    product_code,
    service_name,
    region,
    availability_zone,
    usage_type,
    operation,
    line_item_type,
    pricing_term,
    commitment_type,
    currency,
    [{% for name, key in config.tags.aws %}{{ 'tag_' ~ ident(name) }}{{ ', ' if not loop.last }}{% endfor %}]::Array(String) AS tag_values,
    sum({{ aws_billed_cost('line_item_type', 'unblended_cost') }}) AS unblended_cost,
    sum(billed_cost) AS net_unblended_cost,
    sum(amortized_cost) AS amortized_cost,
    sum(net_amortized_cost) AS net_amortized_cost,
    sum(public_on_demand_cost) AS public_on_demand_cost,
    sum(savings_plan_savings) AS savings_plan_savings,
    sum(reservation_savings) AS reservation_savings,
    sum(usage_amount) AS usage_amount,
    count() AS line_item_count
FROM {{ ref('int_aws__cost_line_items_tagged') }}
WHERE {{ in_periods('billing_period') }}
GROUP BY billing_period, usage_date, payer_account_id, usage_account_id, usage_account_name, product_code, service_name, region, availability_zone, usage_type, operation, line_item_type, pricing_term, commitment_type, currency, tag_values
