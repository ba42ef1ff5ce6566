-- The billing export rows that count: rows of completed loads, one copy per row_key (the raw table
-- may hold an exported row more than once; see README-contract.md). invoice_month as 'YYYY-MM'.
{%- set raw = 'gcp_costs__billing_export' %}
CREATE OR REPLACE VIEW finops.gcp_billing_rows AS
SELECT
    *,
    concat(substring(ifNull(invoice_month, ''), 1, 4), '-', substring(ifNull(invoice_month, ''), 5, 2)) AS invoice_period
FROM finops_raw.gcp_costs__billing_export
{%- if has_column('gcp_costs___dlt_loads', 'load_id') %}
WHERE _dlt_load_id IN (SELECT load_id FROM finops_raw.gcp_costs___dlt_loads WHERE status = 0)
{%- endif %}
LIMIT 1 BY row_key;
