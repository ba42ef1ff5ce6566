-- The Azure FOCUS export rows that count: for each billing period, the rows of its newest completed
-- load (one export run per load). A load that failed half way (not in _dlt_loads) or an older run not
-- yet pruned is ignored, so a re-exported month is never counted twice and never partially.
-- The newest load is taken with the period ledger (<table>_period_loads, macros.jinja newest_period_load): a newer
-- delivery with no rows at all empties its period.
SELECT *
FROM {{ source('azure_costs', 'focus_costs') }}
WHERE {{ newest_period_load('azure_costs', 'focus_costs') }}
