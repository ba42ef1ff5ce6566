-- The CUR line items that count: for each billing period, the rows of its newest completed load.
-- A load that failed half way (not in _dlt_loads) or an older delivery not yet pruned is ignored,
-- so a re-delivered month is never counted twice and never partially.
-- The newest load is taken with the period ledger (<table>_period_loads, macros.jinja newest_period_load): a newer
-- delivery with no rows at all empties its period.
SELECT *
FROM {{ source('aws_costs', 'cur_line_items') }}
WHERE {{ newest_period_load('aws_costs', 'cur_line_items') }}
