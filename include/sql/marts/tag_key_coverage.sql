-- finops.tag_key_coverage: per provider, month and configured tag / label key (finops_sql_config
-- tag_keys), how many line items and how much billed cost carry it. A key that matches nothing in a
-- month (matched = 0: misspelled, not activated as a cost allocation tag, or renamed) is reported by the
-- reconciliation task as a warning, instead of its cost silently showing as untagged. Per billing currency
-- (amounts of two currencies are never added); matched is per currency, the warning per key and month.
SELECT provider, month, tag_key, currency,
       sumIf(line_items, tag_value != '') AS tagged_line_items, sum(line_items) AS total_line_items,
       sumIf(billed_cost, tag_value != '') AS tagged_billed_cost, sum(billed_cost) AS total_billed_cost,
       toUInt8(tagged_line_items > 0) AS matched
FROM {{ ref('int_cloud_cost_daily_by_tag') }}
GROUP BY provider, month, tag_key, currency
