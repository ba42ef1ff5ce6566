-- Savings Plans, Reserved Instances, GCP committed use discounts and Azure reservations / savings plans per
-- commitment and day: purchased (the commitment amortized to the day), used, unused, utilization = used / purchased,
-- the fees as billed, and the realized savings of the usage it covered (public on-demand cost minus its effective
-- cost). Each provider's commitments come from the input int_cloud_cost_inputs counts for the billing account and
-- month (AWS: the CUR or the Data Exports FOCUS export; GCP: the billing export or Google's FOCUS table), never both.
-- AWS CUR formulas and sources: include/sql/intermediate/aws/int_aws__commitment_line_items.sql. An RI's fee is a
-- monthly CUR line dated the 1st, so its purchased / unused amounts sit on the 1st: read RI utilization per month
-- (commitment_utilization_monthly).
-- Azure's and AWS's FOCUS exports (int_azure__cost_line_items, int_aws__focus_line_items): FOCUS amortizes a
-- commitment onto Usage rows with CommitmentDiscountStatus Used / Unused ("The sum of EffectiveCost where
-- ChargeCategory is Usage MUST equal the sum of BilledCost where ChargeCategory is Purchase", per
-- CommitmentDiscountId; FOCUS 1.2 effectivecost.md): purchased = EffectiveCost of the Used and Unused rows, unused =
-- that of the Unused rows, fees = BilledCost of the Purchase rows, covered usage at on-demand = ListCost of the Used
-- rows. Azure writes ListCost 0 on EA / MCA reservation usage and ContractedCost 0 on MCA's (Microsoft's FOCUS
-- conformance summary): a Used row without a ListCost takes its ContractedCost, without either its EffectiveCost
-- (Microsoft's FinOps toolkit's fallback; the same expression as commitment_coverage_monthly's), so its savings are
-- unknown (0), not minus its cost. AWS's FOCUS amounts are net of discounts (EffectiveCost is the net amortized cost, BilledCost the net
-- unblended cost), the CUR formulas' gross: the two inputs agree where the bill has no discount.
-- GCP (int_gcp__commitment_line_items from the billing export, int_gcp__focus_commitment_line_items from the FOCUS
-- table): per commitment pool, purchased = the commitment fees, covered on-demand cost = -(CUD credits), and the
-- covered usage's effective cost = the fees, so realized savings = -(credits) - fees, Google's "CUD savings", net of
-- any unused part; used, unused and utilization are NULL: neither export carries the commitment's amount in
-- on-demand terms. Google's new spend-based model (cud_model 'consumption'): the fee's FEE_UTILIZATION_OFFSET credits
-- are minus its used part, so a pool and day of that model alone has used = -offsets, unused = fees + offsets and
-- utilization = used / fees (Google's "cud_utilization_percent"); fee_cost is the fees as billed (fees + offsets),
-- covered on-demand cost the covered usage's cost at the Default model, its effective cost the covered usage's billed
-- cost plus the unused fee, so realized savings = Google's "commitment_savings" (with the sign of a saving), again
-- net of the unused part. A day with rows of both models (the migration) keeps used and unused NULL.
{%- from 'cost_inputs.jinja' import counted_input %}
{#- A FOCUS export's commitments per day: purchased = EffectiveCost of the Used and Unused rows, unused = the Unused
    rows', fees = the Purchase rows' BilledCost, covered usage = the Used rows (`covered_on_demand` at on-demand). -#}
{%- macro focus_commitments(provider, relation, commitment_type, where, covered_on_demand='ListCost') %}
        SELECT
            {{ lit(provider) }} AS provider_,
            billing_period, usage_date,
            assumeNotNull(CommitmentDiscountId) AS commitment_id_,
            {{ commitment_type }} AS commitment_type_,
            BillingCurrency AS currency_,
            sumIf(EffectiveCost, CommitmentDiscountStatus IN ('Used', 'Unused')) AS commitment_cost_,
            sumIf(EffectiveCost, CommitmentDiscountStatus = 'Unused') AS unused_cost_,
            sumIf(BilledCost, ChargeCategory = 'Purchase') AS fee_cost_,
            sumIf({{ covered_on_demand }}, CommitmentDiscountStatus = 'Used') AS covered_on_demand_cost_,
            sumIf(EffectiveCost, CommitmentDiscountStatus = 'Used') AS covered_effective_cost_
        FROM {{ relation }}
        WHERE ifNull(CommitmentDiscountId, '') != ''{{ where }}
        GROUP BY billing_period, usage_date, commitment_id_, commitment_type_, currency_
{%- endmacro %}
WITH
    daily AS
    (
        SELECT
            billing_period, usage_date, commitment_arn, commitment_type, currency,
            sum(commitment_cost) AS commitment_cost_,
            sum(unused_cost) AS unused_cost_,
            sum(fee_cost) AS fee_cost_,
            sum(covered_on_demand_cost) AS covered_on_demand_cost_,
            sum(covered_effective_cost) AS covered_effective_cost_
        FROM {{ ref('int_aws__commitment_line_items') }}
        WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'cur', 'payer_account_id', 'billing_period') }}
        GROUP BY billing_period, usage_date, commitment_arn, commitment_type, currency
    ),
    gcp_daily AS
    (
        SELECT
            invoice_month, usage_date, commitment_id, currency,
            sum(fee_cost) AS fee_cost_,
            sum(fee_utilization_offset) AS fee_offset_,
            sum(covered_cost) AS covered_cost_,
            sum(covered_on_demand_cost) AS covered_on_demand_cost_,
            -- used and unused are known where every row of the pool and day is of the new model
            countIf(cud_model = 'credit') = 0 AS offsets_known_
        FROM
        (
            SELECT invoice_month, usage_date, commitment_id, currency, cud_model, fee_cost, fee_utilization_offset,
                   covered_cost, covered_on_demand_cost
            FROM {{ ref('int_gcp__commitment_line_items') }}
            WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'billing_export', 'billing_account_id', 'invoice_month') }}
            UNION ALL
            SELECT invoice_month, usage_date, commitment_id, currency, cud_model, fee_cost, fee_utilization_offset,
                   covered_cost, covered_on_demand_cost
            FROM {{ ref('int_gcp__focus_commitment_line_items') }}
            WHERE {{ counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'focus_export', 'billing_account_id', 'invoice_month') }}
        )
        GROUP BY invoice_month, usage_date, commitment_id, currency
    ),
    focus_daily AS
    (
        {{- focus_commitments('azure', ref('int_azure__cost_line_items'),
                              "if(CommitmentDiscountType = 'Savings Plan', 'Savings Plan', 'Reservation')", '',
                              azure_covered_on_demand()) }}
        UNION ALL
        {#- AWS writes CommitmentDiscountType 'Savings Plan' or 'Reserved Instance'; a Savings Plan is a Spend commitment -#}
        {{- focus_commitments('aws', ref('int_aws__focus_line_items'),
                              "if(positionCaseInsensitive(ifNull(CommitmentDiscountType, ''), 'savings plan') > 0 "
                              ~ "OR (CommitmentDiscountType IS NULL AND CommitmentDiscountCategory = 'Spend'), "
                              ~ "'Savings Plan', 'Reserved Instance')",
                              ' AND ' ~ counted_input(ref('int_cloud_cost_inputs'), 'aws', 'focus_export',
                                                      'BillingAccountId', 'billing_period')) }}
    )
SELECT
    'aws'                                              AS provider,
    billing_period                                     AS month,
    usage_date,
    commitment_arn                                     AS commitment_id,
    commitment_type,
    currency,
    commitment_cost_                                   AS commitment_cost,
    CAST(commitment_cost_ - unused_cost_ AS Nullable(Decimal(38, 10))) AS used_commitment,
    CAST(unused_cost_ AS Nullable(Decimal(38, 10)))    AS unused_cost,
    toFloat64({{ div_money('commitment_cost_ - unused_cost_', 'commitment_cost_') }}) AS utilization,
    fee_cost_                                          AS fee_cost,
    covered_on_demand_cost_                            AS covered_on_demand_cost,
    covered_effective_cost_                            AS covered_effective_cost,
    covered_on_demand_cost_ - covered_effective_cost_  AS realized_savings
FROM daily
UNION ALL
SELECT
    'gcp'                                              AS provider,
    invoice_month                                      AS month,
    usage_date,
    commitment_id,
    'Committed Use Discount'                           AS commitment_type,
    currency,
    fee_cost_                                          AS commitment_cost,
    CAST(if(offsets_known_, -fee_offset_, NULL) AS Nullable(Decimal(38, 10))) AS used_commitment,
    CAST(if(offsets_known_, fee_cost_ + fee_offset_, NULL) AS Nullable(Decimal(38, 10))) AS unused_cost,
    if(offsets_known_, toFloat64({{ div_money('-fee_offset_', 'fee_cost_') }}), NULL) AS utilization,
    fee_cost_ + fee_offset_                            AS fee_cost,
    covered_on_demand_cost_                            AS covered_on_demand_cost,
    fee_cost_ + fee_offset_ + covered_cost_            AS covered_effective_cost,
    covered_on_demand_cost_ - covered_effective_cost   AS realized_savings
FROM gcp_daily
UNION ALL
SELECT
    provider_                                          AS provider,
    billing_period                                     AS month,
    usage_date,
    commitment_id_                                     AS commitment_id,
    commitment_type_                                   AS commitment_type,
    currency_                                          AS currency,
    commitment_cost_                                   AS commitment_cost,
    CAST(commitment_cost_ - unused_cost_ AS Nullable(Decimal(38, 10))) AS used_commitment,
    CAST(unused_cost_ AS Nullable(Decimal(38, 10)))    AS unused_cost,
    toFloat64({{ div_money('commitment_cost_ - unused_cost_', 'commitment_cost_') }}) AS utilization,
    fee_cost_                                          AS fee_cost,
    covered_on_demand_cost_                            AS covered_on_demand_cost,
    covered_effective_cost_                            AS covered_effective_cost,
    covered_on_demand_cost_ - covered_effective_cost_  AS realized_savings
FROM focus_daily
