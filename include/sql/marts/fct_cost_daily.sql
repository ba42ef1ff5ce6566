-- Daily cost of both clouds in one shape, for dashboards: the conformed daily cost
-- (int_cloud_cost_daily) with the FOCUS service category of each service (seed service_categories;
-- services not listed: Other).
SELECT
    d.provider                                              AS provider,
    d.month                                                 AS month,
    d.usage_date                                            AS usage_date,
    d.billing_account_id                                    AS billing_account_id,
    d.account_id                                            AS account_id,
    d.account_name                                          AS account_name,
    d.service_name                                          AS service_name,
    if(sc.service_category = '', 'Other', sc.service_category) AS service_category,
    d.region                                                AS region,
    d.charge_category                                       AS charge_category,
    d.charge_type                                           AS charge_type,
    d.currency                                              AS currency,
    d.billed_cost                                           AS billed_cost,
    d.effective_cost                                        AS effective_cost,
    d.list_cost                                             AS list_cost,
    d.line_items                                            AS line_items
FROM {{ ref('int_cloud_cost_daily') }} AS d
LEFT JOIN {{ ref('service_categories') }} AS sc ON sc.provider = d.provider AND sc.service = d.service_name
