-- finops.container_cost_monthly: EKS / ECS cost per month, cluster, namespace and workload from CUR 2.0 split cost
-- allocation data (int_aws__container_cost_daily): the instance cost allocated to the workload (split_cost), its
-- share of the cluster's unused capacity (unused_cost: AWS allocates an instance's unused cost to the pods / tasks
-- that ran on it in proportion to their split usage, so no share is computed here), their sum (total_cost), and
-- the cluster's whole unused capacity cost of the month (cluster_unused_cost) with its share of the cluster's cost.
-- Amortized figures: they re-cut the EC2 instances' amortized cost and add up to it per instance and month
-- (reconciliation check split_cost_vs_parent_instances); they are not added to the bill. tag_<name>: the workload's
-- value of each configured tag key (tag_keys.aws; Kubernetes labels imported as cost allocation tags among them), a
-- dimension of its own: a workload whose pods carry two values of a key has a row per value.
SELECT month, platform, cluster_name, namespace, workload,
{%- for name, key in config.tags.aws %} tag_values[{{ loop.index }}] AS tag_{{ ident(name) }},{% endfor %}
       currency, split_cost, unused_cost, total_cost, pods,
       sum(unused_cost) OVER (PARTITION BY month, platform, cluster_name, currency) AS cluster_unused_cost,
       sum(total_cost) OVER (PARTITION BY month, platform, cluster_name, currency) AS cluster_total_cost,
       if(cluster_total_cost = 0, NULL,
          round(toFloat64(cluster_unused_cost) / toFloat64(cluster_total_cost) * 100, 2)) AS cluster_unused_pct
FROM
(
    SELECT billing_period AS month, platform, cluster_name, namespace, workload, tag_values, currency,
           sum(split_cost) AS split_cost, sum(unused_cost) AS unused_cost, split_cost + unused_cost AS total_cost,
           sum(pods) AS pods
    FROM {{ ref('int_aws__container_cost_daily') }}
    GROUP BY month, platform, cluster_name, namespace, workload, tag_values, currency
)
