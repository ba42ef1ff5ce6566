-- AWS Data Exports "FOCUS 1.2 with AWS columns" rows, typed like int_azure__cost_line_items: the FOCUS columns under
-- their FOCUS names (money and quantities exact Decimal(38, 10) through money(), periods DateTime UTC, text '' -> NULL
-- where FOCUS allows null), AWS's x_ columns (x_Discounts, x_Operation, x_ServiceCode, x_UsageType) kept as a map. Partitioned by
-- billing period; a run with `periods` rebuilds only those months. A FOCUS row has no line item id: line_item_key
-- hashes the row's file and row number in the load, so identical rows stay two charges.
-- Whether these rows or the CUR's count for an account and month: int_cloud_cost_inputs.
{%- from 'focus_export_columns.jinja' import focus_export_columns %}
{%- set view = 'aws_costs__focus_export' %}
{%- set raw_table = source('aws_costs', 'focus_export') %}{# no export loaded yet: the model is skipped #}
{%- set x_columns = ['x_Discounts', 'x_Operation', 'x_ServiceCode', 'x_UsageType'] %}
{#- Raw columns are read qualified (r.`BilledCost`): the typed columns keep the FOCUS names, and an alias
    that changes the type of a column of the same name resolves differently on ClickHouse 24.x. -#}
{#- dlt loads the export under its default (snake_case) naming: BilledCost -> billed_cost, x_ServiceCode ->
    x_service_code; raw(column) takes the FOCUS name. -#}
{%- macro snake(column) -%}
{%- for ch in column -%}{{ ('_' if ch.isupper() and not loop.first else '') ~ ch.lower() }}{%- endfor -%}
{%- endmacro %}
{%- macro raw(column, default='NULL') -%}
{%- set name = snake(column) | replace('__', '_') -%}
{{ 'r.`' ~ name ~ '`' if has_column(view, name) else default }}
{%- endmacro %}
SELECT
    ifNull(r.billing_period, '')                                    AS billing_period,
    ifNull(r.source_file, '')                                       AS source_file,
    hex(sipHash128(r.billing_period, r.source_file, r.source_row))  AS line_item_key,
    {{ load_time('r._dlt_load_id') }}                    AS delivered_at,  {#- the delivery's load: the files carry no time #}
    {{ focus_export_columns(raw, x_columns, 'AWS', 'AWS') }}
FROM {{ ref('stg_aws__focus_export') }} AS r
WHERE {{ in_periods('r.billing_period') }}
