-- Google Cloud's FOCUS export rows that count: rows of completed loads, one copy per row_key (Google appends
-- corrections as new rows, CorrectionHandling Delta, and an incremental re-read may append a row again; the key
-- hashes its values and occurrence, include/sources/gcp_billing/focus.py). invoice_month as 'YYYY-MM' in
-- invoice_period.
SELECT
    *,
    concat(substring(ifNull(invoice_month, ''), 1, 4), '-', substring(ifNull(invoice_month, ''), 5, 2)) AS invoice_period
FROM {{ source('gcp_costs', 'focus_export') }}
WHERE {{ completed_loads('gcp_costs') }}
LIMIT 1 BY row_key
