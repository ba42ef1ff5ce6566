-- Cloud cost per provider and month, in the one vocabulary of every view (= FOCUS), from the
-- conformed daily cost (int_cloud_cost_daily):
--   billed_cost     what finance is invoiced: AWS net unblended cost (net of negotiated discounts; unblended
--                   where the export has no net columns) incl. tax, credits and refunds; GCP cost + credits
--   effective_cost  AWS net amortized cost (commitments spread over the usage they cover); GCP cost + credits
--   list_cost       AWS public on-demand cost; GCP cost at list
SELECT month, provider, currency, sum(billed_cost) AS billed_cost, sum(effective_cost) AS effective_cost,
       sum(list_cost) AS list_cost
FROM {{ ref('int_cloud_cost_daily') }}
GROUP BY month, provider, currency
