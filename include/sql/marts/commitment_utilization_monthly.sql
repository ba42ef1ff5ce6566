-- Savings Plans and Reserved Instances per commitment and month: purchased, used, unused, utilization, the fees
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
            sum(used_commitment) AS used_commitment_,
            sum(unused_cost) AS unused_cost_,
            sum(fee_cost) AS fee_cost_,
            sum(covered_on_demand_cost) AS covered_on_demand_cost_,
            sum(covered_effective_cost) AS covered_effective_cost_
        FROM {{ ref('commitment_utilization_daily') }}
        GROUP BY provider, month, commitment_id, commitment_type, currency
    ),
    -- the inventory columns sit on the fee lines; the newest billing period that has them wins
    inventory AS
    (
        SELECT
            commitment_arn,
            argMaxIf(commitment_start, billing_period, commitment_start IS NOT NULL) AS start_,
            argMaxIf(commitment_end, billing_period, commitment_end IS NOT NULL) AS end_,
            argMaxIf(purchase_term, billing_period, purchase_term != '') AS purchase_term_,
            argMaxIf(payment_option, billing_period, payment_option != '') AS payment_option_,
            argMaxIf(offering_type, billing_period, offering_type != '') AS offering_type_,
            argMaxIf(region, billing_period, commitment_cost != 0 OR fee_cost != 0) AS region_,
            any(payer_account_id) AS payer_account_id_
        FROM {{ ref('int_aws__commitment_line_items') }}
        GROUP BY commitment_arn
    ),
    as_of AS
    (
        SELECT
            billing_period,
            greatest(maxIf(usage_end, line_item_type NOT IN ('RIFee', 'Fee', 'SavingsPlanUpfrontFee')),
                     toDateTime64(0, 3, 'UTC')) AS newest_,
            any(billing_period_end) AS period_end_
        FROM {{ ref('int_aws__commitment_line_items') }}
        GROUP BY billing_period
    )
SELECT
    m.provider                                          AS provider,
    m.month                                             AS month,
    m.commitment_id                                     AS commitment_id,
    m.commitment_type                                   AS commitment_type,
    i.payer_account_id_                                 AS billing_account_id,
    i.region_                                           AS region,
    i.purchase_term_                                    AS purchase_term,
    i.payment_option_                                   AS payment_option,
    i.offering_type_                                    AS offering_type,
    m.currency                                          AS currency,
    m.commitment_cost_                                  AS commitment_cost,
    m.used_commitment_                                  AS used_commitment,
    m.unused_cost_                                      AS unused_cost,
    if(m.commitment_cost_ = 0, NULL, toFloat64(m.used_commitment_) / toFloat64(m.commitment_cost_)) AS utilization,
    m.fee_cost_                                         AS fee_cost,
    m.covered_on_demand_cost_                           AS covered_on_demand_cost,
    m.covered_effective_cost_                           AS covered_effective_cost,
    m.covered_on_demand_cost_ - m.covered_effective_cost_ AS realized_savings,
    m.covered_on_demand_cost_ - m.covered_effective_cost_ - m.unused_cost_ AS net_savings,
    i.start_                                            AS commitment_start,
    i.end_                                              AS commitment_end,
    if(a.newest_ > toDateTime64(0, 3, 'UTC'), least(a.newest_, a.period_end_), a.period_end_) AS as_of,
    if(i.end_ IS NULL, NULL, toInt32(dateDiff('day', as_of, i.end_))) AS days_to_expiry,
    toUInt8(i.end_ IS NOT NULL AND i.end_ > as_of AND i.end_ <= as_of + INTERVAL 90 DAY) AS expires_within_90_days
FROM monthly AS m
LEFT JOIN inventory AS i ON i.commitment_arn = m.commitment_id
LEFT JOIN as_of AS a ON a.billing_period = m.month
