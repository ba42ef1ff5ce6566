"""The production path against a real ClickHouse server: setup SQL, the three DAGs with the
`clickhouse` destination (sources served by the local stand-ins), the SQL layer on the server, and
the same reconciliation to the cent as the local end-to-end test.

Needs a THROWAWAY server: the suite drops and recreates the `finops_raw` and `finops` databases and
the three datasets' tables in the landing database, and resets the `finops_loader` and
`finops_dashboard` passwords. Settings (the CI job in .github/workflows/test.yml sets them):

    CLICKHOUSE_HOST, CLICKHOUSE_PORT (HTTP, 8123), CLICKHOUSE_NATIVE_PORT (9000),
    CLICKHOUSE_USER / CLICKHOUSE_PASSWORD (an administrator: the setup creates roles and users),
    CLICKHOUSE_DATABASE (the landing database, default finops_landing), CLICKHOUSE_SECURE (optional),
    FINOPS_LOADER_PASSWORD / FINOPS_DASHBOARD_PASSWORD (optional; random when unset).

Run: `make test-integration` with those set. Without CLICKHOUSE_HOST every test here is skipped.
"""

from __future__ import annotations

import json
import os
import secrets
from contextlib import ExitStack
from datetime import date
from decimal import Decimal

import pytest

SKIP_REASON = (
    "no ClickHouse server: run `make test-integration` with CLICKHOUSE_HOST, CLICKHOUSE_PORT (HTTP), "
    "CLICKHOUSE_NATIVE_PORT, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD (an administrator of a throwaway server) "
    "and CLICKHOUSE_DATABASE set, or see the `integration` job of .github/workflows/test.yml"
)
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("CLICKHOUSE_HOST"), reason=SKIP_REASON),
    pytest.mark.timeout(1800),
]

DATASETS = ("aws_costs", "azure_costs", "gcp_costs", "stripe_revenue")
RAW_TABLES = ("aws_costs___cur_line_items", "azure_costs___focus_costs", "gcp_costs___billing_export",
              "stripe_revenue___balance_transactions")
MARGIN_SQL = (
    "SELECT month, currency, aws_billed_cost, gcp_billed_cost, azure_billed_cost, cloud_billed_cost, revenue, stripe_fees, "
    "margin, margin_pct "
    "FROM finops.monthly_margin ORDER BY month, currency"
)


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name) or default


@pytest.fixture(scope="module")
def server() -> dict:
    secure = _env("CLICKHOUSE_SECURE").lower() in ("1", "true", "yes")
    return {
        "host": _env("CLICKHOUSE_HOST"),
        "port": int(_env("CLICKHOUSE_PORT", "8443" if secure else "8123")),
        "native_port": int(_env("CLICKHOUSE_NATIVE_PORT", "9440" if secure else "9000")),
        "admin_user": _env("CLICKHOUSE_USER", "default"),
        "admin_password": os.environ.get("CLICKHOUSE_PASSWORD", ""),
        "database": _env("CLICKHOUSE_DATABASE", "finops_landing"),
        "secure": secure,
    }


def client_for(server: dict, username: str, password: str, database: str = "default"):
    import clickhouse_connect

    return clickhouse_connect.get_client(host=server["host"], port=server["port"], username=username,
                                         password=password, database=database, secure=server["secure"])


@pytest.fixture(scope="module")
def admin(server):
    client = client_for(server, server["admin_user"], server["admin_password"])
    yield client
    client.close()


@pytest.fixture(scope="module")
def setup_values(server) -> dict:
    from include.clickhouse_admin import setup_values

    env = {
        "FINOPS_LOADER_PASSWORD": _env("FINOPS_LOADER_PASSWORD", secrets.token_urlsafe(18)),
        "FINOPS_DASHBOARD_PASSWORD": _env("FINOPS_DASHBOARD_PASSWORD", secrets.token_urlsafe(18)),
    }
    return setup_values(env, landing_database=server["database"])


@pytest.fixture(scope="module")
def prepared(server, admin, setup_values) -> dict:
    """A clean server with the setup applied (twice: it is idempotent)."""
    from include.clickhouse_admin import apply

    landing = setup_values["landing_database"]
    admin.command("DROP DATABASE IF EXISTS finops_raw SYNC")
    admin.command("DROP DATABASE IF EXISTS finops SYNC")
    admin.command(f"CREATE DATABASE IF NOT EXISTS `{landing}`")
    leftovers = admin.query(
        "SELECT name FROM system.tables WHERE database = {db:String} AND ("
        + " OR ".join(f"startsWith(name, '{d}')" for d in DATASETS) + ")",
        parameters={"db": landing},
    ).result_rows
    for (name,) in leftovers:
        admin.command(f"DROP TABLE IF EXISTS `{landing}`.`{name}` SYNC")
    first = apply(admin, setup_values)
    second = apply(admin, setup_values)
    assert first == second > 0
    return {"landing": landing, **setup_values}


def loader_connection(server: dict, prepared: dict) -> str:
    """AIRFLOW_CONN_CLICKHOUSE_DEFAULT for the least-privilege loader user."""
    return json.dumps({
        "conn_type": "generic",
        "host": server["host"],
        "port": server["port"],
        "schema": prepared["landing"],
        "login": "finops_loader",
        "password": prepared["loader_password"],
        "extra": {"secure": server["secure"], "native_port": server["native_port"]},
    })


