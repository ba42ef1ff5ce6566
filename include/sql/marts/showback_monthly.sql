-- finops.showback_monthly: billed cost per month, cost center, provider and currency, after the allocation
-- rules of finops_sql_config (int_cloud_cost_allocated): direct cost by the first matching rule, plus a share of
-- every shared pool of the same provider, month and currency. A pool is split
--   proportional  by the cost centers' positive direct cost ('unallocated' takes no share)
--   fixed         by the configured percentages
-- Shares are exact (mul_div truncates at 10 decimals) and the truncation remainder goes to the largest share,
-- so the shares add up to the pool exactly; a pool with nothing to split across (no direct cost) stays
-- 'unallocated'. Per provider, month and currency, total_cost adds up to the bill (reconciliation check
-- showback_total).
{%- set proportional = config.allocation.proportional_pools %}
{%- set fixed = config.allocation.fixed_weights %}
WITH
    direct AS
    (
        SELECT provider, month, currency, cost_center, sum(billed_cost) AS direct_cost
        FROM {{ ref('int_cloud_cost_allocated') }}
        WHERE shared_pool = ''
        GROUP BY provider, month, currency, cost_center
    ),
    pools AS
    (
        SELECT provider, month, currency, shared_pool, sum(billed_cost) AS pool_cost
        FROM {{ ref('int_cloud_cost_allocated') }}
        WHERE shared_pool != ''
        GROUP BY provider, month, currency, shared_pool
    ),
    fixed_weights AS
    (
{%- if fixed %}
        SELECT shared_pool, cost_center, weight
        FROM values('shared_pool String, cost_center String, weight Decimal(38, 10)'
{%- for pool, center, weight in fixed %}, ({{ lit(pool) }}, {{ lit(center) }}, {{ lit(weight) }}){% endfor %})
{%- else %}
        SELECT '' AS shared_pool, '' AS cost_center, toDecimal128(0, 10) AS weight WHERE 0
{%- endif %}
    ),
    weights AS
    (
        SELECT p.provider AS provider, p.month AS month, p.currency AS currency, p.shared_pool AS shared_pool,
               d.cost_center AS cost_center, d.direct_cost AS weight
        FROM pools AS p
        INNER JOIN direct AS d ON d.provider = p.provider AND d.month = p.month AND d.currency = p.currency
        WHERE {% if proportional %}has({{ lit(proportional) }}, p.shared_pool){% else %}1 = 0{% endif %}
          AND d.cost_center != 'unallocated' AND d.direct_cost > 0
        UNION ALL
        SELECT p.provider, p.month, p.currency, p.shared_pool, w.cost_center, w.weight
        FROM pools AS p
        INNER JOIN fixed_weights AS w ON w.shared_pool = p.shared_pool
    ),
    shares AS
    (
        SELECT provider, month, currency, shared_pool, cost_center, pool_cost, weight, truncated_share,
               sum(truncated_share) OVER (PARTITION BY provider, month, currency, shared_pool) AS shared_out,
               row_number() OVER (PARTITION BY provider, month, currency, shared_pool
                                  ORDER BY weight DESC, cost_center) AS share_rank
        FROM
        (
            SELECT w.provider AS provider, w.month AS month, w.currency AS currency, w.shared_pool AS shared_pool,
                   w.cost_center AS cost_center, w.weight AS weight, p.pool_cost AS pool_cost,
                   sum(w.weight) OVER (PARTITION BY w.provider, w.month, w.currency, w.shared_pool) AS total_weight,
                   {{ mul_div('p.pool_cost', 'w.weight', 'total_weight', 'toDecimal128(0, 10)') }} AS truncated_share
            FROM weights AS w
            INNER JOIN pools AS p
                ON p.provider = w.provider AND p.month = w.month AND p.currency = w.currency
               AND p.shared_pool = w.shared_pool
        )
    )
SELECT month, cost_center, provider, currency, sum(direct_part) AS direct_cost, sum(shared_part) AS shared_cost,
       direct_cost + shared_cost AS total_cost, {{ lit(config.allocation.version) }} AS allocation_version
FROM
(
    SELECT provider, month, currency, cost_center, direct_cost AS direct_part, toDecimal128(0, 10) AS shared_part
    FROM direct
    UNION ALL
    -- the remainder of the truncated shares goes to the largest share: the pool is split exactly
    SELECT provider, month, currency, cost_center, toDecimal128(0, 10),
           toDecimal128(truncated_share + if(share_rank = 1, pool_cost - shared_out, toDecimal128(0, 10)), 10)
    FROM shares
    UNION ALL
    SELECT provider, month, currency, 'unallocated', toDecimal128(0, 10), pool_cost
    FROM pools
    WHERE (provider, month, currency, shared_pool) NOT IN (SELECT provider, month, currency, shared_pool FROM weights)
)
GROUP BY month, cost_center, provider, currency
