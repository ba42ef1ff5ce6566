-- finops.budget_status: every budget of finops_sql_config (budgets) against the billed cost in its scope and
-- month, converted to the budget's currency (finops.fx_rates: amount × rate(C, M) / rate(B, M), exact; a
-- currency without the month's rate is left out and listed in missing_fx).
--   actual_cost    billed cost to date in scope: the matching line items (int_cloud_cost_allocated.budgets), or
--                  for a cost center budget its showback (direct + its share of the shared pools)
--   forecast_cost  month-end forecast: each (provider, service, currency) part of the actual scaled by that
--                  series' billed forecast / billed cost to date in cost_forecast (by provider for a cost center's
--                  showback); the actual where cost_forecast has nothing to scale by. Billed, not effective: the
--                  actual is billed cost, and a commitment's fees bill and amortize on different days
--   status         'over' once actual > budget, 'at risk' when the forecast is above it, else 'on track'
{%- set budgets = config.budgets %}
WITH
    budget_list AS
    (
{%- if budgets %}
        SELECT *
        FROM values('budget_name String, month String, currency String, budget_amount Decimal(38, 10), cost_centers Array(String), providers Array(String)'
{%- for b in budgets %},
            ({{ lit(b.name) }}, {{ lit(b.month) }}, {{ lit(b.currency) }}, {{ lit(b.amount) }}, {{ lit(b.cost_centers) }}, {{ lit(b.providers) }})
{%- endfor %})
{%- else %}
        SELECT '' AS budget_name, '' AS month, '' AS currency, toDecimal128(0, 10) AS budget_amount,
               CAST([], 'Array(String)') AS cost_centers, CAST([], 'Array(String)') AS providers
        WHERE 0
{%- endif %}
    ),
    rates AS
    (
        SELECT month, currency, any(rate_to_usd) AS rate FROM {{ ref('fx_rates') }} GROUP BY month, currency
    ),
    service_forecast AS
    (
        SELECT provider, month, service_name, currency, sum(billed_cost_to_date) AS to_date,
               sum(billed_forecast) AS month_end
        FROM {{ ref('cost_forecast') }}
        GROUP BY provider, month, service_name, currency
    ),
    provider_forecast AS
    (
        SELECT provider, month, currency, sum(to_date) AS to_date, sum(month_end) AS month_end
        FROM service_forecast
        GROUP BY provider, month, currency
    ),
    in_scope AS
    (
        SELECT a.budget_name AS budget_name, a.month AS month, a.currency AS cost_currency, a.actual AS actual,
               {{ mul_div('a.actual', 'f.month_end', 'f.to_date', 'a.actual') }} AS projected
        FROM
        (
            SELECT budget_name, month, provider, service_name, currency, sum(billed_cost) AS actual
            FROM {{ ref('int_cloud_cost_allocated') }}
            ARRAY JOIN budgets AS budget_name
            GROUP BY budget_name, month, provider, service_name, currency
        ) AS a
        LEFT JOIN service_forecast AS f
            ON f.provider = a.provider AND f.month = a.month AND f.service_name = a.service_name AND f.currency = a.currency
        UNION ALL
        SELECT c.budget_name, c.month, c.currency, c.actual,
               {{ mul_div('c.actual', 'f.month_end', 'f.to_date', 'c.actual') }}
        FROM
        (
            SELECT b.budget_name AS budget_name, s.month AS month, s.provider AS provider, s.currency AS currency,
                   sum(s.total_cost) AS actual
            FROM budget_list AS b
            INNER JOIN {{ ref('showback_monthly') }} AS s ON s.month = b.month
            WHERE has(b.cost_centers, s.cost_center) AND (empty(b.providers) OR has(b.providers, s.provider))
            GROUP BY b.budget_name, s.month, s.provider, s.currency
        ) AS c
        LEFT JOIN provider_forecast AS f ON f.provider = c.provider AND f.month = c.month AND f.currency = c.currency
    ),
    converted AS
    (
        SELECT i.budget_name AS budget_name, i.month AS month, i.cost_currency AS cost_currency,
               b.currency AS budget_currency,
               {{ fx_rate('r.rate', 'i.cost_currency') }} AS rate,
               {{ fx_rate('q.rate', 'b.currency') }} AS budget_rate,
               i.cost_currency = b.currency OR (rate > 0 AND budget_rate > 0) AS convertible,
               if(i.cost_currency = b.currency, i.actual, {{ fx_convert('i.actual', 'rate', 'budget_rate', 'toDecimal128(0, 10)') }}) AS actual_converted,
               if(i.cost_currency = b.currency, i.projected, {{ fx_convert('i.projected', 'rate', 'budget_rate', 'toDecimal128(0, 10)') }}) AS projected_converted
        FROM in_scope AS i
        INNER JOIN budget_list AS b ON b.budget_name = i.budget_name AND b.month = i.month
        LEFT JOIN rates AS r ON r.month = i.month AND r.currency = i.cost_currency
        LEFT JOIN rates AS q ON q.month = i.month AND q.currency = b.currency
    ),
    totals AS
    (
        SELECT budget_name, month, sumIf(actual_converted, convertible) AS actual_cost,
               sumIf(projected_converted, convertible) AS forecast_cost,
               arraySort(groupUniqArrayIf(cost_currency, NOT convertible)) AS missing_fx
        FROM converted
        GROUP BY budget_name, month
    )
SELECT
    b.budget_name                                                      AS budget_name,
    b.month                                                            AS month,
    b.currency                                                         AS currency,
    b.budget_amount                                                    AS budget_amount,
    toDecimal128(t.actual_cost, 10)                                    AS actual_cost,
    toDecimal128(t.forecast_cost, 10)                                  AS forecast_cost,
    round(toFloat64(t.forecast_cost) / toFloat64(b.budget_amount) * 100, 2) AS forecast_pct_of_budget,
    multiIf(t.actual_cost > b.budget_amount, 'over', t.forecast_cost > b.budget_amount, 'at risk', 'on track') AS status,
    t.missing_fx                                                       AS missing_fx
FROM budget_list AS b
LEFT JOIN totals AS t ON t.budget_name = b.budget_name AND t.month = b.month
