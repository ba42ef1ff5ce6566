-- The conformed daily cost of the clouds, in one vocabulary (= FOCUS): one row per provider, day,
-- billing account, account (AWS usage account / GCP project / Azure subscription), service, region, charge type and
-- currency. Every cross-provider mart reads this model instead of unioning the providers itself.
--   charge_frequency  FOCUS ChargeFrequency: the FOCUS exports' own; the CUR's and GCP billing export's as the focus
--                     mart maps them (aws_charge_frequency / gcp_charge_frequency)
--   billed_cost     AWS net unblended cost; GCP cost + credits; Azure BilledCost     (= FOCUS BilledCost)
--   effective_cost  AWS net amortized cost; GCP cost + credits; Azure EffectiveCost  (= FOCUS EffectiveCost)
--   list_cost       AWS public on-demand cost; GCP cost at list; Azure ListCost
-- AWS comes from the CUR or from the Data Exports FOCUS 1.2 export (BilledCost / EffectiveCost / ListCost), per
-- payer account and month whichever int_cloud_cost_inputs counts: the same bill is never counted twice. GCP likewise
-- from the billing export or Google's FOCUS export table, per billing account and invoice month.
-- A table partitioned by month (every read filtered with in_periods): as a view, each mart planned its union again.
{%- from 'cost_inputs.jinja' import counted_input %}
SELECT
    'aws'                                                   AS provider,
    billing_period                                          AS month,
    usage_date,
    payer_account_id                                        AS billing_account_id,
    usage_account_id                                        AS account_id,
    usage_account_name                                      AS account_name,
    product_code                                            AS service_name,
    region,
    {{ aws_charge_category('line_item_type') }}             AS charge_category,
    line_item_type                                          AS charge_type,
    {{ aws_charge_frequency('line_item_type') }}            AS charge_frequency,
    upper(currency)                                         AS currency,
    net_unblended_cost                                      AS billed_cost,
    net_amortized_cost                                      AS effective_cost,
    public_on_demand_cost                                   AS list_cost,
    line_items
FROM {{ ref('int_aws__cost_daily') }}
WHERE {{ in_periods('billing_period') }}
  AND {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'cur', 'payer_account_id', 'billing_period') }}
UNION ALL
SELECT
    'aws',
    billing_period,
    usage_date,
    BillingAccountId,
    ifNull(SubAccountId, ''),
    ifNull(SubAccountName, ''),
    -- the CUR's product code (x_ServiceCode), so a service has one name whichever input counts
    if(x_columns['x_ServiceCode'] != '', x_columns['x_ServiceCode'], ServiceName),
    ifNull(RegionId, ''),
    ChargeCategory,
    ChargeCategory,
    ChargeFrequency,
    BillingCurrency,
    sum(BilledCost),
    sum(EffectiveCost),
    sum(ListCost),
    count()
FROM {{ ref('int_aws__focus_line_items') }}
WHERE {{ in_periods('billing_period') }}
  AND {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'focus_export', 'BillingAccountId', 'billing_period') }}
GROUP BY ALL
UNION ALL
SELECT
    'gcp',
    invoice_month,
    usage_date,
    billing_account_id,
    project_id,
    project_name,
    service_description,
    region,
    charge_category,
    cost_type,
    {{ gcp_charge_frequency('cost_type', "charge_category = 'Purchase'") }},
    upper(currency),
    net_cost,
    net_cost,
    cost_at_list,
    line_items
FROM {{ ref('int_gcp__cost_daily') }}
WHERE {{ in_periods('invoice_month') }}
  AND {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'billing_export', 'billing_account_id', 'invoice_month') }}
UNION ALL
SELECT
    'gcp',
    invoice_month,
    usage_date,
    BillingAccountId,
    ifNull(SubAccountId, ''),
    ifNull(SubAccountName, ''),
    ServiceName,
    ifNull(RegionId, ''),
    ChargeCategory,
    ifNull(x_columns['x_CostType'], ''),
    ChargeFrequency,
    BillingCurrency,
    sum(BilledCost),
    sum(EffectiveCost),
    sum(ListCost),
    count()
FROM {{ ref('int_gcp__focus_line_items') }}
WHERE {{ in_periods('invoice_month') }}
  AND {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'focus_export', 'BillingAccountId', 'invoice_month') }}
GROUP BY ALL
UNION ALL
SELECT
    'azure',
    billing_period,
    usage_date,
    billing_account_id,
    sub_account_id,
    sub_account_name,
    service_name,
    region,
    charge_category,
    charge_category,
    charge_frequency,
    upper(currency),
    billed_cost,
    effective_cost,
    list_cost,
    line_items
FROM {{ ref('int_azure__cost_daily') }}
WHERE {{ in_periods('billing_period') }}
