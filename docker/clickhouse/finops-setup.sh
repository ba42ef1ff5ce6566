#!/bin/bash
# First start of the local ClickHouse of docker-compose.override.yml: the ClickHouse image runs the
# scripts in /docker-entrypoint-initdb.d once, on an empty data volume. This one applies the same
# setup SQL as `make clickhouse-setup` (include/clickhouse_admin/sql/*.sql, mounted at /finops-setup): the
# databases, roles and users `finops_loader` / `finops_dashboard`. Placeholders are filled as
# include/clickhouse_admin/server_setup.py does: passwords from FINOPS_LOADER_PASSWORD / FINOPS_DASHBOARD_PASSWORD
# (escaped for SQL string literals), the landing database from FINOPS_LANDING_DATABASE.
set -euo pipefail

setup_dir="${FINOPS_SETUP_DIR:-/finops-setup}"
landing="${FINOPS_LANDING_DATABASE:-finops_landing}"
if [[ ! "$landing" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
  echo "finops-setup: landing database '$landing' is not a plain identifier" >&2
  exit 1
fi
for variable in FINOPS_LOADER_PASSWORD FINOPS_DASHBOARD_PASSWORD; do
  if [[ -z "${!variable// /}" ]]; then
    echo "finops-setup: set $variable (the password of the ClickHouse user it is for)" >&2
    exit 1
  fi
done

sql_string_body() {  # a value escaped for use between single quotes in ClickHouse SQL
  local bs='\' quote="'" value="$1"
  value="${value//"$bs"/"$bs$bs"}"
  printf '%s' "${value//"$quote"/"$bs$quote"}"
}
loader="$(sql_string_body "$FINOPS_LOADER_PASSWORD")"
dashboard="$(sql_string_body "$FINOPS_DASHBOARD_PASSWORD")"

for file in "$setup_dir"/*.sql; do
  sql="$(cat "$file")"
  # quoted replacements: taken literally (no `&` expansion in bash >= 5.2)
  sql="${sql//'{{landing_database}}'/"$landing"}"
  sql="${sql//'{{loader_password}}'/"$loader"}"
  sql="${sql//'{{dashboard_password}}'/"$dashboard"}"
  echo "finops-setup: applying $(basename "$file")"
  printf '%s\n' "$sql" | clickhouse-client --multiquery --host 127.0.0.1 \
    --user "${CLICKHOUSE_USER:-default}" --password "${CLICKHOUSE_PASSWORD:-}"
done
# the healthcheck waits for this: Airflow starts only once the users exist
touch "${FINOPS_SETUP_MARKER:-/var/lib/clickhouse/.finops-setup-done}"
echo "finops-setup: done"
