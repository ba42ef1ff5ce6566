-- The clouds' billed cost (AWS net unblended, GCP cost + credits, Azure FOCUS BilledCost) per month, account, service, charge
-- type and currency (AWS CUR lines through aws_billed_cost: Savings Plan covered usage and its negation bill 0, as in
-- the focus mart and AWS's FOCUS export; the negation names no resource and has no tags, so the covered resources
-- would otherwise be charged their on-demand price and 'unallocated' the negative negation), classified by the allocation rules of finops_sql_config (include/transform/allocation.py),
-- evaluated on every line item with its configured tags (the tag_<name> values of int_*__cost_line_items_tagged,
-- computed here because those are views of the provider targets and the marts target reads tables only; Azure's
-- from its FOCUS Tags with config.tags.azure, the keys int_cloud_cost_daily_by_tag uses):
--   shared_pool  the first shared pool whose matcher the line matches ('' for direct cost)
--   cost_center  direct cost: the cost center of the first matching rule, else 'unallocated' ('' on shared rows)
--   budgets      the budgets of the month whose scope (other than cost center) the line matches
-- The billed cost of an EC2 instance that EKS pods / ECS tasks ran on (CUR 2.0 split cost allocation data) is re-cut
-- into one part per cluster, namespace and workload, in proportion to their split + unused cost on it
-- (int_aws__container_cost_daily), so rules can match on cluster, namespace and workload; every other line has ''.
--   customer_id  the Stripe customer the line's customers.tag value names (through customers.mapping, else the
--                value itself); '' when the line has no value or the provider has no such tag column
-- AWS and GCP are read from the input that counts for each billing account and month (int_cloud_cost_inputs): the
-- CUR / billing export line items, or the native FOCUS export's rows (int_*__focus_line_items: ChargeCategory as the
-- charge type too, BilledCost, SubAccountId, the Tags with the configured keys; AWS's service as the CUR product code,
-- x_ServiceCode, as int_cloud_cost_daily names it; GCP's charge type x_CostType). Split cost allocation exists only
-- in the CUR: rows of a month counted from the AWS FOCUS export have '' as cluster, namespace and workload.
-- Every read is filtered to the months being rebuilt (in_periods): a month's rows depend only on its own line items.
{%- from 'cost_inputs.jinja' import counted_input %}
{% macro classify(provider) -%}
    {%- set customer_tag = config.customers.tag -%}
    {%- set mapping = config.customers.mapping %}
    {% if customer_tag and customer_tag in (config.tags[provider] | map('first') | list) -%}
    {%- if mapping %}transform(tag_{{ ident(customer_tag) }}, {{ lit(mapping | map('first') | list) }}, {{ lit(mapping | map('last') | list) }}, tag_{{ ident(customer_tag) }}){% else %}tag_{{ ident(customer_tag) }}{% endif %}
    {%- else %}''{% endif %} AS customer_id,
    {%- set shared = config.allocation.shared -%}
    {%- set rules = config.allocation.rules -%}
    {%- set scoped = config.budgets | rejectattr('cost_centers') | list %}
    {% if shared %}multiIf({% for pool in shared %}{{ cost_match(pool.match, provider) }}, {{ lit(pool.name) }}, {% endfor %}''){% else %}''{% endif %} AS shared_pool,
    if(shared_pool != '', '', {% if rules %}multiIf({% for rule in rules %}{{ cost_match(rule.match, provider) }}, {{ lit(rule.cost_center) }}, {% endfor %}'unallocated'){% else %}'unallocated'{% endif %}) AS cost_center,
    {% if scoped %}arrayFilter(b -> b != '', [{% for budget in scoped %}if(month = {{ lit(budget.month) }} AND {{ cost_match(budget.scope, provider) }}, {{ lit(budget.name) }}, ''){{ ', ' if not loop.last }}{% endfor %}]){% else %}CAST([], 'Array(String)'){% endif %} AS budgets
{%- endmacro %}
SELECT provider, month, account_id, service_name, charge_category, charge_type, currency, shared_pool, cost_center,
       budgets, customer_id, sum(billed_cost) AS billed_cost, count() AS line_items,
       {{ lit(config.allocation.version) }} AS allocation_version
