-- finops.tag_coverage_monthly: per provider, month, configured tag key and account / project, how much of the
-- billed cost carries the key (tagged_cost / total_cost). Every charge counts, also those that cannot carry a
-- tag (tax, support, commitment fees): the untagged part is what allocation must share out. Per billing currency:
-- amounts of two currencies are never added.
SELECT provider, month, tag_key, account_id, currency,
       sumIf(billed_cost, tag_value != '') AS tagged_cost,
       sumIf(billed_cost, tag_value = '') AS untagged_cost,
       sum(billed_cost) AS total_cost,
       if(total_cost = 0, NULL, round(toFloat64(tagged_cost) / toFloat64(total_cost) * 100, 2)) AS coverage_pct,
       sumIf(line_items, tag_value != '') AS tagged_line_items,
       sum(line_items) AS total_line_items
FROM {{ ref('int_cloud_cost_by_tag_key') }}
GROUP BY provider, month, tag_key, account_id, currency
