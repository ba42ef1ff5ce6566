-- FOCUS 1.4 Contract Commitment dataset (FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec,
-- specification/datasets/contract_commitment/dataset.md and columns/*.md, "Introduced (version)" 1.3 / 1.4): one row
-- per AWS Savings Plan and Reserved Instance, GCP committed use discount and Azure reservation / savings plan, with the
-- spec's column names, types
-- and allowed values.
-- Sources: the CUR fee lines (int_aws__commitment_line_items; savings_plan_* / reservation_* inventory columns), and
-- Google's CUD metadata export (int_gcp__cud_commitments; GCP columns: see the GCP SELECT below).
-- Azure reservations and savings plans from the purchase rows of Microsoft's FOCUS export (int_azure__cost_line_items;
-- see the Azure SELECT below).
-- Left out: commitments the CUR gives no start or end for (the period columns MUST NOT be null), GCP CUDs when the
-- CUD metadata export is not loaded (the billing export has no term), and Azure commitments whose purchase is not in
-- the loaded data or has no term (x_SkuTerm).
-- AWS, column by column:
-- * ContractCommitmentCost ("the monetary value of the contract commitment"): the purchased commitment of the
--   loaded months scaled to the whole term by time, exactly: purchased x term seconds / the seconds of the term those
--   fee lines cover (SP fee lines are hourly / daily, the RIFee line spans its month).
-- * ContractCommitmentDiscountPercentage (1 - contracted / list price): 1 - effective cost / public on-demand cost
--   of the usage the commitment covered in the loaded months; NULL when it covered nothing yet.
-- * ContractCommitmentPaymentModel: the CUR payment option, else from the amounts (no upfront part: No Upfront,
--   only upfront: All Upfront, else Partial Upfront); ContractCommitmentPaymentUpfrontPercentage: the upfront share
--   of the purchased amount (1 for All Upfront, 0 for No Upfront, as the spec requires).
-- * ContractCommitmentOfferCategory: Negotiated when the net commitment (savings_plan_net_* / reservation_net_*)
--   is below the gross, else Public.
-- * ContractCommitmentLifecycleStatus as of ContractCommitmentLastUpdated (the newest usage end of the
--   commitment's lines): Pending before the start, Expired from the end, else Active.
-- * ContractCommitmentApplicability: {"IsComplexScope": true}: which usage an SP or RI covers (usage types,
--   instance size flexibility, OS, tenancy) exceeds the object's schema, which the spec allows for exactly this.
-- * ContractCommitmentCreated: the term start (the CUR has no purchase time); ContractId: the commitment's ARN
--   (an SP or RI is its own contract); ContractCommitmentQuantity / Unit: an RI's number of reservations in
--   Instances, NULL for Savings Plans (a spend commitment: the cost is the amount).
-- PricingCurrency and PricingCurrencyContractCommitmentCost are conditional and left out: the CUR bills commitments
-- in their pricing currency.
{#- A term of whole months as FOCUS writes a duration: whole years in years ('1 Year', '3 Years'), else months. -#}
{%- macro duration_of_months(months) -%}
if({{ months }} % 12 = 0, concat(toString(intDiv({{ months }}, 12)), if({{ months }} = 12, ' Year', ' Years')),
   concat(toString({{ months }}), if({{ months }} = 1, ' Month', ' Months')))
{%- endmacro %}
WITH
    lines AS
    (
        SELECT *,
               toDecimal128(greatest(dateDiff('second', greatest(usage_start, commitment_start_), least(usage_end, commitment_end_)), 0), 10)
                   AS covered_seconds_
        FROM
        (
            SELECT
                l.*,
                i.start_ AS commitment_start_,
                i.end_ AS commitment_end_
            FROM {{ ref('int_aws__commitment_line_items') }} AS l
            INNER JOIN
            (
                SELECT commitment_arn,
                       argMaxIf(commitment_start, billing_period, commitment_start IS NOT NULL) AS start_,
                       argMaxIf(commitment_end, billing_period, commitment_end IS NOT NULL) AS end_
                FROM {{ ref('int_aws__commitment_line_items') }}
                GROUP BY commitment_arn
                HAVING start_ IS NOT NULL AND end_ IS NOT NULL
            ) AS i ON i.commitment_arn = l.commitment_arn
        )
    ),
    commitments AS
    (
        SELECT
            commitment_arn,
            any(commitment_type) AS type_,
            any(currency) AS currency_,
            assumeNotNull(any(commitment_start_)) AS start_,
            assumeNotNull(any(commitment_end_)) AS end_,
            sum(commitment_cost) AS purchased_,
            sum(net_commitment_cost) AS net_purchased_,
            sum(amortized_upfront_cost) AS upfront_,
            sumIf(covered_seconds_, commitment_cost != 0) AS purchased_seconds_,
            sum(covered_on_demand_cost) AS covered_on_demand_,
            sum(covered_effective_cost) AS covered_effective_,
            argMaxIf(description, billing_period, fee_cost != 0 OR commitment_cost != 0) AS description_,
            argMaxIf(purchase_term, billing_period, purchase_term != '') AS term_,
            argMaxIf(payment_option, billing_period, payment_option != '') AS payment_option_,
            max(number_of_reservations) AS reservations_,
            max(usage_end) AS last_updated_
        FROM lines
        GROUP BY commitment_arn
    ),
    shaped AS
    (
        SELECT
            *,
            multiIf(payment_option_ IN ('No Upfront', 'Partial Upfront', 'All Upfront'), payment_option_,
                    upfront_ = 0, 'No Upfront', upfront_ = purchased_, 'All Upfront', 'Partial Upfront') AS payment_model_,
            toDecimal128(dateDiff('second', start_, end_), 10) AS term_seconds_,
            dateDiff('month', start_, end_) AS term_months_
        FROM commitments
    )
SELECT
    currency_                                                             AS BillingCurrency,
    '{"IsComplexScope": true}'                                            AS ContractCommitmentApplicability,
    'Discount'                                                            AS ContractCommitmentBenefitCategory,
    if(type_ = 'Savings Plan', 'Spend', 'Usage')                          AS ContractCommitmentCategory,
    CAST({{ mul_div('purchased_', 'term_seconds_', 'purchased_seconds_') }} AS Nullable(Decimal(38, 10))) AS ContractCommitmentCost,
    toDateTime(start_, 'UTC')                                             AS ContractCommitmentCreated,
    CAST(nullIf(description_, '') AS Nullable(String))                    AS ContractCommitmentDescription,
    CAST(if(covered_on_demand_ = 0, NULL,
            toDecimal128(1, 10) - {{ div_money('covered_effective_', 'covered_on_demand_') }}) AS Nullable(Decimal(38, 10)))
                                                                          AS ContractCommitmentDiscountPercentage,
    multiIf(term_ = '1yr', '1 Year', term_ = '3yr', '3 Years',
            {{ duration_of_months('term_months_') }}) AS ContractCommitmentDurationType,
    'Hourly'                                                              AS ContractCommitmentFulfillmentInterval,
    commitment_arn                                                        AS ContractCommitmentId,
    toDateTime(last_updated_, 'UTC')                                      AS ContractCommitmentLastUpdated,
    multiIf(start_ > last_updated_, 'Pending', end_ <= last_updated_, 'Expired', 'Active') AS ContractCommitmentLifecycleStatus,
    'Continuous'                                                          AS ContractCommitmentModel,
    if(net_purchased_ < purchased_, 'Negotiated', 'Public')               AS ContractCommitmentOfferCategory,
    if(payment_model_ = 'All Upfront', 'One-Time', 'Monthly')             AS ContractCommitmentPaymentInterval,
    payment_model_                                                        AS ContractCommitmentPaymentModel,
    multiIf(payment_model_ = 'All Upfront', toDecimal128(1, 10), payment_model_ = 'No Upfront', toDecimal128(0, 10),
            {{ div_money('upfront_', 'purchased_', if_zero='toDecimal128(0, 10)') }}) AS ContractCommitmentPaymentUpfrontPercentage,
    toDateTime(end_, 'UTC')                                               AS ContractCommitmentPeriodEnd,
    toDateTime(start_, 'UTC')                                             AS ContractCommitmentPeriodStart,
    CAST(if(type_ = 'Reserved Instance' AND reservations_ > 0, toDecimal128(toString(reservations_), 10), NULL)
         AS Nullable(Decimal(38, 10)))                                    AS ContractCommitmentQuantity,
    type_                                                                 AS ContractCommitmentType,
    CAST(if(type_ = 'Reserved Instance' AND reservations_ > 0, 'Instances', NULL) AS Nullable(String)) AS ContractCommitmentUnit,
    commitment_arn                                                        AS ContractId,
    toDateTime(end_, 'UTC')                                               AS ContractPeriodEnd,
    toDateTime(start_, 'UTC')                                             AS ContractPeriodStart,
    'AWS'                                                                 AS InvoiceIssuerName,
    'AWS'                                                                 AS ServiceProviderName
FROM shaped

UNION ALL

-- GCP committed use discounts (Google's CUD metadata export: spend-based CUDs), column by column:
-- * ContractCommitmentCost: the hourly spend committed x the hours of the term (start to end), when the amount is
--   an hourly spend in the billing currency (int_gcp__cud_commitments.hourly_amount); else NULL.
-- * ContractCommitmentCategory: Spend for a spend-based CUD (cud_product.type), else Usage; Type: the CUD product's
--   name (e.g. Flexible CUD); Description: the name given at purchase.
-- * DurationType from the ISO 8601 term (P1Y -> '1 Year', P3Y -> '3 Years', P6M -> '6 Months'), else from the dates.
-- * Payment: a CUD is paid by its fees as it runs, nothing upfront: No Upfront, Monthly (the invoice), 0.
-- * LifecycleStatus: the export's state (Active, Expired, Pending, Canceled), else from the dates as of
--   LastUpdated (when the commitment's current values were first read).
-- * DiscountPercentage: NULL: a spend-based CUD's discount is per SKU of its consumption model, and the CUD credits
--   of the cost exports are per pool, not per commitment. Quantity / Unit: NULL (a spend commitment).
SELECT
    billing_currency                                                      AS BillingCurrency,
    '{"IsComplexScope": true}'                                            AS ContractCommitmentApplicability,
    'Discount'                                                            AS ContractCommitmentBenefitCategory,
    if(positionCaseInsensitive(cud_product_type, 'spend') > 0 OR cud_product_type = '', 'Spend', 'Usage')
                                                                          AS ContractCommitmentCategory,
    CAST(if(amount_currency = billing_currency,
            {{ mul_div('hourly_amount', "dateDiff('second', commitment_start, commitment_end)", '3600') }}, NULL)
         AS Nullable(Decimal(38, 10)))                                    AS ContractCommitmentCost,
    toDateTime(commitment_start, 'UTC')                                   AS ContractCommitmentCreated,
    CAST(nullIf(display_name, '') AS Nullable(String))                    AS ContractCommitmentDescription,
    CAST(NULL AS Nullable(Decimal(38, 10)))                               AS ContractCommitmentDiscountPercentage,
    multiIf(match(term, '^P1Y$'), '1 Year',
            match(term, '^P[0-9]+Y$'), concat(extract(term, '^P([0-9]+)Y$'), ' Years'),
            match(term, '^P1M$'), '1 Month',
            match(term, '^P[0-9]+M$'), concat(extract(term, '^P([0-9]+)M$'), ' Months'),
            {{ duration_of_months("dateDiff('month', commitment_start, commitment_end)") }})
                                                                          AS ContractCommitmentDurationType,
    'Hourly'                                                              AS ContractCommitmentFulfillmentInterval,
    commitment_id                                                         AS ContractCommitmentId,
    last_updated                                                          AS ContractCommitmentLastUpdated,
    multiIf(lower(state) = 'active', 'Active', lower(state) = 'expired', 'Expired',
            lower(state) IN ('pending', 'approval_pending', 'creating', 'not_yet_active'), 'Pending',
            lower(state) IN ('canceled', 'cancelled'), 'Canceled',
            commitment_start > last_updated, 'Pending', commitment_end <= last_updated, 'Expired', 'Active')
                                                                          AS ContractCommitmentLifecycleStatus,
    'Continuous'                                                          AS ContractCommitmentModel,
    'Public'                                                              AS ContractCommitmentOfferCategory,
    'Monthly'                                                             AS ContractCommitmentPaymentInterval,
    'No Upfront'                                                          AS ContractCommitmentPaymentModel,
    toDecimal128(0, 10)                                                   AS ContractCommitmentPaymentUpfrontPercentage,
    toDateTime(commitment_end, 'UTC')                                     AS ContractCommitmentPeriodEnd,
    toDateTime(commitment_start, 'UTC')                                   AS ContractCommitmentPeriodStart,
    CAST(NULL AS Nullable(Decimal(38, 10)))                               AS ContractCommitmentQuantity,
    if(cud_product_name = '', 'Committed Use Discount', cud_product_name) AS ContractCommitmentType,
    CAST(NULL AS Nullable(String))                                        AS ContractCommitmentUnit,
    commitment_id                                                         AS ContractId,
    toDateTime(commitment_end, 'UTC')                                     AS ContractPeriodEnd,
    toDateTime(commitment_start, 'UTC')                                   AS ContractPeriodStart,
    'Google Cloud'                                                        AS InvoiceIssuerName,
    'Google Cloud'                                                        AS ServiceProviderName
FROM {{ ref('int_gcp__cud_commitments') }}
WHERE billing_currency != ''

UNION ALL

-- Azure reservations and savings plans, from their purchase rows in Microsoft's FOCUS export (ChargeCategory
-- Purchase with a CommitmentDiscountType or CommitmentDiscountId), one per CommitmentDiscountId (else x_SkuOrderId):
-- * the term from x_SkuTerm, "the number of months a purchase covers" (Cost Management also writes '1Year', '3Years',
--   '5Years'); without it the commitment is left out (the period columns MUST NOT be null);
-- * paid upfront (ChargeFrequency One-Time): All Upfront, One-Time, 1; start = the purchase's ChargePeriodStart;
--   ContractCommitmentCost = the purchase rows' BilledCost (a refund, a Purchase correction, nets against it); a
--   refund whose purchase is not in the loaded data gives no row (no start);
-- * paid monthly (Recurring; also a FOCUS 1.0 export's monthly savings plan payment, written Usage-Based:
--   int_azure__cost_line_items): No Upfront, Monthly, 0; start = the first payment, ContractCommitmentCost = the first
--   payment x the months of the term. A monthly commitment is listed only when its first payment is in the loaded
--   data: the month before it is loaded for that billing account and has no payment of it (else the start is unknown);
-- * end = start + term; LifecycleStatus as of LastUpdated (the newest charge period end of the account's loaded
--   data): Pending, Active, Expired from the dates, Canceled when an upfront purchase was refunded to 0 or below;
-- * Category: CommitmentDiscountCategory (Usage / Spend), else Spend for a savings plan and Usage for a reservation;
--   Type: CommitmentDiscountType; ContractId: x_SkuOrderId (the order), else the commitment's id;
-- * OfferCategory Public and DiscountPercentage, Quantity, Unit NULL: the export says nothing of a negotiated price,
--   and the discount of a reservation is per SKU of the usage it covers.
{#- x_SkuTerm as whole months: '12', '36', '1Year', '3Years', '5Years' (or ISO 8601 'P1Y', 'P6M'); 0 when absent or
    unreadable -#}
{%- set azure_term_months = "multiIf(match(term_text_, '^[0-9]+$'), toUInt32OrZero(term_text_), "
                            ~ "match(term_text_, '^([0-9]+ ?Years?|P[0-9]+Y)$'), toUInt32OrZero(extract(term_text_, '([0-9]+)')) * 12, "
                            ~ "match(term_text_, '^P[0-9]+M$'), toUInt32OrZero(extract(term_text_, '([0-9]+)')), 0)" %}
WITH
    azure_purchases AS
    (
        SELECT
            BillingAccountId AS account_,
            coalesce(nullIf(CommitmentDiscountId, ''), nullIf(x_columns['x_SkuOrderId'], '')) AS commitment_id_,
            x_columns['x_SkuOrderId'] AS order_id_,
            ChargeFrequency = 'Recurring' AS recurring_,
            ChargePeriodStart AS start_,
            billing_period,
            BilledCost AS cost_,
            BillingCurrency AS currency_,
            trim(x_columns['x_SkuTerm']) AS term_text_,
            CommitmentDiscountType AS type_,
            CommitmentDiscountCategory AS category_,
            coalesce(nullIf(CommitmentDiscountName, ''), nullIf(x_columns['x_SkuDescription'], '')) AS name_
        FROM {{ ref('int_azure__cost_line_items') }}
        WHERE ChargeCategory = 'Purchase' AND (ifNull(CommitmentDiscountType, '') != '' OR ifNull(CommitmentDiscountId, '') != '')
    ),
    azure_commitments AS
    (
        SELECT
            commitment_id_,
            any(account_) AS account_,
            anyIf(order_id_, order_id_ != '') AS order_id_,
            max(recurring_) AS recurring_,
            argMax(currency_, start_) AS currency_,
            max({{ azure_term_months }}) AS term_months_,
            argMaxIf(type_, start_, ifNull(type_, '') != '') AS type_,
            argMaxIf(category_, start_, ifNull(category_, '') != '') AS category_,
            argMaxIf(name_, start_, name_ IS NOT NULL) AS name_,
            -- the purchase (upfront) or the first payment (monthly): the earliest row with a cost; a correction
            -- (refund) alone, of a purchase before the loaded data, gives no start
            countIf(cost_ > 0) AS payments_,
            minIf(start_, cost_ > 0) AS first_payment_start_,
            argMinIf(cost_, start_, cost_ > 0) AS first_payment_,
            argMinIf(billing_period, start_, cost_ > 0) AS first_payment_period_,
            sum(cost_) AS net_cost_
        FROM azure_purchases
        WHERE commitment_id_ IS NOT NULL
        GROUP BY commitment_id_
    ),
    azure_accounts AS
    (
        SELECT BillingAccountId AS account_, groupUniqArray(billing_period) AS months_, max(ChargePeriodEnd) AS last_updated_
        FROM {{ ref('int_azure__cost_line_items') }}
        GROUP BY BillingAccountId
    ),
    azure_shaped AS
    (
        SELECT
            c.*,
            a.last_updated_,
            first_payment_start_ AS commitment_start_,
            addMonths(commitment_start_, term_months_) AS commitment_end_,
            -- a monthly commitment's first payment: the month before it is loaded and has no payment of it
            payments_ > 0 AND (NOT recurring_
                               OR has(a.months_, formatDateTime(subtractMonths(toDate(first_payment_period_ || '-01'), 1), '%Y-%m')))
                                                                          AS start_known_
        FROM azure_commitments AS c
        INNER JOIN azure_accounts AS a ON a.account_ = c.account_
        WHERE term_months_ > 0
    )
SELECT
    currency_                                                             AS BillingCurrency,
    '{"IsComplexScope": true}'                                            AS ContractCommitmentApplicability,
    'Discount'                                                            AS ContractCommitmentBenefitCategory,
    multiIf(category_ IN ('Usage', 'Spend'), assumeNotNull(category_), type_ = 'Savings Plan', 'Spend', 'Usage')
                                                                          AS ContractCommitmentCategory,
    CAST(if(recurring_, first_payment_ * toDecimal128(term_months_, 0), net_cost_) AS Nullable(Decimal(38, 10)))
                                                                          AS ContractCommitmentCost,
    commitment_start_                                                     AS ContractCommitmentCreated,
    CAST(name_ AS Nullable(String))                                       AS ContractCommitmentDescription,
    CAST(NULL AS Nullable(Decimal(38, 10)))                               AS ContractCommitmentDiscountPercentage,
    {{ duration_of_months('term_months_') }}                              AS ContractCommitmentDurationType,
    'Hourly'                                                              AS ContractCommitmentFulfillmentInterval,
    assumeNotNull(commitment_id_)                                         AS ContractCommitmentId,
    last_updated_                                                         AS ContractCommitmentLastUpdated,
    multiIf(NOT recurring_ AND net_cost_ <= 0, 'Canceled', commitment_start_ > last_updated_, 'Pending',
            commitment_end_ <= last_updated_, 'Expired', 'Active')        AS ContractCommitmentLifecycleStatus,
    'Continuous'                                                          AS ContractCommitmentModel,
    'Public'                                                              AS ContractCommitmentOfferCategory,
    if(recurring_, 'Monthly', 'One-Time')                                 AS ContractCommitmentPaymentInterval,
    if(recurring_, 'No Upfront', 'All Upfront')                           AS ContractCommitmentPaymentModel,
    toDecimal128(if(recurring_, 0, 1), 10)                                AS ContractCommitmentPaymentUpfrontPercentage,
    commitment_end_                                                       AS ContractCommitmentPeriodEnd,
    commitment_start_                                                     AS ContractCommitmentPeriodStart,
    CAST(NULL AS Nullable(Decimal(38, 10)))                               AS ContractCommitmentQuantity,
    if(ifNull(type_, '') = '', 'Reservation', assumeNotNull(type_))       AS ContractCommitmentType,
    CAST(NULL AS Nullable(String))                                        AS ContractCommitmentUnit,
    if(order_id_ = '', assumeNotNull(commitment_id_), order_id_)          AS ContractId,
    commitment_end_                                                       AS ContractPeriodEnd,
    commitment_start_                                                     AS ContractPeriodStart,
    'Microsoft'                                                           AS InvoiceIssuerName,
    'Microsoft'                                                           AS ServiceProviderName
FROM azure_shaped
WHERE start_known_
