-- One row per GCP committed use discount of the newest snapshot of Google's CUD metadata export
-- (stg_gcp__cud_subscriptions; cloud.google.com/billing/docs/how-to/export-data-bigquery-tables/cud-export):
-- spend-based CUDs with their term, start, end, amount and state. An empty newest snapshot gives no rows.
-- * last_updated: when the commitment's values (every exported field) were first read as they are now: the
--   oldest snapshot of the newest run of snapshots with these values. It moves only when a value changes, so
--   a daily snapshot that changed nothing leaves this table as it was (and the marts are not rebuilt for it).
-- * billing_currency: the billing account's currency in the cost exports (its newest invoice month; the billing
--   export's daily rollup or the FOCUS table's rows); the amount's own currency when the account has no cost rows.
-- * hourly_amount: a spend-based CUD commits to an hourly spend; the amount counts as one when its unit is a
--   currency code alone or per hour ('USD', 'USD/hour', 'USD per hour'), in that currency (amount_currency).
--   Any other unit: NULL (the contract's cost is not derived from a unit not understood).
{%- set raw_table = source('gcp_costs', 'cud_subscriptions') %}{# no CUD export loaded: the model is skipped #}
{%- set hourly = "'^\\\\s*([A-Za-z]{3})\\\\s*(?:(?:/|per)\\\\s*(?:hour|hr|h))?\\\\s*$'" %}
WITH
    snapshots AS
    (
        SELECT
            *,
            -- a tuple: a NULL field (a global CUD has no region) would make the hash of the fields NULL
            cityHash64(tuple(billing_account_id, cud_product_id, cud_product_display_name, cud_product_type,
                             consumption_model_id, consumption_model_description, subscription_entitlement_scope,
                             subscription_display_name, region, commitment_amount_unit, commitment_amount_value,
                             term, start_time, end_time, state)) AS values_hash
        FROM {{ ref('stg_gcp__cud_subscriptions') }}
    ),
    newest AS
    (
        SELECT *, nullIf(upper(extract(ifNull(commitment_amount_unit, ''), {{ hourly }})), '') AS amount_currency_
        FROM snapshots
        WHERE _dlt_load_id = (SELECT max(_dlt_load_id) FROM snapshots)
          AND subscription_instance_id IS NOT NULL
    ),
    -- per commitment: the newest snapshot whose values differ from the newest ones
    changed AS
    (
        SELECT s.subscription_instance_id AS id, max(s._dlt_load_id) AS load_id
        FROM snapshots AS s
        INNER JOIN newest AS n ON n.subscription_instance_id = s.subscription_instance_id
        WHERE s.values_hash != n.values_hash
        GROUP BY s.subscription_instance_id
    ),
    first_seen AS
    (
        SELECT s.subscription_instance_id AS id, min(s.snapshot_loaded_at) AS loaded_at
        FROM snapshots AS s
        INNER JOIN newest AS n ON n.subscription_instance_id = s.subscription_instance_id
        LEFT JOIN changed AS c ON c.id = s.subscription_instance_id
        WHERE s.values_hash = n.values_hash AND s._dlt_load_id > ifNull(c.load_id, '')
        GROUP BY s.subscription_instance_id
    ),
    account_currency AS
    (
        SELECT billing_account_id, argMax(row_currency, month) AS currency
        FROM
        (
            SELECT billing_account_id, currency AS row_currency, invoice_month AS month
            FROM {{ ref('int_gcp__cost_daily') }}
            UNION ALL
            SELECT toString(BillingAccountId), toString(BillingCurrency), invoice_month
            FROM {{ ref('int_gcp__focus_line_items') }}
        )
        WHERE row_currency != ''
        GROUP BY billing_account_id
    )
SELECT
    assumeNotNull(n.subscription_instance_id)                             AS commitment_id,
    ifNull(n.billing_account_id, '')                                      AS billing_account_id,
    ifNull(n.subscription_display_name, '')                               AS display_name,
    ifNull(n.subscription_entitlement_scope, '')                          AS entitlement_scope,
    ifNull(n.cud_product_id, '')                                          AS cud_product_id,
    ifNull(n.cud_product_display_name, '')                                AS cud_product_name,
    ifNull(n.cud_product_type, '')                                        AS cud_product_type,
    ifNull(n.consumption_model_id, '')                                    AS consumption_model_id,
    ifNull(n.consumption_model_description, '')                           AS consumption_model_description,
    ifNull(n.region, '')                                                  AS region,
    ifNull(n.commitment_amount_unit, '')                                  AS amount_unit,
    CAST(n.commitment_amount_value AS Nullable(Decimal(38, 9)))           AS amount,
    CAST(n.amount_currency_ AS Nullable(String))                          AS amount_currency,
    CAST(if(n.amount_currency_ IS NULL, NULL, n.commitment_amount_value) AS Nullable(Decimal(38, 9))) AS hourly_amount,
    ifNull(n.term, '')                                                    AS term,
    toDateTime64(assumeNotNull(n.start_time), 6, 'UTC')                   AS commitment_start,
    toDateTime64(assumeNotNull(n.end_time), 6, 'UTC')                     AS commitment_end,
    ifNull(n.state, '')                                                   AS state,
    CAST(coalesce(a.currency, n.amount_currency_, '') AS String)          AS billing_currency,
    toDateTime(f.loaded_at, 'UTC')                                        AS last_updated
FROM newest AS n
INNER JOIN first_seen AS f ON f.id = n.subscription_instance_id
LEFT JOIN account_currency AS a ON a.billing_account_id = ifNull(n.billing_account_id, '')
SETTINGS join_use_nulls = 1
