-- One row per GCP billing export row (stg_gcp__billing_export: deduplicated on row_key, completed loads), normalized:
-- Decimal money, credits summed in total and by type, net cost = cost + credits, labels as maps, the Resource Manager
-- tags (`tags`) as a map of short key -> value (gcp_resource_manager_tags: attached before inherited, namespace ignored).
-- Committed use discounts (include/sql/gcp_cud_pools.jinja): is_commitment_fee marks a commitment's fee rows, in the
-- credit model a `Commitment ...` SKU, in Google's new spend-based model (is_cud_consumption_model: usage billed at
-- the CUD price) a fee row carrying a FEE_UTILIZATION_OFFSET credit, or a Default-model row without CUD credits of a
-- subscription that the same months' rows show to be a CUD (covered usage or an offset under its id: the detailed
-- export's subscription.instance_id). A fee row without an offset (the unused part) is told apart only that way: not in
-- the standard export, nor for a CUD nothing used in the months read.
-- Partitioned by invoice month ('YYYY-MM'); a run with `periods` rebuilds only those months.
{%- from 'gcp_cud_pools.jinja' import cud_credit_types, cud_consumption_model %}
{%- set raw = 'gcp_costs__billing_export' %}
{%- macro col(name, default="''") -%}{{ column_or(raw, name, default) }}{%- endmacro %}
{%- set has_subscription = has_column(raw, 'subscription_instance_id') %}
WITH
    export_rows AS
    (
        SELECT
            *,
            arrayMap(c -> (JSONExtractString(c, 'type'),
                           {{ money("JSONExtractFloat(c, 'amount')") }},
                           JSONExtractString(c, 'id')),
                     JSONExtractArrayRaw(ifNull(credits, '[]'))) AS credit_list_,
            arrayDistinct(arrayMap(x -> x.1, credit_list_)) AS credit_types_,
            {{ money('cost') }} AS cost_,
            {{ money('coalesce(' ~ col('cost_at_list', 'NULL') ~ ', cost)') }} AS cost_at_list_,
            arraySum(arrayMap(x -> x.2, credit_list_)) AS credits_,
            {{ tag_map('labels') }} AS labels_,
            {{ tag_map(col('project_labels', 'NULL')) }} AS project_labels_,
            {{ tag_map(col('system_labels', 'NULL')) }} AS system_labels_,
            ifNull({{ col('tags', 'NULL') }}, '[]') AS tags_,
            {{ gcp_resource_manager_tags('tags_') }} AS resource_manager_tags_,
            ifNull({{ col('consumption_model_id') }}, '') AS consumption_model_id_,
            ifNull({{ col('consumption_model_description') }}, '') AS consumption_model_description_,
            ifNull({{ col('subscription_instance_id') }}, '') AS subscription_instance_id_,
            {{ cud_consumption_model('consumption_model_id_', 'consumption_model_description_') }} AS is_cud_consumption_model_,
            {{ money('coalesce(' ~ col('cost_at_effective_price_default', 'NULL') ~ ', cost)') }} AS cost_at_default_price_
        FROM {{ ref('stg_gcp__billing_export') }}
        WHERE {{ in_periods('invoice_period') }}
    ){% if has_subscription %},
    -- the subscriptions the rows show to be CUDs of the new model: usage under a CUD consumption model, or an offset
    -- (a set of ids: read from the completed loads without the staging view's dedup, which it does not need)
    cud_subscriptions AS
    (
        SELECT DISTINCT subscription_instance_id
        FROM {{ source('gcp_costs', 'billing_export') }}
        WHERE {{ completed_loads('gcp_costs') }}
          AND {{ in_periods("concat(substring(ifNull(invoice_month, ''), 1, 4), '-', substring(ifNull(invoice_month, ''), 5, 2))") }}
          AND ifNull(subscription_instance_id, '') != ''
          AND ({{ cud_consumption_model("ifNull(" ~ col('consumption_model_id') ~ ", '')",
                                        "ifNull(" ~ col('consumption_model_description') ~ ", '')") }}
               OR position(ifNull(credits, ''), 'FEE_UTILIZATION_OFFSET') > 0)
    ){% endif %}
SELECT
    invoice_period                                              AS invoice_month,
    row_key,
    ifNull({{ col('export_type') }}, '')                        AS export_type,
    ifNull(export_time, toDateTime64(0, 6, 'UTC'))              AS export_time,
    ifNull(billing_account_id, '')                              AS billing_account_id,
    ifNull(project_id, '')                                      AS project_id,
    ifNull({{ col('project_number') }}, '')                     AS project_number,
    ifNull({{ col('project_name') }}, '')                       AS project_name,
    ifNull({{ col('service_id') }}, '')                         AS service_id,
    ifNull(service_description, '')                             AS service_description,
    ifNull({{ col('sku_id') }}, '')                             AS sku_id,
    ifNull({{ col('sku_description') }}, '')                    AS sku_description,
    ifNull(usage_start_time, toDateTime64(0, 6, 'UTC'))         AS usage_start,
    ifNull(usage_end_time, toDateTime64(0, 6, 'UTC'))           AS usage_end,
    toDate(usage_start, 'UTC')                                  AS usage_date,
    ifNull({{ col('location_location') }}, '')                  AS location,
    ifNull({{ col('location_country') }}, '')                   AS country,
    ifNull(location_region, '')                                 AS region,
    ifNull({{ col('location_zone') }}, '')                      AS zone,
    ifNull(cost_type, '')                                       AS cost_type,
    upper(ifNull(currency, 'USD'))                              AS currency,
    ifNull({{ col('currency_conversion_rate', 'NULL') }}, 1)    AS currency_conversion_rate,
    ifNull({{ col('usage_amount', 'NULL') }}, 0)                AS usage_amount,
    ifNull({{ col('usage_unit') }}, '')                         AS usage_unit,
    ifNull({{ col('usage_amount_in_pricing_units', 'NULL') }}, 0) AS usage_amount_in_pricing_units,
    ifNull({{ col('usage_pricing_unit') }}, '')                 AS usage_pricing_unit,
    {%- if has_column(raw, 'price_effective_price') %}
    CAST(price_effective_price AS Nullable(Decimal(38, 10)))    AS price_effective_price,
    {%- else %}
    CAST(NULL AS Nullable(Decimal(38, 10)))                     AS price_effective_price,
    {%- endif %}
    ifNull({{ col('price_unit') }}, '')                         AS price_unit,
    cost_                                                       AS cost,
    cost_at_list_                                               AS cost_at_list,
    credits_                                                    AS credits,
    cost_ + credits_                                            AS net_cost,
    CAST((credit_types_,
          arrayMap(t -> arraySum(arrayMap(x -> x.2, arrayFilter(x -> x.1 = t, credit_list_))), credit_types_)),
         'Map(String, Decimal(38, 10))')                        AS credits_by_type,
    tupleElement(arrayFirst(x -> startsWith(x.1, 'COMMITTED_USAGE_DISCOUNT'), credit_list_), 3) AS committed_use_credit_id,
    consumption_model_id_                                       AS consumption_model_id,
    consumption_model_description_                              AS consumption_model_description,
    subscription_instance_id_                                   AS subscription_instance_id,
    cost_at_default_price_                                      AS cost_at_default_price,
    is_cud_consumption_model_                                   AS is_cud_consumption_model,
    (has(credit_types_, 'FEE_UTILIZATION_OFFSET')
     {%- if has_subscription %}
     OR (subscription_instance_id_ != '' AND NOT is_cud_consumption_model_
         AND NOT arrayExists(t -> t IN {{ cud_credit_types }}, credit_types_)
         AND subscription_instance_id_ IN (SELECT subscription_instance_id FROM cud_subscriptions))
     {%- endif %})                                              AS is_consumption_model_cud_fee,
    startsWith(sku_description, 'Commitment') OR is_consumption_model_cud_fee AS is_commitment_fee,
    ifNull({{ col('adjustment_info_type') }}, '')               AS adjustment_type,
    ifNull({{ col('adjustment_info_description') }}, '')        AS adjustment_description,
    ifNull({{ col('transaction_type') }}, '')                   AS transaction_type,
    ifNull({{ col('seller_name') }}, '')                        AS seller_name,
    ifNull({{ col('invoice_publisher_type') }}, '')             AS publisher_type,
    labels_                                                     AS labels,
    project_labels_                                             AS project_labels,
    system_labels_                                              AS system_labels,
    tags_                                                       AS tags_json,
    resource_manager_tags_                                      AS resource_manager_tags,
    ifNull({{ col('resource_name') }}, '')                      AS resource_name,
    ifNull({{ col('resource_global_name') }}, '')               AS resource_global_name,
    _dlt_load_id                                                AS load_id
FROM export_rows
