-- Savings Plans, Reserved Instances, GCP committed use discount pools and Azure reservations / savings plans per
-- commitment and month: purchased, used, unused, utilization, the fees
-- as billed, realized savings versus on-demand (and net of the unused commitment), the commitment's term and
-- whether it ends within 90 days of the month's data (`as_of`: the newest usage end of the month's hourly or
-- daily commitment lines, the month's end when there are none; a past month is judged as of its own end).
-- Sums of the daily model (commitment_utilization_daily), so month and day always agree.
WITH
    monthly AS
    (
        SELECT
            provider, month, commitment_id, commitment_type, currency,
            sum(commitment_cost) AS commitment_cost_,
            if(countIf(used_commitment IS NULL) > 0, NULL, sum(used_commitment)) AS used_commitment_,
            if(countIf(unused_cost IS NULL) > 0, NULL, sum(unused_cost)) AS unused_cost_,
            sum(fee_cost) AS fee_cost_,
            sum(covered_on_demand_cost) AS covered_on_demand_cost_,
            sum(covered_effective_cost) AS covered_effective_cost_
        FROM {{ ref('commitment_utilization_daily') }}
        GROUP BY provider, month, commitment_id, commitment_type, currency
    ),
    -- AWS: the inventory columns sit on the CUR's fee lines; the newest billing period that has them wins. AWS's FOCUS
    -- 1.2 export has no term, start or end (the ContractCommitment dataset is FOCUS 1.3+): the payer and the region
    -- of the commitment's own rows (Purchase, Unused) only. GCP's billing export has no commitment inventory (term,
    -- start, end: the CUD metadata export), nor has Azure's FOCUS cost export (the reservation's term is in Azure's
    -- reservation details), so they stay ''/NULL there.
    inventory AS
    (
        SELECT
            commitment_arn,
            argMaxIf(commitment_start, billing_period, commitment_start IS NOT NULL) AS start_,
            argMaxIf(commitment_end, billing_period, commitment_end IS NOT NULL) AS end_,
            argMaxIf(purchase_term, billing_period, purchase_term != '') AS purchase_term_,
            argMaxIf(payment_option, billing_period, payment_option != '') AS payment_option_,
            argMaxIf(offering_type, billing_period, offering_type != '') AS offering_type_,
            argMaxIf(region, billing_period, own_row_) AS region_,
            any(payer_account_id) AS payer_account_id_
        FROM
        (
            SELECT commitment_arn, billing_period, commitment_start, commitment_end, purchase_term, payment_option,
                   offering_type, region, commitment_cost != 0 OR fee_cost != 0 AS own_row_, payer_account_id
            FROM {{ ref('int_aws__commitment_line_items') }}
            UNION ALL
            SELECT assumeNotNull(CommitmentDiscountId), billing_period, NULL, NULL, '', '', '', ifNull(RegionId, ''),
                   ChargeCategory = 'Purchase' OR CommitmentDiscountStatus = 'Unused', BillingAccountId
            FROM {{ ref('int_aws__focus_line_items') }}
            WHERE ifNull(CommitmentDiscountId, '') != ''
        )
        GROUP BY commitment_arn
    ),
    -- as of the newest end of the month's commitment lines that are not fees (the CUR's or the FOCUS export's)
    aws_as_of AS
    (
        SELECT billing_period, greatest(max(newest_), toDateTime64(0, 3, 'UTC')) AS newest_, any(period_end_) AS period_end_
        FROM
        (
            SELECT
                billing_period,
                maxIf(usage_end, line_item_type NOT IN ('RIFee', 'Fee', 'SavingsPlanUpfrontFee')) AS newest_,
                any(billing_period_end) AS period_end_
            FROM {{ ref('int_aws__commitment_line_items') }}
            GROUP BY billing_period
            UNION ALL
            SELECT billing_period, toDateTime64(maxIf(ChargePeriodEnd, ChargeCategory != 'Purchase'), 3, 'UTC'),
                   toDateTime64(any(BillingPeriodEnd), 3, 'UTC')
            FROM {{ ref('int_aws__focus_line_items') }}
            WHERE ifNull(CommitmentDiscountId, '') != ''
            GROUP BY billing_period
        )
        GROUP BY billing_period
    ),
    gcp_inventory AS
    (
        SELECT commitment_id, any(billing_account_id) AS billing_account_id_,
               if(commitment_id LIKE '%/resource-based/%', any(region), '') AS region_
        FROM
        (
            SELECT commitment_id, billing_account_id, region FROM {{ ref('int_gcp__commitment_line_items') }}
            UNION ALL
            SELECT commitment_id, billing_account_id, region FROM {{ ref('int_gcp__focus_commitment_line_items') }}
        )
        GROUP BY commitment_id
    ),
    azure_inventory AS
    (
        SELECT assumeNotNull(CommitmentDiscountId) AS commitment_id, any(BillingAccountId) AS billing_account_id_,
               anyIf(ifNull(RegionId, ''), CommitmentDiscountStatus IS NOT NULL) AS region_
        FROM {{ ref('int_azure__cost_line_items') }}
        WHERE ifNull(CommitmentDiscountId, '') != ''
        GROUP BY commitment_id
    ),
    azure_as_of AS
    (
        SELECT billing_period, max(ChargePeriodEnd) AS newest_, any(BillingPeriodEnd) AS period_end_
        FROM {{ ref('int_azure__cost_line_items') }}
        GROUP BY billing_period
    ),
    gcp_as_of AS
    (
        SELECT invoice_month, max(newest_) AS newest_
        FROM
        (
            SELECT invoice_month, max(usage_end) AS newest_
            FROM {{ ref('int_gcp__cost_line_items') }}
            GROUP BY invoice_month
            UNION ALL
            SELECT invoice_month, toDateTime64(max(ChargePeriodEnd), 6, 'UTC')
            FROM {{ ref('int_gcp__focus_line_items') }}
            GROUP BY invoice_month
        )
        GROUP BY invoice_month
    )
