-- The AWS Data Exports FOCUS 1.2 rows that count: for each billing period, the rows of its newest completed
-- load (one delivery per load, like CUR). A load that failed half way (not in _dlt_loads) or an older delivery not
-- yet pruned is ignored, so a re-delivered month is never counted twice and never partially.
SELECT *
FROM {{ source('aws_costs', 'focus_export') }}
WHERE (billing_period, _dlt_load_id) IN
(
    SELECT billing_period, max(_dlt_load_id)
    FROM {{ source('aws_costs', 'focus_export') }}
    WHERE {{ completed_loads('aws_costs') }}
    GROUP BY billing_period
)
