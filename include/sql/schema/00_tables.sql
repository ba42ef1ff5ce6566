-- Every derived table, created if missing (structures in include/sql/ddl.jinja), and the small
-- reference views. Each provider DAG runs this file first, so the marts views can be created even
-- before every provider has loaded data.
CREATE DATABASE IF NOT EXISTS finops;

-- Minor-unit exponents for Stripe amounts (ISO 4217; Stripe's zero- and three-decimal currencies).
-- Currencies not listed have 2 decimals.
CREATE OR REPLACE VIEW finops.currency_exponents AS
SELECT currency, exponent, toUInt64(exp10(exponent)) AS divisor
FROM values(
    'currency String, exponent UInt8',
    ('bif', 0), ('clp', 0), ('djf', 0), ('gnf', 0), ('jpy', 0), ('kmf', 0), ('krw', 0), ('mga', 0),
    ('pyg', 0), ('rwf', 0), ('ugx', 0), ('vnd', 0), ('vuv', 0), ('xaf', 0), ('xof', 0), ('xpf', 0),
    ('bhd', 3), ('jod', 3), ('kwd', 3), ('omr', 3), ('tnd', 3)
);

-- FX: one rate per currency and month, the value of one unit of `currency` in USD. From
-- include/sql/seeds/fx_rates.csv overridden by the `fx_rates` of the Variable finops_sql_config.
CREATE OR REPLACE VIEW finops.fx_rates AS
SELECT month, toDate(concat(month, '-01')) AS month_start, currency, rate_to_usd
FROM values(
    'month String, currency String, rate_to_usd Decimal(38, 10)'
{%- for month, currency, rate in config.fx_rates %},
    ({{ lit(month) }}, {{ lit(currency) }}, {{ lit(rate) }})
{%- endfor %}
);

-- FOCUS ServiceCategory / ServiceSubcategory per provider service, from
-- include/sql/seeds/service_categories.csv (services not listed: Other / Other (Other)).
CREATE OR REPLACE VIEW finops.service_categories AS
SELECT provider, service, service_category, service_subcategory
FROM values(
    'provider String, service String, service_category String, service_subcategory String'
{%- for provider, service, category, subcategory in config.service_categories %},
    ({{ lit(provider) }}, {{ lit(service) }}, {{ lit(category) }}, {{ lit(subcategory) }})
{%- endfor %}
);

-- Columns added to a table's structure since it was created are added in place (in their position),
-- so per-period rebuilds keep working after an upgrade; the next full rebuild applies everything else.
{% for table in ['aws_cost_line_items', 'aws_cost_daily', 'aws_cost_daily_by_tag', 'gcp_cost_line_items',
                 'gcp_cost_daily', 'gcp_cost_daily_by_tag', 'stripe_balance_daily', 'cost_anomalies'] %}
CREATE TABLE IF NOT EXISTS finops.{{ table }} {{ ddl[table]() }};
ALTER TABLE finops.{{ table }}
{%- for column, type in ddl_columns(table) %}
    ADD COLUMN IF NOT EXISTS {{ column }} {{ type }} {{ 'FIRST' if loop.first else 'AFTER ' ~ loop.previtem[0] }}{{ "," if not loop.last }}
{%- endfor %};
{% endfor %}
-- Bookkeeping of include/sql_runner.py: the newest completed load each provider's SQL has built
-- (run_transformations(..., periods="changed") rebuilds the months of newer loads).
CREATE TABLE IF NOT EXISTS finops.sql_build_state
(
    provider String,
    load_id  String,
    built_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (provider, built_at);

-- Rebuilt by the stripe/ files; created here so that the marts can read them early.
CREATE TABLE IF NOT EXISTS finops.stripe_mrr_monthly {{ ddl.stripe_mrr_monthly() }};
CREATE TABLE IF NOT EXISTS finops.stripe_revenue_recognition {{ ddl.stripe_revenue_recognition() }};
CREATE TABLE IF NOT EXISTS finops.stripe_customer_mrr {{ ddl.stripe_customer_mrr() }};
CREATE TABLE IF NOT EXISTS finops.stripe_subscription_mrr {{ ddl.stripe_subscription_mrr() }};
