-- The AWS Data Exports FOCUS 1.2 rows that count: for each billing period, the rows of its newest completed
-- load (one delivery per load, like CUR). A load that failed half way (not in _dlt_loads) or an older delivery not
-- yet pruned is ignored, so a re-delivered month is never counted twice and never partially.
-- The newest load is taken with the period ledger (<table>_period_loads, macros.jinja newest_period_load): a newer
-- delivery with no rows at all empties its period.
SELECT *
FROM {{ source('aws_costs', 'focus_export') }}
WHERE {{ newest_period_load('aws_costs', 'focus_export') }}
