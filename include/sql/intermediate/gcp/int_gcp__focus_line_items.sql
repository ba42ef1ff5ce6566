-- Google Cloud's FOCUS export rows (stg_gcp__focus_export: completed loads, one per row_key), typed like
-- int_aws__focus_line_items: the FOCUS columns under their FOCUS names (money and quantities exact Decimal(38, 10)
-- through money(), periods DateTime UTC, text '' -> NULL where FOCUS allows null), Google's x_ columns kept as a map
-- (JSON text for the repeated and nested ones, as exported). Tags: the table's own when it has them, else as the
-- billing export's rows (gcp_tags): project labels overlaid with the Resource Manager tags (x_Tags {Key, Value,
-- x_Inherited, x_Namespace}: attached before inherited, short key, namespace ignored), overlaid with resource labels
-- (x_Tags and x_SystemLabels also stay in x_columns).
-- credits = the sum of x_Credits' amounts. Partitioned by invoice month; a run with `periods` rebuilds only those.
-- Whether these rows or the billing export's count for a billing account and month: int_cloud_cost_inputs.
{%- from 'focus_export_columns.jinja' import focus_export_columns %}
{%- set view = 'gcp_costs__focus_export' %}
{%- set raw_table = source('gcp_costs', 'focus_export') %}{# no export loaded yet: the model is skipped #}
{%- set x_columns = ['x_Credits', 'x_CostType', 'x_CurrencyConversionRate', 'x_ExportTime', 'x_Location', 'x_Project',
    'x_ServiceId', 'x_SystemLabels', 'x_Labels', 'x_ProjectLabels', 'x_Tags', 'x_SubscriptionInstanceId',
    'x_PriceEffectivePriceDefault', 'x_PriceListPriceConsumptionModel', 'x_CostAtEffectivePriceDefault',
    'x_CostAtListConsumptionModel', 'x_ConsumptionModelId', 'x_ConsumptionModelDescription'] %}
{#- dlt writes the FOCUS names snake_case (BilledCost -> billed_cost); raw(column) takes the FOCUS name. -#}
{%- macro snake(column) -%}
{%- for ch in column -%}{{ ('_' if ch.isupper() and not loop.first else '') ~ ch.lower() }}{%- endfor -%}
{%- endmacro %}
{%- macro pairs(column) -%}
CAST(arrayMap(p -> (JSONExtractString(p, 'Key'), JSONExtractString(p, 'Value')),
              JSONExtractArrayRaw(ifNull({{ column }}, '[]'))), 'Map(String, String)')
{%- endmacro %}
{%- macro raw(column, default='NULL') -%}
{%- set name = snake(column) | replace('__', '_') -%}
{%- if column == 'Tags' -%}
{#- the loader writes a `tags` column whether or not Google's table has Tags: NULL (or '') there means none -#}
{%- set labels = 'toJSONString(' ~ gcp_tags(pairs('r.`x_labels`'),
                                             gcp_resource_manager_tags('r.`x_tags`', 'Key', 'Value', 'x_Inherited'),
                                             pairs('r.`x_project_labels`')) ~ ')' -%}
{{ 'ifNull(nullIf(r.`tags`, \'\'), ' ~ labels ~ ')' if has_column(view, 'tags') else labels }}
{%- else -%}
{{ 'r.`' ~ name ~ '`' if has_column(view, name) else default }}
{%- endif -%}
{%- endmacro %}
SELECT
    r.invoice_period                                                AS invoice_month,
    ifNull(r.row_key, '')                                           AS line_item_key,
    ifNull(r.x_export_time, toDateTime64(0, 6, 'UTC'))              AS export_time,
    arraySum(arrayMap(c -> {{ gcp_credit_amount('c') }},
                      JSONExtractArrayRaw(ifNull(r.x_credits, '[]'))))  AS credits,
    {{ focus_export_columns(raw, x_columns, 'Google Cloud', 'Google Cloud') }}
FROM {{ ref('stg_gcp__focus_export') }} AS r
WHERE {{ in_periods('r.invoice_period') }}
