-- EKS pods' and ECS tasks' cost per day, from CUR 2.0 split cost allocation data (the split_* columns of
-- int_aws__cost_line_items; no rows without INCLUDE_SPLIT_COST_ALLOCATION_DATA). AWS: split cost allocation
-- "generates container-level costs by looking at each container's EC2 instance resource consumption, and
-- generates cost based on the amortized cost of the instance and the percentage of CPU and memory resources
-- consumed by the containers that ran on the instance". Per pod / task row:
--   split_cost   "the cost of vCPU or memory (based on lineItem/UsageType) allocated for the time period to the
--                Amazon ECS task or Kubernetes pod" (the max of reserved and actual usage, times the unit cost)
--   unused_cost  the instance's unused capacity cost, which AWS allocates to the pods / tasks in proportion to
--                their split usage: each pod's split + unused cost adds up to its instance's amortized cost
-- The pod rows themselves carry no unblended cost (the bill keeps the cost on the EC2 instance's line), so these
-- figures re-cut the instance cost and never add to the bill. Cluster, namespace and workload come from the
-- pods' AWS-generated cost allocation tags (aws:eks:cluster-name, aws:eks:namespace, aws:eks:workload-name or
-- else aws:eks:deployment; ECS aws:ecs:cluster-name, aws:ecs:service-name), matched in the CUR 2.0 and legacy
-- spellings (aws_tag_value); without the cluster tag, from the pod / task ARN (…:pod/<cluster>/<namespace>/…,
-- …:task/<cluster>/…). tag_values: the pod's / task's values of the configured tag keys (tag_keys.aws, in their order;
-- '' without), so Kubernetes labels imported as cost allocation tags and any other reporting tag cut the container
-- cost too (container_cost_monthly names them tag_<name>). Partitioned by billing period; a run with `periods`
-- rebuilds only those billing periods.
WITH
    splits AS
    (
        SELECT
            billing_period, usage_date, usage_account_id, split_parent_resource_id, currency, resource_id,
            split_cost, split_unused_cost, split_net_split_cost, split_net_unused_cost,
            multiIf({{ aws_tag_value('resource_tags', "'aws:eks:cluster-name'") }} != '' OR product_code = 'AmazonEKS'
                        OR startsWith(operation, 'EKSPod') OR position(resource_id, ':pod/') > 0, 'eks',
                    'ecs') AS platform,
            splitByChar('/', resource_id) AS arn_parts,
            if(platform = 'eks', {{ aws_tag_value('resource_tags', "'aws:eks:cluster-name'") }},
               {{ aws_tag_value('resource_tags', "'aws:ecs:cluster-name'") }}) AS cluster_tag,
            if(cluster_tag != '', cluster_tag, if(length(arn_parts) >= 2, arn_parts[2], '')) AS cluster_name,
            if(platform = 'eks',
               if({{ aws_tag_value('resource_tags', "'aws:eks:namespace'") }} != '',
                  {{ aws_tag_value('resource_tags', "'aws:eks:namespace'") }}, if(length(arn_parts) >= 3, arn_parts[3], '')),
               '') AS namespace,
            multiIf(platform = 'ecs', {{ aws_tag_value('resource_tags', "'aws:ecs:service-name'") }},
                    {{ aws_tag_value('resource_tags', "'aws:eks:workload-name'") }} != '',
                    {{ aws_tag_value('resource_tags', "'aws:eks:workload-name'") }},
                    {{ aws_tag_value('resource_tags', "'aws:eks:deployment'") }}) AS workload,
            [{% for name, key in config.tags.aws %}{{ aws_tag_value('resource_tags', lit(key)) }}{{ ', ' if not loop.last }}{% endfor %}]::Array(String)
                AS tag_values
        FROM {{ ref('int_aws__cost_line_items') }}
        WHERE {{ in_periods('billing_period') }}
          AND (split_parent_resource_id != '' OR split_cost != 0 OR split_unused_cost != 0)
    )
SELECT
    billing_period,
    usage_date,
    usage_account_id,
    platform,
    cluster_name,
    namespace,
    workload,
    tag_values,
    split_parent_resource_id     AS parent_resource_id,
    currency,
    sum(split_cost)              AS split_cost,
    sum(split_unused_cost)       AS unused_cost,
    sum(split_net_split_cost)    AS net_split_cost,
    sum(split_net_unused_cost)   AS net_unused_cost,
    uniqExact(resource_id)       AS pods,
    count()                      AS line_items
FROM splits
GROUP BY billing_period, usage_date, usage_account_id, platform, cluster_name, namespace, workload, tag_values,
         split_parent_resource_id, currency
