-- ClickHouse server setup, part 2: roles. GRANT is idempotent; re-running adds nothing twice.

-- The loaders and SQL tasks: create, load, alter (schema evolution, mutations), replace and drop
-- tables and views in the three FinOps databases, and nothing else.
CREATE ROLE IF NOT EXISTS finops_loader_role;
GRANT SELECT, INSERT, ALTER, CREATE TABLE, CREATE VIEW, CREATE DATABASE, DROP TABLE, DROP VIEW, TRUNCATE, OPTIMIZE, SHOW
    ON `{{landing_database}}`.* TO finops_loader_role;
GRANT SELECT, INSERT, ALTER, CREATE TABLE, CREATE VIEW, CREATE DATABASE, DROP TABLE, DROP VIEW, TRUNCATE, OPTIMIZE, SHOW
    ON finops_raw.* TO finops_loader_role;
GRANT SELECT, INSERT, ALTER, CREATE TABLE, CREATE VIEW, CREATE DATABASE, DROP TABLE, DROP VIEW, TRUNCATE, OPTIMIZE, SHOW
    ON finops.* TO finops_loader_role;
-- dlt and the SQL runner read the catalogue (tables, columns, settings the server knows).
GRANT SELECT ON system.databases TO finops_loader_role;
GRANT SELECT ON system.tables TO finops_loader_role;
GRANT SELECT ON system.columns TO finops_loader_role;
GRANT SELECT ON system.mutations TO finops_loader_role;
GRANT SELECT ON system.settings TO finops_loader_role;
GRANT SELECT ON information_schema.* TO finops_loader_role;
GRANT SELECT ON INFORMATION_SCHEMA.* TO finops_loader_role;
-- Table functions in the SQL layer (for example values() in finops.currency_exponents).
GRANT CREATE TEMPORARY TABLE ON *.* TO finops_loader_role;

-- Dashboards (Rill): read the derived data, write nothing. Read the `finops` tables and views;
-- `finops_raw` views read the landing tables with the caller's rights, which this role does not
-- have, so raw data (Stripe customers among it) stays with the loaders.
CREATE ROLE IF NOT EXISTS finops_dashboard_role;
GRANT SELECT ON finops.* TO finops_dashboard_role;
GRANT SELECT ON finops_raw.* TO finops_dashboard_role;
GRANT CREATE TEMPORARY TABLE ON *.* TO finops_dashboard_role;
-- Rill (connector mode readwrite) keeps its models as views in finops_rill: views only, nothing else.
GRANT SELECT, CREATE VIEW, DROP VIEW, SHOW ON finops_rill.* TO finops_dashboard_role;