FROM
(
    SELECT *, {{ classify('aws') }}
    FROM
    (
        WITH
            weights AS
            (
                -- each workload's split + unused cost on the instance: AWS's own re-cut of the instance's cost
                SELECT billing_period AS month, parent_resource_id AS resource_id, cluster_name, namespace, workload,
                       sum(split_cost + unused_cost) AS weight
                FROM {{ ref('int_aws__container_cost_daily') }}
                WHERE parent_resource_id != '' AND {{ in_periods('billing_period') }}
                GROUP BY month, resource_id, cluster_name, namespace, workload
                HAVING weight > 0
            ),
            lines AS
            (
                SELECT 'aws' AS provider, billing_period AS month, usage_account_id AS account_id, product_code AS service_name,
                       {{ aws_charge_category('line_item_type') }} AS charge_category, line_item_type AS charge_type,
                       upper(currency) AS currency, {{ aws_billed_cost('line_item_type') }} AS billed_cost, resource_id,
                       -- an instance-hour line of an EC2 instance EKS pods / ECS tasks ran on (split cost allocation)
                       product_code = 'AmazonEC2' AND split_parent_resource_id = ''
                           AND match(usage_type, '(BoxUsage|SpotUsage|DedicatedUsage|HostUsage)')
                           AND (billing_period, resource_id) IN (SELECT month, resource_id FROM weights) AS split_parent
                       {%- for name, key in config.tags.aws %},
                       {{ aws_tag_value('resource_tags', lit(key)) }} AS tag_{{ ident(name) }}
                       {%- endfor %}
                FROM {{ ref('int_aws__cost_line_items') }}
                WHERE {{ in_periods('billing_period') }}
                  AND {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'cur', 'payer_account_id', 'billing_period') }}
            ),
            pieces AS
            (
                SELECT *, sum(truncated_share) OVER (PARTITION BY group_key) AS shared_out,
                       row_number() OVER (PARTITION BY group_key ORDER BY weight DESC, cluster_name, namespace, workload) AS share_rank
                FROM
                (
                    SELECT l.*, w.cluster_name AS cluster_name, w.namespace AS namespace, w.workload AS workload,
                           w.weight AS weight,
                           sum(w.weight) OVER (PARTITION BY l.group_key) AS total_weight,
                           {{ mul_div('l.cost', 'w.weight', 'total_weight', 'toDecimal128(0, 10)') }} AS truncated_share
                    FROM
                    (
                        SELECT provider, month, account_id, service_name, charge_category, charge_type, currency, resource_id,
                               {%- for name, key in config.tags.aws %} tag_{{ ident(name) }},{% endfor %}
                               sum(billed_cost) AS cost,
                               toString(tuple(month, resource_id, account_id, service_name, charge_category, charge_type, currency
                                   {%- for name, key in config.tags.aws %}, tag_{{ ident(name) }}{% endfor %})) AS group_key
                        FROM lines
                        WHERE split_parent
                        GROUP BY provider, month, account_id, service_name, charge_category, charge_type, currency, resource_id
                                 {%- for name, key in config.tags.aws %}, tag_{{ ident(name) }}{% endfor %}
                    ) AS l
                    INNER JOIN weights AS w ON w.month = l.month AND w.resource_id = l.resource_id
                )
            )
        SELECT provider, month, account_id, service_name, charge_category, charge_type, currency, billed_cost,
               '' AS cluster_name, '' AS namespace, '' AS workload
               {%- for name, key in config.tags.aws %}, tag_{{ ident(name) }}{% endfor %}
        FROM lines
        WHERE NOT split_parent
        UNION ALL
        -- a split parent instance's billed cost re-cut by its workloads' split + unused cost, exactly: the
        -- truncation remainder goes to the largest share
        SELECT provider, month, account_id, service_name, charge_category, charge_type, currency,
               toDecimal128(truncated_share + if(share_rank = 1, cost - shared_out, toDecimal128(0, 10)), 10),
               cluster_name, namespace, workload
               {%- for name, key in config.tags.aws %}, tag_{{ ident(name) }}{% endfor %}
        FROM pieces
        UNION ALL
        -- a month counted from the FOCUS export: FOCUS has no finer charge type than ChargeCategory
        SELECT 'aws', billing_period, ifNull(SubAccountId, ''),
               if(x_columns['x_ServiceCode'] != '', x_columns['x_ServiceCode'], ServiceName), ChargeCategory,
               CAST(ChargeCategory AS LowCardinality(String)), CAST(BillingCurrency AS LowCardinality(String)),
               BilledCost, '', '', ''
               {%- for name, key in config.tags.aws %},
               {{ aws_tag_value('tags', lit(key)) }}
               {%- endfor %}
        FROM {{ ref('int_aws__focus_line_items') }}
        WHERE {{ in_periods('billing_period') }}
          AND {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'focus_export', 'BillingAccountId', 'billing_period') }}
    )
)
GROUP BY provider, month, account_id, service_name, charge_category, charge_type, currency, shared_pool, cost_center, budgets,
         customer_id
