-- finops.untagged_cost_top: per provider, month, configured tag key and billing currency, the 10 largest billed
-- costs that do not carry the key, by account, service and resource: where tagging pays off first. Ranked within a
-- currency: JPY 15,000 is not larger than USD 100.
SELECT provider, month, tag_key, currency, cost_rank, account_id, service_name, resource_id, untagged_cost, line_items
FROM
(
    SELECT provider, month, tag_key, currency, account_id, service_name, resource_id,
           sum(billed_cost) AS untagged_cost, sum(line_items) AS line_items,
           row_number() OVER (PARTITION BY provider, month, tag_key, currency
                              ORDER BY untagged_cost DESC, account_id, service_name, resource_id) AS cost_rank
    FROM {{ ref('int_cloud_cost_by_tag_key') }}
    WHERE tag_value = ''
    GROUP BY provider, month, tag_key, currency, account_id, service_name, resource_id
    HAVING untagged_cost > 0
)
WHERE cost_rank <= 10
