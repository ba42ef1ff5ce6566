-- Daily AWS cost from the normalized line items: unblended (what the invoice shows), net unblended,
-- public on-demand, amortized and net amortized cost, and the Savings Plan / RI savings.
-- Partitioned by billing period; a run with `periods` rebuilds only those billing periods.
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
FROM {{ ref('int_aws__cost_line_items') }}
WHERE {{ in_periods('billing_period') }}
GROUP BY billing_period, usage_date, payer_account_id, usage_account_id, usage_account_name, product_code, region,
         line_item_type, currency