UNION ALL
SELECT provider, month, account_id, service_name, charge_category, charge_type, currency, shared_pool, cost_center,
       budgets, customer_id, sum(billed_cost), count(), {{ lit(config.allocation.version) }}
FROM
(
    SELECT *, {{ classify('gcp') }}
    FROM
    (
        SELECT 'gcp' AS provider, invoice_month AS month, project_id AS account_id, service_description AS service_name,
               {{ gcp_charge_category('cost_type', 'is_commitment_fee') }} AS charge_category, cost_type AS charge_type,
               upper(currency) AS currency, net_cost AS billed_cost, '' AS cluster_name, '' AS namespace, '' AS workload
               {%- for name, key in config.tags.gcp %},
               {{ gcp_tag_value(lit(key)) }} AS tag_{{ ident(name) }}
               {%- endfor %}
        FROM {{ ref('int_gcp__cost_line_items') }}
        WHERE {{ in_periods('invoice_month') }}
          AND {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'billing_export', 'billing_account_id', 'invoice_month') }}
        UNION ALL
        SELECT 'gcp', invoice_month, ifNull(SubAccountId, ''), ServiceName, ChargeCategory,
               CAST(ifNull(x_columns['x_CostType'], '') AS LowCardinality(String)),
               CAST(BillingCurrency AS LowCardinality(String)), BilledCost, '', '', ''
               {%- for name, key in config.tags.gcp %},
               tags[{{ lit(key) }}]
               {%- endfor %}
        FROM {{ ref('int_gcp__focus_line_items') }}
        WHERE {{ in_periods('invoice_month') }}
          AND {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'focus_export', 'BillingAccountId', 'invoice_month') }}
    )
)
GROUP BY provider, month, account_id, service_name, charge_category, charge_type, currency, shared_pool, cost_center, budgets,
         customer_id
UNION ALL
SELECT provider, month, account_id, service_name, charge_category, charge_type, currency, shared_pool, cost_center,
       budgets, customer_id, sum(billed_cost), count(), {{ lit(config.allocation.version) }}
FROM
(
    SELECT *, {{ classify('azure') }}
    FROM
    (
        -- FOCUS has no finer charge type than ChargeCategory: it is the charge type too
        SELECT 'azure' AS provider, billing_period AS month, ifNull(SubAccountId, '') AS account_id, ServiceName AS service_name,
               ChargeCategory AS charge_category, CAST(ChargeCategory AS LowCardinality(String)) AS charge_type,
               CAST(BillingCurrency AS LowCardinality(String)) AS currency,
               BilledCost AS billed_cost, '' AS cluster_name, '' AS namespace, '' AS workload
               {%- for name, key in config.tags.azure %},
               tags[{{ lit(key) }}] AS tag_{{ ident(name) }}
               {%- endfor %}
        FROM {{ ref('int_azure__cost_line_items') }}
        WHERE {{ in_periods('billing_period') }}
    )
)
GROUP BY provider, month, account_id, service_name, charge_category, charge_type, currency, shared_pool, cost_center, budgets,
         customer_id
