-- FX: one rate per currency and month, the value of one unit of `currency` in USD. From
-- include/sql/seeds/fx_rates.csv overridden by the `fx_rates` of the Variable finops_sql_config.
SELECT month, toDate(concat(month, '-01')) AS month_start, currency, rate_to_usd
FROM values(
    'month String, currency String, rate_to_usd Decimal(38, 18)'
{%- for month, currency, rate in config.fx_rates %},
    ({{ lit(month) }}, {{ lit(currency) }}, {{ lit(rate) }})
{%- endfor %}
)
