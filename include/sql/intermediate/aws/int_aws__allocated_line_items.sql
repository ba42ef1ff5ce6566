-- FOCUS split cost allocation (1.3+) of the CUR's EKS / ECS split cost allocation data: each EC2 instance line that
-- the pods / tasks of its hour split (the origin charge) re-cut into one allocated charge per pod / task and one for
-- the instance's unused capacity, in proportion to their split cost and the hour's unused cost (AWS computes both
-- from the instance's amortized cost, so they add up to it). finops.focus shows these rows instead of the origin line
-- and of the pods' own records (which carry no cost: "split cost allocation data introduces new usage records"), so
-- the pods' cost is in FOCUS's cost columns and the bill is unchanged.
-- FOCUS "Data Generator-Calculated Split Cost Allocation Handling": dimensions and unit prices are the origin's; every
-- summable column (costs, savings, usage) is split exactly: each share truncated to 1e-10, the remainder to the
-- largest share, so the allocated charges add up to the origin to the last digit. Allocation columns:
--   allocated_method_id        'aws-eks-split-cost-allocation' / 'aws-ecs-split-cost-allocation' (include/sql/README.md)
--   allocated_resource_id      the pod / task ARN; '' on the unused-capacity charge (the unallocated portion)
--   allocated_resource_name    the pod name (…:pod/<cluster>/<namespace>/<pod>/<uid>) or task id from the ARN, else the id
--   allocated_tags             the pod's / task's tags that the instance's line does not carry (FOCUS AllocatedTags)
--   allocated_method_details   {"Elements": [{"AllocatedRatio", "UsageUnit", "UsageQuantity"}, ...]}: one element per
--                              split record (vCPU and memory); the ratios of an origin's charges add up to exactly 1
--   origin_line_item_id        the origin line's line_item_id (line_item_id is '<origin id>/<pod ARN or unallocated>')
-- An hour whose pods' split and unused cost add up to 0, or whose instance has no line, is not split (the instance
-- line and the pod records stay as they are). Columns: int_aws__cost_line_items's, in its order, then the above.
-- Partitioned by billing period; a run with `periods` rebuilds only those billing periods.
{%- set money_columns = ['unblended_cost', 'net_unblended_cost', 'public_on_demand_cost', 'amortized_cost',
                         'net_amortized_cost', 'savings_plan_savings', 'reservation_savings'] %}
{%- set zero = 'toDecimal128(0, 10)' %}
WITH
    records AS
    (
        -- one split record: a pod's / task's vCPU or memory of one parent instance and hour
        SELECT billing_period, split_parent_resource_id AS parent_resource_id, usage_start, resource_id AS pod_resource_id,
               if(product_code = 'AmazonEKS' OR startsWith(operation, 'EKSPod') OR position(resource_id, ':pod/') > 0,
                  'eks', 'ecs') AS platform,
               resource_tags, split_cost, split_unused_cost, split_usage,
               coalesce(nullIf(extract(usage_type, '(?:vCPU|GB)-Hours$'), ''), usage_type) AS usage_unit
        FROM {{ ref('int_aws__cost_line_items') }}
        WHERE {{ in_periods('billing_period') }}
          AND split_parent_resource_id != ''
    ),
    hours AS
    (
        SELECT billing_period, parent_resource_id, usage_start, sum(split_cost) + sum(split_unused_cost) AS total_weight
        FROM records
        GROUP BY billing_period, parent_resource_id, usage_start
        HAVING total_weight != 0
    ),
    charges AS
    (
        -- the allocated charges of an hour: one per pod / task (a pod of no split cost too: a share of 0), and the
        -- unused capacity (columns named apart from the line items', which the join keeps by their own names)
        SELECT r.billing_period AS charge_period, r.parent_resource_id AS charge_parent, r.usage_start AS charge_start,
               r.pod_resource_id AS pod_resource_id, any(r.platform) AS platform, any(r.resource_tags) AS pod_tags,
               sum(r.split_cost) AS weight, any(h.total_weight) AS total_weight,
               arraySort(e -> e.1, groupArray((r.usage_unit, r.split_cost, r.split_usage))) AS elements
        FROM records AS r
        INNER JOIN hours AS h USING (billing_period, parent_resource_id, usage_start)
        GROUP BY charge_period, charge_parent, charge_start, pod_resource_id
        UNION ALL
        SELECT r.billing_period, r.parent_resource_id, r.usage_start, '', any(r.platform),
               CAST(map(), 'Map(String, String)'), sum(r.split_unused_cost) AS unused, any(h.total_weight),
               [('unused capacity', unused, toFloat64(0))]
        FROM records AS r
        INNER JOIN hours AS h USING (billing_period, parent_resource_id, usage_start)
        GROUP BY r.billing_period, r.parent_resource_id, r.usage_start
        HAVING unused != 0
    ),
    shares AS
    (
        SELECT o.*, c.pod_resource_id AS pod_resource_id, c.platform AS platform, c.pod_tags AS pod_tags,
               c.weight AS weight, c.elements AS elements, c.total_weight AS total_weight,
               row_number() OVER origin AS share_rank,
               {%- for column in money_columns %}
               {{ mul_div('o.' ~ column, 'c.weight', 'c.total_weight', zero) }} AS truncated_{{ column }},
               {%- endfor %}
               {{ mul_div('toDecimal128(toString(o.usage_amount), 10)', 'c.weight', 'c.total_weight', zero) }} AS truncated_usage_amount,
               {#- the ratio of each element (split record), truncated; the rest of 1 goes to the largest charge's first -#}
               arrayMap(e -> {{ mul_div('e.2', 'toDecimal128(1, 10)', 'c.total_weight', zero) }}, c.elements) AS truncated_ratios
        FROM
        (
            SELECT *
            FROM {{ ref('int_aws__cost_line_items') }}
            WHERE {{ in_periods('billing_period') }}
              AND product_code = 'AmazonEC2' AND split_parent_resource_id = ''
              AND line_item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')
              AND match(usage_type, '(BoxUsage|SpotUsage|DedicatedUsage|HostUsage)')
              -- before the join as well: a filter the engine can apply while reading (PREWHERE), so only the split
              -- instances' lines have all their columns read
              AND (billing_period, resource_id, usage_start) IN (SELECT billing_period, parent_resource_id, usage_start FROM hours)
        ) AS o
        INNER JOIN charges AS c
            ON c.charge_period = o.billing_period AND c.charge_parent = o.resource_id AND c.charge_start = o.usage_start
        WINDOW origin AS (PARTITION BY o.billing_period, o.line_item_id, o.time_interval
                          ORDER BY c.weight DESC, c.pod_resource_id)
    ),
    totals AS
    (
        SELECT *,
               {%- for column in money_columns %}
               sum(truncated_{{ column }}) OVER origin AS shared_{{ column }},
               {%- endfor %}
               sum(truncated_usage_amount) OVER origin AS shared_usage_amount,
               sum(arraySum(truncated_ratios)) OVER origin AS shared_ratio,
               line_item_id AS origin_id
        FROM shares
        WINDOW origin AS (PARTITION BY billing_period, line_item_id, time_interval)
    )
SELECT
    * EXCEPT (pod_resource_id, platform, pod_tags, weight, elements, total_weight, share_rank, truncated_ratios, shared_ratio,
              origin_id, truncated_usage_amount, shared_usage_amount
              {%- for column in money_columns %}, truncated_{{ column }}, shared_{{ column }}{% endfor %})
    REPLACE (
        concat(origin_id, '/', if(pod_resource_id = '', 'unallocated', pod_resource_id)) AS line_item_id,
        toFloat64(truncated_usage_amount + if(share_rank = 1, toDecimal128(toString(usage_amount), 10) - shared_usage_amount, {{ zero }}))
            AS usage_amount
        {%- for column in money_columns %},
        toDecimal128(truncated_{{ column }} + if(share_rank = 1, {{ column }} - shared_{{ column }}, {{ zero }}), 10) AS {{ column }}
        {%- endfor %}
    ),
    origin_id                                                           AS origin_line_item_id,
    concat('aws-', platform, '-split-cost-allocation')                 AS allocated_method_id,
    pod_resource_id                                                     AS allocated_resource_id,
    {#- FOCUS: the name MUST NOT be null when the id is not; an id of another shape names itself -#}
    if(pod_resource_id = '', '',
       coalesce(nullIf(if(position(pod_resource_id, ':pod/') > 0, splitByChar('/', pod_resource_id)[4],
                          splitByChar('/', pod_resource_id)[-1]), ''), pod_resource_id)) AS allocated_resource_name,
    mapFilter((k, v) -> NOT (mapContains(resource_tags, k) AND resource_tags[k] = v), pod_tags) AS allocated_tags,
    concat('{"Elements":[', arrayStringConcat(arrayMap((e, ratio, i) -> concat(
        '{"AllocatedRatio":', toString(toDecimal128(ratio + if(share_rank = 1 AND i = 1, toDecimal128(1, 10) - shared_ratio, {{ zero }}), 10)),
        if(pod_resource_id = '', '', concat(',"UsageUnit":', toJSONString(e.1), ',"UsageQuantity":', toString(e.3))), '}'),
        elements, truncated_ratios, arrayEnumerate(elements)), ','), ']}') AS allocated_method_details
FROM totals
