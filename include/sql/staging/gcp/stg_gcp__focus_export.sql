-- Google Cloud's FOCUS export rows that count: rows of completed loads, one copy per row_key (Google appends
-- corrections as new rows, CorrectionHandling Delta, and an incremental re-read may append a row again; the key
-- hashes its values and occurrence, include/sources/gcp_billing/focus.py). invoice_month as 'YYYY-MM' in
-- invoice_period.
SELECT
    *,
    concat(substring(ifNull(invoice_month, ''), 1, 4), '-', substring(ifNull(invoice_month, ''), 5, 2)) AS invoice_period
FROM {{ source('gcp_costs', 'focus_export') }}
WHERE {{ completed_loads('gcp_costs') }}
-- one per (month, key): the key hashes the row's values, its invoice month included, so this is one per key; with
-- the month in it a reader's month filter goes below the dedup (into the file read), and a build of one month reads
-- and dedups that month's rows only, not every month's
LIMIT 1 BY invoice_period, row_key
