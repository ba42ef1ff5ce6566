-- The CUR line items of Savings Plans and Reserved Instances, one row per line item that carries a commitment
-- (fees, covered usage, the SP negation, upfront fees), with the commitment's purchased / used / unused amounts
-- and its inventory columns (start, end, term, payment option). Partitioned by billing period.
--
-- Formulas, from AWS's CUR user guide:
-- * Savings Plans ("Understanding Savings Plans", cur-sp.html): the SavingsPlanRecurringFee line of each hour
--   carries savings_plan_total_commitment_to_date ("the total amortized upfront commitment and recurring
--   commitment to date, for that hour") and savings_plan_used_commitment ("the total dollar amount of the Savings
--   Plan commitment used"); purchased = total commitment to date, used = used commitment, unused = the difference.
--   For an All Upfront plan the recurring fee line "indicates the portion of the Savings Plans unused during the
--   billing period". Covered usage: SavingsPlanCoveredUsage, effective cost savings_plan_savings_plan_effective_cost.
-- * Reserved Instances ("Understanding your amortized reservation data", amortized-reservation.html): the RIFee
--   line of the month carries reservation_amortized_upfront_fee_for_billing_period and the recurring fee (its
--   unblended cost), and reservation_unused_amortized_upfront_fee_for_billing_period +
--   reservation_unused_recurring_fee ("at the end of the month whatever is left ... has been wasted");
--   purchased = amortized upfront fee + recurring fee, unused = the unused columns, used = purchased - unused.
--   Covered usage: DiscountedUsage, effective cost reservation_effective_cost.
-- The fee lines as billed (unblended): SavingsPlanRecurringFee, SavingsPlanUpfrontFee, RIFee and a Fee with a
-- reservation ARN (the RI upfront fee).
-- It reads the CUR, not int_aws__cost_line_items: the purchased amounts (savings_plan_total_commitment_to_date, the
-- amortized upfront fees) and the inventory columns (start, end, term, ...) are on the fee lines only, and carrying
-- them would add a dozen mostly empty columns to every line item and its Rill export. The amounts both models
-- compute are defined once, in aws_cur_commitment_amounts.jinja.
-- Skipped while no CUR is loaded (an AWS deployment on the FOCUS export only): the table stays empty, and the
-- commitment marts read the FOCUS export's commitment rows instead.
{%- from 'aws_cur_commitment_amounts.jinja' import net_or_gross, ri_unused, sp_commitment, sp_net_commitment %}
{%- set raw = 'aws_costs__cur_line_items' %}
{%- set cur_loaded = source('aws_costs', 'cur_line_items') %}{# only a FOCUS export loaded: skipped, the table stays empty #}
{%- macro col(name, default="''") -%}{{ column_or(raw, name, default) }}{%- endmacro %}
{%- macro num(name) -%}{{ money(column_or(raw, name, '0')) }}{%- endmacro %}
{%- macro time_col(name) -%}parseDateTime64BestEffortOrNull(nullIf(toString({{ column_or(raw, name, 'NULL') }}), ''), 3, 'UTC'){%- endmacro %}
WITH
    items AS
    (
        SELECT
            *,
            ifNull(line_item_line_item_type, '') AS type_,
            ifNull({{ col('reservation_reservation_a_r_n') }}, '') AS ri_arn_,
            ifNull({{ col('savings_plan_savings_plan_a_r_n') }}, '') AS sp_arn_,
            multiIf(startsWith(type_, 'SavingsPlan') AND sp_arn_ != '', 'Savings Plan',
                    (type_ IN ('DiscountedUsage', 'RIFee', 'Fee')) AND ri_arn_ != '', 'Reserved Instance',
                    '') AS commitment_type_,
            {{ num('line_item_unblended_cost') }} AS unblended_,
            {{ num('savings_plan_total_commitment_to_date') }} AS sp_total_,
            {{ num('savings_plan_used_commitment') }} AS sp_used_,
            {{ num('reservation_amortized_upfront_fee_for_billing_period') }} AS ri_upfront_amortized_,
            {{ ri_unused(raw) }} AS ri_unused_,
            {{ sp_commitment(raw) }} AS sp_commitment_,
            {{ sp_net_commitment(raw) }} AS sp_net_commitment_
        FROM {{ ref('stg_aws__cur_line_items') }}
        WHERE {{ in_periods('billing_period') }}
    )
SELECT
    billing_period,
    ifNull(identity_line_item_id, '')                                   AS line_item_id,
    ifNull(identity_time_interval, '')                                  AS time_interval,
    line_item_usage_start_date                                          AS usage_start,
    line_item_usage_end_date                                            AS usage_end,
    toDate(line_item_usage_start_date, 'UTC')                           AS usage_date,
    ifNull({{ col('bill_billing_period_start_date', "NULL") }},
           toDateTime64(concat(billing_period, '-01 00:00:00'), 3, 'UTC')) AS billing_period_start,
    ifNull({{ col('bill_billing_period_end_date', "NULL") }},
           addMonths(toDateTime64(concat(billing_period, '-01 00:00:00'), 3, 'UTC'), 1)) AS billing_period_end,
    ifNull(bill_payer_account_id, '')                                   AS payer_account_id,
    ifNull(line_item_usage_account_id, '')                              AS usage_account_id,
    type_                                                               AS line_item_type,
    commitment_type_                                                    AS commitment_type,
    if(commitment_type_ = 'Savings Plan', sp_arn_, ri_arn_)             AS commitment_arn,
    ifNull(line_item_product_code, '')                                  AS product_code,
    ifNull({{ col('product_region_code') }}, '')                        AS region,
    ifNull({{ col('line_item_usage_type') }}, '')                       AS usage_type,
    ifNull({{ col('line_item_line_item_description') }}, '')            AS description,
    upper(ifNull(line_item_currency_code, 'USD'))                       AS currency,
    unblended_                                                          AS unblended_cost,
    -- the fee lines as the invoice bills them
    if(type_ IN ('SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'RIFee')
       OR (type_ = 'Fee' AND commitment_type_ = 'Reserved Instance'), unblended_, toDecimal128(0, 10)) AS fee_cost,
    -- purchased: the commitment amortized over this line's hours (SP) or billing period (RI)
    multiIf(type_ = 'SavingsPlanRecurringFee', sp_total_,
            type_ = 'RIFee', ri_upfront_amortized_ + unblended_,
            toDecimal128(0, 10))                                        AS commitment_cost,
    multiIf(type_ = 'SavingsPlanRecurringFee', sp_total_ - sp_used_,
            type_ = 'RIFee', ri_unused_,
            toDecimal128(0, 10))                                        AS unused_cost,
    -- the upfront part of the purchased amount (payment model, upfront percentage)
    multiIf(type_ = 'SavingsPlanRecurringFee', {{ num('savings_plan_amortized_upfront_commitment_for_billing_period') }},
            type_ = 'RIFee', ri_upfront_amortized_,
            toDecimal128(0, 10))                                        AS amortized_upfront_cost,
    -- purchased net of negotiated discounts (savings_plan_net_* / reservation_net_*; gross where absent)
    multiIf(type_ = 'SavingsPlanRecurringFee',
                {{ mul_div('sp_total_', 'sp_net_commitment_', 'sp_commitment_', if_zero='sp_total_') }},
            type_ = 'RIFee',
                {{ net_or_gross(raw, 'reservation_net_amortized_upfront_fee_for_billing_period',
                                'reservation_amortized_upfront_fee_for_billing_period') }}
                + {{ net_or_gross(raw, 'line_item_net_unblended_cost', 'line_item_unblended_cost') }},
            toDecimal128(0, 10))                                        AS net_commitment_cost,
    -- covered usage: its public on-demand cost and its effective (commitment) cost
    if(type_ IN ('SavingsPlanCoveredUsage', 'DiscountedUsage'), {{ num('pricing_public_on_demand_cost') }},
       toDecimal128(0, 10))                                             AS covered_on_demand_cost,
    multiIf(type_ = 'SavingsPlanCoveredUsage', {{ num('savings_plan_savings_plan_effective_cost') }},
            type_ = 'DiscountedUsage', {{ num('reservation_effective_cost') }},
            toDecimal128(0, 10))                                        AS covered_effective_cost,
    -- inventory (populated on the fee lines; '' / NULL elsewhere)
    if(commitment_type_ = 'Savings Plan', {{ time_col('savings_plan_start_time') }},
       {{ time_col('reservation_start_time') }})                        AS commitment_start,
    if(commitment_type_ = 'Savings Plan', {{ time_col('savings_plan_end_time') }},
       {{ time_col('reservation_end_time') }})                          AS commitment_end,
    ifNull(if(commitment_type_ = 'Savings Plan', {{ col('savings_plan_purchase_term') }},
              {{ col('pricing_lease_contract_length') }}), '')          AS purchase_term,
    ifNull(if(commitment_type_ = 'Savings Plan', {{ col('savings_plan_payment_option') }},
              {{ col('pricing_purchase_option') }}), '')                AS payment_option,
    ifNull(if(commitment_type_ = 'Savings Plan', {{ col('savings_plan_offering_type') }},
              {{ col('pricing_offering_class') }}), '')                 AS offering_type,
    ifNull({{ col('savings_plan_region') }}, '')                        AS savings_plan_region,
    ifNull({{ col('savings_plan_instance_type_family') }}, '')          AS savings_plan_instance_type_family,
    toFloat64OrZero(toString(ifNull({{ col('reservation_number_of_reservations', 'NULL') }}, ''))) AS number_of_reservations,
    _dlt_load_id                                                        AS load_id
FROM items
WHERE commitment_type_ != ''
