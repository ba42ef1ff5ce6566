-- finops.cost_forecast: month-end cost per provider, service and currency (effective cost), from the
-- month to date, for every provider (AWS, GCP, Azure) and every input of it that counts (int_cloud_cost_inputs:
-- the CUR or AWS's FOCUS export, the billing export or Google's FOCUS table, per account and month).
--   as of          the newest usage end of the provider's hourly / daily line items in that month: a partial
--                  current day counts as the part of the day it covers (elapsed_days may be 14.5)
--   projected      charge series (service, charge type) that recur through the month: usage, credits and
--                  recurring fees posted on a day after the 1st (on the 1st itself, usage is projected)
--   counted as is  lump sums posted once a month on its first day (RI fees, monthly usage fees, support),
--                  and cost dated outside the month
--   run_rate_forecast  to date + projected so far * (month - elapsed) / elapsed (exact Decimal)
--   trend_forecast     to date + the rest of a least-squares line through the projected cost of the
--                      complete elapsed days (days without cost count as 0; never below 0)
--   forecast           trend_forecast once forecast.min_trend_days days have elapsed, else run rate
--   billed_cost_to_date, billed_forecast  the same for the billed cost, its series projected on their own billed
--                  days (budget_status forecasts billed cost: a fully used Savings Plan's hourly fee is billed
--                  every day but amortizes to 0; an RI fee is billed once on the 1st but amortizes into usage);
--                  one-time purchases (ChargeCategory Purchase, ChargeFrequency One-Time: the CUR's upfront fees, the
--                  FOCUS exports' One-Time Purchase rows) and Azure's purchases count as they are on any day
-- A complete month's forecast equals its actual cost.
{%- from 'cost_inputs.jinja' import counted_input %}
{#- One method for the effective and the billed cost (`p` = '' or 'billed_'): the least-squares line through a
    basis' projected daily cost (sum_y, sum_xy) and the cost it still adds; run rate, trend and the forecast. -#}
{%- macro trend_line(p) %}
            if(n < 2, 0., (n * {{ p }}sum_xy - sum_x * {{ p }}sum_y) / (n * sum_xx - sum_x * sum_x)) AS {{ p }}slope,
            if(n < 1, 0., ({{ p }}sum_y - {{ p }}slope * sum_x) / n) AS {{ p }}intercept,
            -- the rest of the partial day, then the remaining whole days, on the fitted line
            if(n >= m, 0., greatest(({{ p }}intercept + {{ p }}slope * (n + 1)) * (1 - partial_fraction)
                     + if(m > n + 1, {{ p }}slope * ((m * (m + 1) - (n + 1) * (n + 2)) / 2) + {{ p }}intercept * (m - n - 1), 0.), 0.))
                                                                             AS {{ p }}remaining_trend
{%- endmacro %}
{%- macro run_rate(to_date, projected) -%}
{{ to_date }} + {{ mul_div(projected, 'toDecimal128(month_seconds - elapsed_seconds, 0)',
                              'toDecimal128(elapsed_seconds, 0)', if_zero='toDecimal128(0, 10)') }}
{%- endmacro %}
{%- macro trend(to_date, run_rate_, remaining) -%}
if(complete_days < 1 OR elapsed_seconds >= month_seconds, {{ run_rate_ }},
       {{ to_date }} + toDecimal128(round({{ remaining }}, 6), 10))
{%- endmacro %}
{%- macro chosen(trend_, run_rate_) -%}
if(elapsed_seconds / 86400. >= {{ lit(config.forecast.min_trend_days) }}, {{ trend_ }}, {{ run_rate_ }})
{%- endmacro %}
{#- Every input of every provider: its line items, month, and charge period columns; each read only where
    int_cloud_cost_inputs counts it, as int_cloud_cost_daily reads them (a month loaded only from a FOCUS export
    has its as-of too). -#}
{%- set inputs = [
    ('aws', ref('int_aws__cost_line_items'), 'billing_period', 'usage_start', 'usage_end',
     counted_input(ref('int_cloud_cost_inputs'), 'aws', 'cur', 'payer_account_id', 'billing_period')),
    ('aws', ref('int_aws__focus_line_items'), 'billing_period', 'ChargePeriodStart', 'ChargePeriodEnd',
     counted_input(ref('int_cloud_cost_inputs'), 'aws', 'focus_export', 'BillingAccountId', 'billing_period')),
    ('gcp', ref('int_gcp__cost_line_items'), 'invoice_month', 'usage_start', 'usage_end',
     counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'billing_export', 'billing_account_id', 'invoice_month')),
    ('gcp', ref('int_gcp__focus_line_items'), 'invoice_month', 'ChargePeriodStart', 'ChargePeriodEnd',
     counted_input(ref('int_cloud_cost_inputs'), 'gcp', 'focus_export', 'BillingAccountId', 'invoice_month')),
    ('azure', ref('int_azure__cost_line_items'), 'billing_period', 'ChargePeriodStart', 'ChargePeriodEnd', '1 = 1'),
] %}
WITH
    as_of AS
    (
        -- how far a provider's month has run: charges covering at most a day mark it (a monthly fee ends at
        -- month end)
        SELECT provider, month, max(last_end) AS as_of_time
        FROM
        (
{%- for provider, model, month, start, end_, counted in inputs %}
            SELECT {{ lit(provider) }} AS provider, {{ month }} AS month,
                   toDateTime(if(countIf({{ end_ }} <= {{ start }} + INTERVAL 1 DAY) > 0,
                                 maxIf({{ end_ }}, {{ end_ }} <= {{ start }} + INTERVAL 1 DAY), max({{ end_ }})), 'UTC') AS last_end
            FROM {{ model }}
            WHERE toStartOfMonth(usage_date) = toDate(concat({{ month }}, '-01')) AND {{ in_periods(month) }}
              AND {{ counted }}
            GROUP BY {{ month }}
            {{- "\n            UNION ALL" if not loop.last }}
{%- endfor %}
        )
        GROUP BY provider, month
    ),
    newest AS
    (
        -- each provider's newest month with usage in it, over all months (a per-month rebuild reads only its months)
        SELECT provider, max(newest) AS month
        FROM
        (
{%- for provider, model, month, start, end_, counted in inputs %}
            SELECT {{ lit(provider) }} AS provider, max({{ month }}) AS newest
            FROM {{ model }}
            WHERE toStartOfMonth(usage_date) = toDate(concat({{ month }}, '-01'))
            {{- "\n            UNION ALL" if not loop.last }}
{%- endfor %}
        )
        WHERE newest != ''
        GROUP BY provider
    ),
    bounds AS
    (
        -- a month is over once the provider has usage of a later month (sparse data may end before midnight);
        -- as_of is read once here (a CTE is planned again at every reference, and this one unions five inputs)
        SELECT
            a.provider AS provider, a.month AS month,
            toDateTime(concat(a.month, '-01 00:00:00'), 'UTC')                        AS month_start,
            toInt64(dateDiff('second', month_start, addMonths(month_start, 1)))     AS month_seconds,
            toInt64(if(n.month > a.month, month_seconds,
                       least(greatest(dateDiff('second', month_start, a.as_of_time), 1), month_seconds))) AS elapsed_seconds,
            toDate(addSeconds(month_start, elapsed_seconds - 1))                    AS as_of_date,
            intDiv(elapsed_seconds, 86400)                                          AS complete_days,
            (elapsed_seconds % 86400) / 86400.                                      AS partial_fraction
        FROM as_of AS a
        LEFT JOIN newest AS n ON n.provider = a.provider
    ),
    daily AS
    (
        SELECT d.provider AS provider, d.month AS month, d.service_name AS service_name, d.currency AS currency,
               d.charge_type AS charge_type, d.charge_category AS charge_category,
               d.charge_frequency AS charge_frequency, d.usage_date AS usage_date,
               sum(d.effective_cost) AS cost, sum(d.billed_cost) AS billed,
               any(b.month_start) AS month_start, any(b.as_of_date) AS as_of_date
        FROM {{ ref('int_cloud_cost_daily') }} AS d
        INNER JOIN bounds AS b ON b.provider = d.provider AND b.month = d.month
        WHERE {{ in_periods('d.month') }}
        GROUP BY provider, month, service_name, currency, charge_type, charge_category, charge_frequency, usage_date
    ),
    series AS
    (
        -- one charge series (service, charge type and category, currency) of a month: recurring or a lump sum?
        -- (one charge type can hold two categories: GCP's regular rows are Usage, and Purchase for commitment fees);
        -- billed and effective cost apart: a series can recur in one and be a lump sum (or 0) in the other
        SELECT provider, month, service_name, currency, charge_type, charge_category, charge_frequency,
               charge_category = 'Usage' AND any(as_of_date) = toDate(any(month_start)) AS first_day_usage,
               uniqExactIf(usage_date, cost != 0 AND usage_date > toDate(month_start) AND usage_date <= as_of_date) > 0
                   OR first_day_usage AS projected,
               -- one-time purchases bill on their purchase day, also after the 1st, and amortize to 0 in effective
               -- cost: count them as they are, by FOCUS's ChargeFrequency whichever input holds them (the CUR's upfront
               -- Fee / SavingsPlanUpfrontFee, an RI or Savings Plan bought upfront in AWS's FOCUS export); Azure's
               -- Recurring Purchase rows too (a reservation's monthly payment on its purchase day, not a daily fee)
               NOT (charge_category = 'Purchase' AND (charge_frequency = 'One-Time' OR provider = 'azure'))
               AND (uniqExactIf(usage_date, billed != 0 AND usage_date > toDate(month_start) AND usage_date <= as_of_date) > 0
                    OR first_day_usage) AS billed_projected
        FROM daily
        GROUP BY provider, month, service_name, currency, charge_type, charge_category, charge_frequency
    ),
    sums AS
    (
        SELECT
            d.provider AS provider, d.month AS month, d.service_name AS service_name, d.currency AS currency,
            any(b.as_of_date) AS as_of_date, any(b.month_seconds) AS month_seconds,
            any(b.elapsed_seconds) AS elapsed_seconds, any(b.complete_days) AS complete_days,
            any(b.partial_fraction) AS partial_fraction,
            toDecimal128(sum(d.cost), 10) AS cost_to_date,
            toDecimal128(sumIf(d.cost, s.projected AND toStartOfMonth(d.usage_date) = toDate(b.month_start)
                                       AND d.usage_date <= b.as_of_date), 10) AS projected_to_date,
            -- least squares over the complete days 1..complete_days of the projected daily cost
            sumIf(toFloat64(d.cost), s.projected AND toDayOfMonth(d.usage_date) <= b.complete_days
                  AND toStartOfMonth(d.usage_date) = toDate(b.month_start)) AS sum_y,
            sumIf(toFloat64(d.cost) * toDayOfMonth(d.usage_date), s.projected
                  AND toDayOfMonth(d.usage_date) <= b.complete_days
                  AND toStartOfMonth(d.usage_date) = toDate(b.month_start)) AS sum_xy,
            toDecimal128(sum(d.billed), 10) AS billed_to_date,
            toDecimal128(sumIf(d.billed, s.billed_projected AND toStartOfMonth(d.usage_date) = toDate(b.month_start)
                                         AND d.usage_date <= b.as_of_date), 10) AS billed_projected_to_date,
            sumIf(toFloat64(d.billed), s.billed_projected AND toDayOfMonth(d.usage_date) <= b.complete_days
                  AND toStartOfMonth(d.usage_date) = toDate(b.month_start)) AS billed_sum_y,
            sumIf(toFloat64(d.billed) * toDayOfMonth(d.usage_date), s.billed_projected
                  AND toDayOfMonth(d.usage_date) <= b.complete_days
                  AND toStartOfMonth(d.usage_date) = toDate(b.month_start)) AS billed_sum_xy
        FROM daily AS d
        INNER JOIN series AS s ON s.provider = d.provider AND s.month = d.month AND s.service_name = d.service_name
                              AND s.currency = d.currency AND s.charge_type = d.charge_type
                              AND s.charge_category = d.charge_category AND s.charge_frequency = d.charge_frequency
        INNER JOIN bounds AS b ON b.provider = d.provider AND b.month = d.month
        GROUP BY d.provider, d.month, d.service_name, d.currency
    ),
    fitted AS
    (
        SELECT
            *,
            toFloat64(complete_days)                                         AS n,
            toFloat64(intDiv(month_seconds, 86400))                          AS m,
            n * (n + 1) / 2                                                  AS sum_x,
            n * (n + 1) * (2 * n + 1) / 6                                    AS sum_xx,
            {{- trend_line('') }},
            {{- trend_line('billed_') }},
            {{ run_rate('billed_to_date', 'billed_projected_to_date') }} AS billed_run_rate,
            {{ trend('billed_to_date', 'billed_run_rate', 'billed_remaining_trend') }} AS billed_trend
        FROM sums
    )
SELECT
    provider,
    month,
    service_name,
    currency,
    as_of_date,
    round(elapsed_seconds / 86400., 4)                                       AS elapsed_days,
    toUInt8(intDiv(month_seconds, 86400))                                    AS days_in_month,
    cost_to_date,
    {{ run_rate('cost_to_date', 'projected_to_date') }} AS run_rate_forecast,
    {{ trend('cost_to_date', 'run_rate_forecast', 'remaining_trend') }}           AS trend_forecast,
    {{ chosen('trend_forecast', 'run_rate_forecast') }} AS forecast,
    round(slope, 6)                                                          AS daily_trend,
    billed_to_date                                                           AS billed_cost_to_date,
    {{ chosen('billed_trend', 'billed_run_rate') }} AS billed_forecast
FROM fitted
