-- ClickHouse server setup, part 1: the three databases. Applied by `make clickhouse-setup`
-- (include/clickhouse_admin/server_setup.py) with an administrator account, never by the DAGs. Idempotent.
-- {{landing_database}} is the database of the `clickhouse_default` connection (its schema field):
-- dlt loads the raw tables `<dataset>___<table>` there.
CREATE DATABASE IF NOT EXISTS `{{landing_database}}`;

-- Views over the raw tables, recreated by every SQL task (include/sql_runner.py).
CREATE DATABASE IF NOT EXISTS finops_raw;

-- Derived tables and views: what dashboards read.
CREATE DATABASE IF NOT EXISTS finops;

-- Rill's model views over the `finops` tables (Rill creates its models as views in its database).
CREATE DATABASE IF NOT EXISTS finops_rill;
