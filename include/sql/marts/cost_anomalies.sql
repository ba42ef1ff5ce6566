-- finops.cost_anomalies: days on which the usage cost (effective cost of ChargeCategory 'Usage') of a
-- service in an account jumped above its trailing 14 and 28 days. Days without cost count as 0 in
-- the trailing windows. A day is flagged when the series has at least anomaly.min_history_days days
-- of history, and actual - mean of the previous 14 days (expected_cost) >= anomaly.min_abs_change,
-- and that jump is >= anomaly.min_pct_change of expected_cost, and actual is >= anomaly.z_score
-- standard deviations above the mean of the previous 28 days (any jump counts when those 28 days
-- were flat). min_abs_change is in the reporting currency (finops_sql_config.reporting_currency; the
-- jump converted with finops.fx_rates; a currency without a rate is compared unconverted): 10 JPY is not
-- 10 USD. A charge that recurs monthly on the 1st (a monthly usage fee) is judged against the same
-- series' 1st of the previous month, not against the quiet days before it, so it is not flagged every
-- month. Built from the daily rollups (small), fully on every run: a reload of one month also changes
-- the baselines of the following month.
{%- set a = config.anomaly %}
WITH
    daily AS
    (
        SELECT provider, account_id, any(account_name) AS account_name, service_name, currency, usage_date,
               any(month) AS month, toInt64(toUInt32(usage_date)) AS day_number, sum(effective_cost) AS cost
        FROM {{ ref('int_cloud_cost_daily') }}
        WHERE charge_category = 'Usage'
        GROUP BY provider, account_id, service_name, currency, usage_date
    ),
    windows AS
    (
        SELECT
            *,
            sum(cost) OVER w14                                   AS sum_14,
            sum(cost) OVER w28                                   AS sum_28,
            sum(toFloat64(cost) * toFloat64(cost)) OVER w28      AS sum_squares_28,
            min(day_number) OVER (PARTITION BY provider, account_id, service_name, currency) AS first_day
        FROM daily
        WINDOW
            w14 AS (PARTITION BY provider, account_id, service_name, currency ORDER BY day_number
                    RANGE BETWEEN 14 PRECEDING AND 1 PRECEDING),
            w28 AS (PARTITION BY provider, account_id, service_name, currency ORDER BY day_number
                    RANGE BETWEEN 28 PRECEDING AND 1 PRECEDING)
    ),
    firsts AS
    (
        SELECT provider AS f_provider, account_id AS f_account_id, service_name AS f_service_name,
               currency AS f_currency, usage_date AS f_date, cost AS first_cost
        FROM daily
        WHERE toDayOfMonth(usage_date) = 1
    ),
    fx AS
    (
        -- the rate of each series' currency and of the reporting currency, per month (latest earlier month)
        SELECT c.currency AS fx_currency, c.month_start AS fx_month, r.rate_to_usd AS rate
        FROM (SELECT DISTINCT upper(currency) AS currency, toStartOfMonth(usage_date) AS month_start FROM daily) AS c
        ASOF LEFT JOIN (SELECT currency, month_start, rate_to_usd FROM {{ ref('fx_rates') }}) AS r
            ON r.currency = c.currency AND c.month_start >= r.month_start
    ),
    reporting_fx AS
    (
        SELECT c.month_start AS reporting_month, r.rate_to_usd AS reporting_rate
        FROM (SELECT DISTINCT toStartOfMonth(usage_date) AS month_start, {{ lit(config.reporting_currency) }} AS reporting
              FROM daily) AS c
        ASOF LEFT JOIN (SELECT currency, month_start, rate_to_usd FROM {{ ref('fx_rates') }}) AS r
            ON r.currency = c.reporting AND c.month_start >= r.month_start
    ),
    scored AS
    (
        SELECT
            w.*,
            fx.rate                                                         AS rate,
            rf.reporting_rate                                               AS reporting_rate,
            toUInt32(day_number - first_day)                                AS history_days,
            least(history_days, 14)                                         AS n_14,
            least(history_days, 28)                                         AS n_28,
            if(n_14 = 0, toDecimal128(0, 10), toDecimal128(sum_14 / greatest(n_14, 1), 10)) AS expected,
            if(n_28 = 0, toDecimal128(0, 10), toDecimal128(sum_28 / greatest(n_28, 1), 10)) AS mean_28,
            if(n_28 = 0, 0., sqrt(greatest(sum_squares_28 / n_28 - pow(toFloat64(mean_28), 2), 0.))) AS stddev_28,
            cost - expected                                                 AS jump_amount,
            if(expected > 0, toFloat64(jump_amount) / toFloat64(expected), NULL) AS jump_ratio,
            if(stddev_28 > 1e-9, (toFloat64(cost) - toFloat64(mean_28)) / stddev_28, NULL) AS z,
            ifNull(p.first_cost, toDecimal128(0, 10))                       AS previous_first,
            toDayOfMonth(w.usage_date) = 1 AND previous_first > 0           AS monthly_posting,
            if(rate = 0 OR reporting_rate = 0, NULL, {{ fx_convert('jump_amount', 'rate', 'reporting_rate') }}) AS jump_reporting,
            if(rate = 0 OR reporting_rate = 0, cost - previous_first,
               {{ fx_convert('cost - previous_first', 'rate', 'reporting_rate') }}) AS monthly_jump_reporting
        FROM windows AS w
        LEFT JOIN fx ON fx.fx_currency = upper(w.currency) AND fx.fx_month = toStartOfMonth(w.usage_date)
        LEFT JOIN reporting_fx AS rf ON rf.reporting_month = toStartOfMonth(w.usage_date)
        LEFT JOIN firsts AS p
            ON p.f_provider = w.provider AND p.f_account_id = w.account_id AND p.f_service_name = w.service_name
           AND p.f_currency = w.currency AND p.f_date = addMonths(w.usage_date, -1)
    )
SELECT
    provider,
    usage_date,
    month,
    account_id,
    account_name,
    service_name,
    currency,
    cost            AS actual_cost,
    expected        AS expected_cost,
    mean_28         AS mean_28d,
    stddev_28       AS stddev_28d,
    jump_amount     AS jump,
    jump_ratio      AS jump_pct,
    z               AS z_score,
    history_days,
    jump_reporting  AS jump_in_reporting_currency
FROM scored
WHERE history_days >= {{ lit(a.min_history_days) }}
  AND ifNull(jump_reporting, jump_amount) >= {{ lit(a.min_abs_change) }}
  AND (jump_ratio IS NULL OR jump_ratio >= {{ lit(a.min_pct_change) }})
  AND (z IS NULL OR z >= {{ lit(a.z_score) }})
  -- a monthly posting on the 1st: flagged only when it jumped against last month's 1st
  AND (NOT monthly_posting
       OR (monthly_jump_reporting >= {{ lit(a.min_abs_change) }}
           AND toFloat64(cost - previous_first) >= {{ lit(a.min_pct_change) }} * toFloat64(previous_first)))
