-- The Azure FOCUS export rows that count: for each billing period, the rows of its newest completed
-- load (one export run per load). A load that failed half way (not in _dlt_loads) or an older run not
-- yet pruned is ignored, so a re-exported month is never counted twice and never partially.
SELECT *
FROM {{ source('azure_costs', 'focus_costs') }}
WHERE (billing_period, _dlt_load_id) IN
(
    SELECT billing_period, max(_dlt_load_id)
    FROM {{ source('azure_costs', 'focus_costs') }}
    WHERE {{ completed_loads('azure_costs') }}
    GROUP BY billing_period
)
