-- Daily GCP cost from the billing export: cost, credits (all types) and net cost = cost + credits.
DROP TABLE IF EXISTS finops.gcp_cost_daily__next;
CREATE TABLE finops.gcp_cost_daily__next AS finops.gcp_cost_daily;

INSERT INTO finops.gcp_cost_daily__next
SELECT
    concat(substring(invoice_month, 1, 4), '-', substring(invoice_month, 5, 2)) AS invoice_month,
    toDate(usage_start_time, 'UTC')                                  AS usage_date,
    ifNull(billing_account_id, '')                                   AS billing_account_id,
    ifNull(project_id, '')                                           AS project_id,
    ifNull(service_description, '')                                 AS service_description,
    ifNull(location_region, '')                                      AS region,
    ifNull(cost_type, '')                                            AS cost_type,
    ifNull(currency, 'USD')                                          AS currency,
    sum(toDecimal128(ifNull(cost, 0), 10))                           AS cost,
    sum(credit_amount)                                               AS credits,
    cost + credits                                                   AS net_cost,
    count()                                                          AS line_items
FROM
(
    SELECT
        *,
        arraySum(arrayMap(c -> toDecimal128(JSONExtractFloat(c, 'amount'), 10),
                          JSONExtractArrayRaw(ifNull(credits, '[]')))) AS credit_amount
    FROM finops_raw.gcp_costs__billing_export
    -- The raw export is appended (late rows, re-read windows): each exported row counts once.
    LIMIT 1 BY row_key
)
GROUP BY ALL;

EXCHANGE TABLES finops.gcp_cost_daily__next AND finops.gcp_cost_daily;
DROP TABLE finops.gcp_cost_daily__next;
