-- Daily cost of both clouds in one shape, for dashboards: per provider, day, billing account,
-- account (AWS usage account / GCP project), service, region and charge category.
--   billed_cost     AWS net unblended cost; GCP cost + credits       (= FOCUS BilledCost)
--   effective_cost  AWS net amortized cost; GCP cost + credits       (= FOCUS EffectiveCost)
--   list_cost       AWS public on-demand cost; GCP cost at list
CREATE OR REPLACE VIEW finops.cost_daily AS
SELECT
    'aws'                                                   AS provider,
    d.billing_period                                        AS month,
    d.usage_date                                            AS usage_date,
    d.payer_account_id                                      AS billing_account_id,
    d.usage_account_id                                      AS account_id,
    d.usage_account_name                                    AS account_name,
    d.product_code                                          AS service_name,
    if(sc.service_category = '', 'Other', sc.service_category) AS service_category,
    d.region                                                AS region,
    {{ aws_charge_category('d.line_item_type') }}           AS charge_category,
    d.line_item_type                                        AS charge_type,
    upper(d.currency)                                       AS currency,
    d.net_unblended_cost                                    AS billed_cost,
    d.net_amortized_cost                                    AS effective_cost,
    d.public_on_demand_cost                                 AS list_cost,
    d.line_items                                            AS line_items
FROM finops.aws_cost_daily AS d
LEFT JOIN (SELECT service, service_category FROM finops.service_categories WHERE provider = 'aws') AS sc
    ON sc.service = d.product_code
UNION ALL
SELECT
    'gcp',
    d.invoice_month,
    d.usage_date,
    d.billing_account_id,
    d.project_id,
    d.project_name,
    d.service_description,
    if(sc.service_category = '', 'Other', sc.service_category),
    d.region,
    d.charge_category,
    d.cost_type,
    upper(d.currency),
    d.net_cost,
    d.net_cost,
    d.cost_at_list,
    d.line_items
FROM finops.gcp_cost_daily AS d
LEFT JOIN (SELECT service, service_category FROM finops.service_categories WHERE provider = 'gcp') AS sc
    ON sc.service = d.service_description;

-- Daily cost per configured tag key and value, both clouds (tag_keys in finops_sql_config).
CREATE OR REPLACE VIEW finops.cost_daily_by_tag AS
SELECT 'aws' AS provider, billing_period AS month, usage_date, usage_account_id AS account_id,
       product_code AS service_name, tag_key, tag_value, upper(currency) AS currency,
       net_unblended_cost AS billed_cost, net_amortized_cost AS effective_cost, line_items
FROM finops.aws_cost_daily_by_tag
UNION ALL
SELECT 'gcp', invoice_month, usage_date, project_id, service_description, tag_key, tag_value, upper(currency),
       net_cost, net_cost, line_items
FROM finops.gcp_cost_daily_by_tag;
