-- finops.cost_forecast: month-end cost per provider, service and currency (effective cost), from the
-- month to date. The month to date ends at the provider's newest usage day in that month (as_of_date).
-- Usage charges are projected to the month's end; other charges (tax, credits, purchases) count as
-- they are so far.
--   run_rate_forecast  usage so far / elapsed days * days in month
--   trend_forecast     usage so far + the remaining days of a least-squares line through the daily
--                      usage cost of the elapsed days (days without cost count as 0; never below 0)
--   forecast           trend_forecast once forecast.min_trend_days days have elapsed, else run rate
-- A complete month's forecast equals its actual cost.
CREATE OR REPLACE VIEW finops.cost_forecast AS
WITH
    daily AS
    (
        SELECT provider, month, service_name, currency, usage_date,
               sumIf(effective_cost, charge_category = 'Usage')  AS usage_cost,
               sumIf(effective_cost, charge_category != 'Usage') AS other_cost
        FROM finops.cost_daily
        GROUP BY provider, month, service_name, currency, usage_date
    ),
    as_of AS
    (
        SELECT provider, month, max(usage_date) AS as_of_date
        FROM finops.cost_daily
        WHERE toStartOfMonth(usage_date) = toDate(concat(month, '-01'))
        GROUP BY provider, month
    ),
    sums AS
    (
        SELECT
            d.provider                                                       AS provider,
            d.month                                                          AS month,
            d.service_name                                                   AS service_name,
            d.currency                                                       AS currency,
            o.as_of_date                                                     AS as_of_date,
            toDayOfMonth(as_of_date)                                         AS elapsed_days,
            toDayOfMonth(toLastDayOfMonth(as_of_date))                       AS days_in_month,
            -- usage of the month's own days (up to the as-of day) is projected; the rest is counted
            sumIf(d.usage_cost, toStartOfMonth(d.usage_date) = toStartOfMonth(as_of_date)
                                AND d.usage_date <= as_of_date)              AS usage_to_date,
            sum(d.usage_cost) + sum(d.other_cost) - usage_to_date            AS other_to_date,
            sumIf(toFloat64(d.usage_cost) * toDayOfMonth(d.usage_date),
                  toStartOfMonth(d.usage_date) = toStartOfMonth(as_of_date)
                  AND d.usage_date <= as_of_date)                            AS sum_xy
        FROM daily AS d
        INNER JOIN as_of AS o ON o.provider = d.provider AND o.month = d.month
        GROUP BY d.provider, d.month, d.service_name, d.currency, o.as_of_date
    ),
    fitted AS
    (
        SELECT
            *,
            toFloat64(elapsed_days)                                          AS n,
            n * (n + 1) / 2                                                  AS sum_x,
            n * (n + 1) * (2 * n + 1) / 6                                    AS sum_xx,
            toFloat64(usage_to_date)                                         AS sum_y,
            if(n < 2, 0., (n * sum_xy - sum_x * sum_y) / (n * sum_xx - sum_x * sum_x)) AS slope,
            (sum_y - slope * sum_x) / n                                      AS intercept,
            toFloat64(days_in_month)                                         AS m,
            greatest(slope * (m * (m + 1) / 2 - sum_x) + intercept * (m - n), 0.) AS remaining_trend,
            sum_y / n * (m - n)                                              AS remaining_run_rate
        FROM sums
    )
SELECT
    provider,
    month,
    service_name,
    currency,
    as_of_date,
    elapsed_days,
    days_in_month,
    usage_to_date + other_to_date                                            AS cost_to_date,
    toDecimal128(usage_to_date + other_to_date, 10)
        + toDecimal128(round(remaining_run_rate, 6), 10)                     AS run_rate_forecast,
    toDecimal128(usage_to_date + other_to_date, 10)
        + toDecimal128(round(remaining_trend, 6), 10)                        AS trend_forecast,
    if(elapsed_days >= {{ lit(config.forecast.min_trend_days) }}, trend_forecast, run_rate_forecast) AS forecast,
    round(slope, 6)                                                          AS daily_trend
FROM fitted;
