-- Commitment coverage per month x provider x service x region x instance family (cost based, at public on-demand
-- prices): covered = the on-demand cost of the usage a Savings Plan or RI covered (SavingsPlanCoveredUsage,
-- DiscountedUsage); eligible = covered + the on-demand cost of eligible usage that ran at the on-demand rate
-- (line type Usage, pricing term OnDemand). Eligible usage is what AWS's Savings Plans and RIs can cover, by the
-- usage type of each service's instance hours: EC2 BoxUsage / DedicatedUsage / HostUsage:<type>, RDS (Aurora,
-- DocumentDB, Neptune) InstanceUsage[IOOptimized] / Multi-AZUsage / Multi-AZClusterUsage:db.<type>, ElastiCache and
-- MemoryDB NodeUsage:cache.<type> / db.<type>, Redshift Node:<type> ('APS1-Node:dc2.large'), OpenSearch
-- ESInstance:<type>.search; Fargate vCPU / GB hours, Lambda GB-seconds and SageMaker ML instances (AWS Savings Plans
-- user guide "Savings Plans types"; "Reserved Instances" per service). Spot usage, storage, requests and data
-- transfer are not eligible. Instance family: the usage type's instance type without its size and OpenSearch's
-- '.search' suffix ('BoxUsage:m5.large' -> 'm5', 'InstanceUsage:db.r6g.large' -> 'db.r6g', 'Node:ra3.xlplus' -> 'ra3',
-- 'ESInstance:r6g.large.search' -> 'r6g'); a Dedicated Host's type is its family ('HostUsage:m5' -> 'm5');
-- '' for Fargate / Lambda.
-- GCP: covered = -(CUD credits) of a row (they offset the on-demand cost of the covered usage), or, for usage billed
-- under a CUD consumption model (Google's new spend-based model), the row's cost at the Default model
-- (cost_at_effective_price_default); eligible = the cost
-- of regular usage rows of the services CUDs cover (Compute Engine, Kubernetes Engine, Cloud Run, Cloud SQL,
-- AlloyDB, Spanner, Bigtable, BigQuery, Memorystore, Dataflow, Firestore, VMware Engine: Google Cloud "Committed
-- use discounts" overview), and any row with CUD credits. Instance family: the machine series of the VM's
-- machine_spec system label ('e2-standard-4' -> 'e2').
-- AWS's and Google's FOCUS exports, where int_cloud_cost_inputs counts them for the account and month (else the CUR /
-- billing export rows count; never both): AWS covered = ListCost (public on-demand cost) of the Usage rows a Savings
-- Plan or RI covered (CommitmentDiscountStatus Used); eligible adds the ListCost of Standard-priced Usage rows without
-- a commitment whose x_UsageType is eligible, as the CUR's. Google: the same credits (x_Credits of type
-- COMMITTED_USAGE_DISCOUNT*), consumption models (x_ConsumptionModelId, x_CostAtEffectivePriceDefault), new-model fee
-- rows, services and machine series (x_SystemLabels) as its billing export rows.
-- A table partitioned by month, each input read for the months rebuilt (in_periods).
-- Azure (FOCUS export): covered = ListCost of the rows a reservation or savings plan covered (status Used), or,
-- where Azure writes none (0 on EA / MCA reservation usage, Microsoft's FOCUS conformance summary), ContractedCost,
-- else EffectiveCost (Microsoft's FinOps toolkit's fallback; the same expression as commitment_utilization_daily's);
-- eligible = those plus the ListCost of Standard-priced Usage rows without a commitment of the Compute and Databases
-- service categories (what Azure reservations and savings plans cover). No instance family ('').
{%- from 'cost_inputs.jinja' import counted_input %}
{#- Redshift's 'Node:' and OpenSearch's 'ESInstance:' whole (at the start or after the region prefix), not as the end of
    another usage type's name. -#}
{%- macro eligible_usage(usage_type) -%}
match({{ usage_type }}, '(BoxUsage|DedicatedUsage|HostUsage|InstanceUsage|NodeUsage|Multi-AZUsage|Multi-AZClusterUsage|(^|-)Node:|(^|-)ESInstance:|Fargate-vCPU-Hours|Fargate-GB-Hours|Lambda-GB-Second|ml\\.)')
{%- endmacro %}
{%- macro instance_family(usage_type) -%}
if(match({{ usage_type }}, 'HostUsage:[a-z0-9-]+$'), extract({{ usage_type }}, 'HostUsage:([a-z0-9-]+)$'),
   extract(replaceRegexpOne({{ usage_type }}, '\\.(search|elasticsearch)$', ''), ':([a-z0-9.-]+)\\.[a-z0-9]+$'))
{%- endmacro %}
{%- set gcp_services = "('Compute Engine', 'Kubernetes Engine', 'Cloud Run', 'Cloud SQL', 'AlloyDB for PostgreSQL', 'Cloud Spanner', 'Spanner', 'Cloud Bigtable', 'Bigtable', 'BigQuery', 'Cloud Memorystore for Redis', 'Memorystore', 'Dataflow', 'Cloud Firestore', 'Firestore', 'VMware Engine')" %}
{%- from 'gcp_cud_pools.jinja' import cud_credit_types, focus_cud_consumption, focus_cud_fee, focus_cost_at_default %}
{%- set gcp_credit_covered = "-(ifNull(credits_by_type['COMMITTED_USAGE_DISCOUNT'], toDecimal128(0, 10)) "
                             ~ "+ ifNull(credits_by_type['COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE'], toDecimal128(0, 10)))" %}
WITH
    usage AS
    (
        SELECT
            billing_period AS month,
            CAST(product_code AS String) AS service_,
            CAST(region AS String) AS region_,
            {{ instance_family('usage_type') }} AS instance_family,
            CAST(currency AS String) AS currency_,
            if(line_item_type IN ('SavingsPlanCoveredUsage', 'DiscountedUsage'), public_on_demand_cost,
               toDecimal128(0, 10)) AS covered_,
            if(line_item_type = 'Usage' AND pricing_term = 'OnDemand', public_on_demand_cost,
               toDecimal128(0, 10)) AS on_demand_
        FROM {{ ref('int_aws__cost_line_items') }}
        WHERE (line_item_type IN ('SavingsPlanCoveredUsage', 'DiscountedUsage')
               OR (line_item_type = 'Usage' AND pricing_term = 'OnDemand' AND {{ eligible_usage('usage_type') }}))
          AND {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'cur', 'payer_account_id', 'billing_period') }}
          AND {{ in_periods('billing_period') }}
    ),
    aws_focus_usage AS
    (
        SELECT
            billing_period AS month,
            -- the CUR's product code, so a service has one name whichever input counts (int_cloud_cost_daily)
            CAST(if(x_columns['x_ServiceCode'] != '', x_columns['x_ServiceCode'], ServiceName) AS String) AS service_,
            CAST(ifNull(RegionId, '') AS String) AS region_,
            {{ instance_family("x_columns['x_UsageType']") }} AS instance_family,
            CAST(BillingCurrency AS String) AS currency_,
            if(CommitmentDiscountStatus = 'Used', ListCost, toDecimal128(0, 10)) AS covered_,
            if(CommitmentDiscountStatus = 'Used', toDecimal128(0, 10), ListCost) AS on_demand_
        FROM {{ ref('int_aws__focus_line_items') }}
        WHERE ChargeCategory = 'Usage'
          AND (CommitmentDiscountStatus = 'Used'
               OR (ifNull(CommitmentDiscountId, '') = '' AND PricingCategory = 'Standard'
                   AND {{ eligible_usage("x_columns['x_UsageType']") }}))
          AND {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'focus_export', 'BillingAccountId', 'billing_period') }}
          AND {{ in_periods('billing_period') }}
    ),
    gcp_usage AS
    (
        SELECT
            invoice_month AS month,
            service_description AS service_,
            CAST(region AS String) AS region_,
            splitByChar('-', system_labels['compute.googleapis.com/machine_spec'])[1] AS instance_family,
            CAST(currency AS String) AS currency_,
            -- usage billed under a new-model CUD's consumption model is covered whole, at its Default-model cost
            if(is_cud_consumption_model, cost_at_default_price, {{ gcp_credit_covered }}) AS covered_,
            if(is_cud_consumption_model, toDecimal128(0, 10), cost - {{ gcp_credit_covered }}) AS on_demand_
        FROM {{ ref('int_gcp__cost_line_items') }}
        WHERE (covered_ != 0
               OR (cost_type = 'regular' AND NOT is_commitment_fee
                   AND service_description IN {{ gcp_services }}))
          AND {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'billing_export', 'billing_account_id', 'invoice_month') }}
          AND {{ in_periods('invoice_month') }}
    ),
    gcp_focus_usage AS
    (
        SELECT
            invoice_month AS month,
            CAST(ifNull(ServiceName, '') AS String) AS service_,
            CAST(ifNull(RegionId, '') AS String) AS region_,
            splitByChar('-', JSONExtractString(arrayFirst(
                p -> JSONExtractString(p, 'Key') = 'compute.googleapis.com/machine_spec',
                JSONExtractArrayRaw(x_columns['x_SystemLabels'])), 'Value'))[1] AS instance_family,
            CAST(BillingCurrency AS String) AS currency_,
            -- the CUD credits of the row, or its cost at the Default model when billed under a CUD consumption model
            if({{ focus_cud_consumption }},
               {{ focus_cost_at_default }},
               toDecimal128(-arraySum(arrayMap(
                   c -> if(JSONExtractString(c, 'Type') IN {{ cud_credit_types }}, {{ gcp_credit_amount('c') }},
                           toDecimal128(0, 10)),
                   JSONExtractArrayRaw(x_columns['x_Credits']))), 10)) AS covered_,
            -- the cost before credits (BilledCost is after them, as the billing export's cost + credits)
            if({{ focus_cud_consumption }}, toDecimal128(0, 10), BilledCost - credits - covered_) AS on_demand_
        FROM {{ ref('int_gcp__focus_line_items') }}
        WHERE (covered_ != 0
               OR (x_columns['x_CostType'] = 'regular' AND ChargeCategory = 'Usage'
                   AND NOT startsWith(ifNull(ChargeDescription, ''), 'Commitment') AND NOT {{ focus_cud_fee() }}
                   AND ServiceName IN {{ gcp_services }}))
          AND {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'focus_export', 'BillingAccountId', 'invoice_month') }}
          AND {{ in_periods('invoice_month') }}
    ),
    azure_usage AS
    (
        SELECT
            billing_period AS month,
            CAST(ServiceName AS String) AS service_,
            CAST(ifNull(RegionId, '') AS String) AS region_,
            '' AS instance_family,
            CAST(BillingCurrency AS String) AS currency_,
            if(CommitmentDiscountStatus = 'Used',
               {{ azure_covered_on_demand() }},
               toDecimal128(0, 10)) AS covered_,
            if(CommitmentDiscountStatus = 'Used', toDecimal128(0, 10), ListCost) AS on_demand_
        FROM {{ ref('int_azure__cost_line_items') }}
        WHERE (CommitmentDiscountStatus = 'Used'
               OR (ChargeCategory = 'Usage' AND ifNull(CommitmentDiscountId, '') = ''
                   AND PricingCategory = 'Standard' AND ServiceCategory IN ('Compute', 'Databases')))
          AND {{ in_periods('billing_period') }}
    ),
    both_ AS
    (
        SELECT 'aws' AS provider_, * FROM usage
        UNION ALL
        SELECT 'aws' AS provider_, * FROM aws_focus_usage
        UNION ALL
        SELECT 'gcp' AS provider_, * FROM gcp_usage
        UNION ALL
        SELECT 'gcp' AS provider_, * FROM gcp_focus_usage
        UNION ALL
        SELECT 'azure' AS provider_, * FROM azure_usage
    )
SELECT
    month,
    provider_                               AS provider,
    service_                                AS service,
    region_                                 AS region,
    instance_family,
    currency_                               AS currency,
    sum(covered_)                           AS covered_on_demand_cost,
    sum(on_demand_)                         AS on_demand_cost,
    sum(covered_) + sum(on_demand_)         AS eligible_on_demand_cost,
    toFloat64({{ div_money('sum(covered_)', 'eligible_on_demand_cost') }}) AS coverage
FROM both_
GROUP BY month, provider_, service_, region_, instance_family, currency_