def test_setup_creates_databases_and_least_privilege_users(server, admin, prepared):
    databases = {row[0] for row in admin.query("SELECT name FROM system.databases").result_rows}
    assert {prepared["landing"], "finops_raw", "finops"} <= databases
    users = {row[0] for row in admin.query("SELECT name FROM system.users").result_rows}
    assert {"finops_loader", "finops_dashboard"} <= users

    loader = client_for(server, "finops_loader", prepared["loader_password"], prepared["landing"])
    try:
        loader.command("CREATE TABLE finops.setup_probe (x UInt8) ENGINE = MergeTree ORDER BY x")
        loader.command("INSERT INTO finops.setup_probe VALUES (1)")
        loader.command("DROP TABLE finops.setup_probe SYNC")
        for forbidden in ("CREATE USER finops_probe_user", "CREATE DATABASE finops_probe_other",
                          "GRANT SELECT ON *.* TO finops_loader"):
            with pytest.raises(Exception, match=r"(?i)privilege|ACCESS_DENIED|not enough"):
                loader.command(forbidden)
    finally:
        loader.close()

    dashboard = client_for(server, "finops_dashboard", prepared["dashboard_password"], "finops")
    try:
        assert dashboard.query("SELECT 1").result_rows == [(1,)]
        for forbidden in ("CREATE TABLE finops.dashboard_probe (x UInt8) ENGINE = Memory",
                          f"CREATE TABLE `{prepared['landing']}`.dashboard_probe (x UInt8) ENGINE = Memory"):
            with pytest.raises(Exception, match=r"(?i)privilege|ACCESS_DENIED|not enough"):
                dashboard.command(forbidden)
    finally:
        dashboard.close()


def test_the_three_dags_load_into_clickhouse_and_reconcile_to_the_cent(server, admin, prepared, tmp_path,
                                                                      monkeypatch):
    from runners.demo import (
        airflow_env,
        demo_months,
        expected_totals,
        generate_sample_data,
        reconcile,
        run_dags,
        start_standins,
    )
    from tests.helpers.demo_totals import AWS_ROWS, AZURE_ROWS, CUSTOMERS, GCP_ROWS, cents, independent_totals

    months = demo_months(date.today())
    data = generate_sample_data(months, AWS_ROWS, GCP_ROWS, CUSTOMERS, AZURE_ROWS)
    data_dir, workdir = tmp_path / "data", tmp_path / "work"
    logs = workdir / "logs"
    logs.mkdir(parents=True)
    connection = loader_connection(server, prepared)

    # 1. Each DAG, load task then SQL task, through Airflow (`airflow dags test`) with the clickhouse
    #    destination, the loader user, and the sources served by the stand-ins.
    with ExitStack() as stack:
        env = airflow_env(workdir / "airflow", data_dir)
        env.update(start_standins(stack, data, workdir))
        env["AIRFLOW_VAR_FINOPS_DESTINATION"] = "clickhouse"
        env["AIRFLOW_CONN_CLICKHOUSE_DEFAULT"] = connection
        run_dags(env, logs, date.today())

    # Raw data landed as ClickHouse tables, not as local files.
    counts = dict(admin.query(
        "SELECT name, total_rows FROM system.tables WHERE database = {db:String}", parameters={"db": prepared["landing"]}
    ).result_rows)
    for table in RAW_TABLES:
        assert counts.get(table), f"{table} missing or empty in {prepared['landing']}: {sorted(counts)}"
    assert not list(data_dir.rglob("*.parquet")), "the clickhouse destination wrote local parquet"

    # 2. The SQL layer once more, in this process, on the server (a rerun gives the same numbers).
    monkeypatch.setenv("AIRFLOW_CONN_CLICKHOUSE_DEFAULT", connection)
    monkeypatch.setenv("FINOPS_DESTINATION", "clickhouse")
    monkeypatch.setenv("FINOPS_DATA_DIR", str(data_dir))
    from include.transform import query, run_transformations

    _, after_dags = query(MARGIN_SQL, destination="clickhouse")
    for target in ("aws", "azure", "gcp", "stripe", "marts"):
        run_transformations(target, destination="clickhouse")
    _, rows = query(MARGIN_SQL, destination="clickhouse")
    assert rows == after_dags

    # 3. The same reconciliations as the local end-to-end test, to the cent.
    assert reconcile(rows, expected_totals(data)) == []
    by_month = {row[0]: row for row in rows}
    for month, want in independent_totals(months).items():
        _, _, aws_cost, gcp_cost, azure_cost, cloud_cost, revenue, fees, margin, _ = by_month[month]
        aws, gcp, azure, income = want["aws_cost"], want["gcp_cost"], want["azure_cost"], want["revenue"] - want["fees"]
        revenue -= fees
        assert cents(aws_cost) == cents(aws), month
        assert cents(gcp_cost) == cents(gcp), month
        assert cents(revenue) == cents(income), month
        assert cents(azure_cost) == cents(azure), month
        assert cents(cloud_cost) == cents(aws + gcp + azure), month
        assert cents(margin) == cents(income - aws - gcp - azure), month
    assert sum((by_month[m][2] for m in months), Decimal(0)) > 0 and sum((by_month[m][3] for m in months), Decimal(0)) > 0

    # 4. Dashboards read the same numbers with the read-only user.
    dashboard = client_for(server, "finops_dashboard", prepared["dashboard_password"], "finops")
    try:
        assert dashboard.query(MARGIN_SQL).result_rows == rows
    finally:
        dashboard.close()
