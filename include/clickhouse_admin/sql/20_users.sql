-- ClickHouse server setup, part 3: users. Passwords are never in git: {{loader_password}} and
-- {{dashboard_password}} come from FINOPS_LOADER_PASSWORD / FINOPS_DASHBOARD_PASSWORD when the
-- setup runs. CREATE ... IF NOT EXISTS then ALTER: re-running sets the password to the current one.
CREATE USER IF NOT EXISTS finops_loader IDENTIFIED WITH sha256_password BY '{{loader_password}}';
ALTER USER finops_loader IDENTIFIED WITH sha256_password BY '{{loader_password}}';
GRANT finops_loader_role TO finops_loader;
ALTER USER finops_loader DEFAULT ROLE finops_loader_role;
ALTER USER finops_loader DEFAULT DATABASE `{{landing_database}}`;

CREATE USER IF NOT EXISTS finops_dashboard IDENTIFIED WITH sha256_password BY '{{dashboard_password}}';
ALTER USER finops_dashboard IDENTIFIED WITH sha256_password BY '{{dashboard_password}}';
GRANT finops_dashboard_role TO finops_dashboard;
ALTER USER finops_dashboard DEFAULT ROLE finops_dashboard_role;
ALTER USER finops_dashboard DEFAULT DATABASE finops;
