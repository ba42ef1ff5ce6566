-- finops.cost_anomalies: days on which the usage cost (effective cost of ChargeCategory 'Usage') of a
-- service in an account jumped above its trailing 14 and 28 days. Days without cost count as 0 in
-- the trailing windows. A day is flagged when the series has at least anomaly.min_history_days days
-- of history, and actual - mean of the previous 14 days (expected_cost) >= anomaly.min_abs_change,
-- and that jump is >= anomaly.min_pct_change of expected_cost, and actual is >= anomaly.z_score
-- standard deviations above the mean of the previous 28 days (any jump counts when those 28 days
-- were flat). Built from the daily rollups (small), fully on every run: a reload of one month also
-- changes the baselines of the following month.
{%- set a = config.anomaly %}
{% call rebuild('cost_anomalies', partitioned=false) %}
WITH
    daily AS
    (
        SELECT provider, account_id, any(account_name) AS account_name, service_name, currency, usage_date,
               any(month) AS month, toInt64(toUInt32(usage_date)) AS day_number, sum(effective_cost) AS cost
        FROM finops.cost_daily
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
    scored AS
    (
        SELECT
            *,
            toUInt32(day_number - first_day)                                AS history_days,
            least(history_days, 14)                                         AS n_14,
            least(history_days, 28)                                         AS n_28,
            if(n_14 = 0, toDecimal128(0, 10), toDecimal128(sum_14 / greatest(n_14, 1), 10)) AS expected,
            if(n_28 = 0, toDecimal128(0, 10), toDecimal128(sum_28 / greatest(n_28, 1), 10)) AS mean_28,
            if(n_28 = 0, 0., sqrt(greatest(sum_squares_28 / n_28 - pow(toFloat64(mean_28), 2), 0.))) AS stddev_28,
            cost - expected                                                 AS jump_amount,
            if(expected > 0, toFloat64(jump_amount) / toFloat64(expected), NULL) AS jump_ratio,
            if(stddev_28 > 1e-9, (toFloat64(cost) - toFloat64(mean_28)) / stddev_28, NULL) AS z
        FROM windows
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
    mean_28,
    stddev_28,
    jump_amount     AS jump,
    jump_ratio      AS jump_pct,
    z               AS z_score,
    history_days
FROM scored
WHERE history_days >= {{ lit(a.min_history_days) }}
  AND jump_amount >= {{ lit(a.min_abs_change) }}
  AND (jump_ratio IS NULL OR jump_ratio >= {{ lit(a.min_pct_change) }})
  AND (z IS NULL OR z >= {{ lit(a.z_score) }})
{% endcall %}
