-- Every derived table, created if missing. Each provider DAG runs this file first, so the marts
-- views can be created even before every provider has loaded data.
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

CREATE TABLE IF NOT EXISTS finops.aws_cost_daily
(
    billing_period        String,
    usage_date            Date,
    payer_account_id      String,
    usage_account_id      String,
    usage_account_name    String,
    product_code          String,
    region                String,
    line_item_type        String,
    currency              String,
    unblended_cost        Decimal(38, 10),
    net_unblended_cost    Decimal(38, 10),
    public_on_demand_cost Decimal(38, 10),
    usage_amount          Float64,
    line_items            UInt64
)
ENGINE = MergeTree
PARTITION BY billing_period
ORDER BY (billing_period, usage_date, usage_account_id, product_code, region, line_item_type);

CREATE TABLE IF NOT EXISTS finops.gcp_cost_daily
(
    invoice_month       String,
    usage_date          Date,
    billing_account_id  String,
    project_id          String,
    service_description String,
    region              String,
    cost_type           String,
    currency            String,
    cost                Decimal(38, 10),
    credits             Decimal(38, 10),
    net_cost            Decimal(38, 10),
    line_items          UInt64
)
ENGINE = MergeTree
PARTITION BY invoice_month
ORDER BY (invoice_month, usage_date, project_id, service_description, region, cost_type);

CREATE TABLE IF NOT EXISTS finops.stripe_balance_daily
(
    month              String,
    day                Date,
    currency           String,
    reporting_category String,
    type               String,
    amount             Decimal(38, 10),
    fee                Decimal(38, 10),
    net                Decimal(38, 10),
    transactions       UInt64
)
ENGINE = MergeTree
PARTITION BY month
ORDER BY (month, day, currency, reporting_category, type);