SELECT
    m.provider                                          AS provider,
    m.month                                             AS month,
    m.commitment_id                                     AS commitment_id,
    m.commitment_type                                   AS commitment_type,
    multiIf(m.provider = 'gcp', g.billing_account_id_, m.provider = 'azure', z.billing_account_id_,
            i.payer_account_id_)                        AS billing_account_id,
    multiIf(m.provider = 'gcp', g.region_, m.provider = 'azure', z.region_, i.region_) AS region,
    if(m.provider = 'aws', i.purchase_term_, '')        AS purchase_term,
    if(m.provider = 'aws', i.payment_option_, '')       AS payment_option,
    if(m.provider = 'aws', i.offering_type_, '')        AS offering_type,
    m.currency                                          AS currency,
    m.commitment_cost_                                  AS commitment_cost,
    m.used_commitment_                                  AS used_commitment,
    m.unused_cost_                                      AS unused_cost,
    if(m.used_commitment_ IS NULL, NULL, toFloat64({{ div_money('assumeNotNull(m.used_commitment_)', 'm.commitment_cost_') }})) AS utilization,
    m.fee_cost_                                         AS fee_cost,
    m.covered_on_demand_cost_                           AS covered_on_demand_cost,
    m.covered_effective_cost_                           AS covered_effective_cost,
    m.covered_on_demand_cost_ - m.covered_effective_cost_ AS realized_savings,
    -- GCP's realized savings are net of the unused commitment already (its covered usage's effective cost has it)
    m.covered_on_demand_cost_ - m.covered_effective_cost_
        - if(m.provider = 'gcp', toDecimal128(0, 10), ifNull(m.unused_cost_, toDecimal128(0, 10))) AS net_savings,
    if(m.provider = 'aws', i.start_, NULL)              AS commitment_start,
    if(m.provider = 'aws', i.end_, NULL)                AS commitment_end,
    multiIf(m.provider = 'gcp',
            least(toDateTime64(ga.newest_, 3, 'UTC'), addMonths(toDateTime64(concat(m.month, '-01 00:00:00'), 3, 'UTC'), 1)),
            m.provider = 'azure', toDateTime64(least(za.newest_, za.period_end_), 3, 'UTC'),
            if(a.newest_ > toDateTime64(0, 3, 'UTC'), least(a.newest_, a.period_end_), a.period_end_)) AS as_of,
    if(i.end_ IS NULL, NULL, toInt32(dateDiff('day', as_of, i.end_))) AS days_to_expiry,
    toUInt8(ifNull(i.end_ > as_of AND i.end_ <= as_of + INTERVAL 90 DAY, 0)) AS expires_within_90_days
FROM monthly AS m
LEFT JOIN inventory AS i ON i.commitment_arn = m.commitment_id
LEFT JOIN aws_as_of AS a ON a.billing_period = m.month
LEFT JOIN gcp_inventory AS g ON g.commitment_id = m.commitment_id
LEFT JOIN gcp_as_of AS ga ON ga.invoice_month = m.month
LEFT JOIN azure_inventory AS z ON z.commitment_id = m.commitment_id
LEFT JOIN azure_as_of AS za ON za.billing_period = m.month
