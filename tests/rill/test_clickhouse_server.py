"""Production mode on a real ClickHouse server, as the least-privilege dashboard user.

What Rill Cloud does in the `prod` environment, minus Rill: as `finops_dashboard` (created by
`make clickhouse-setup`, plus the two grants of rill/README.md on `finops_rill`), create every model as
a view in `finops_rill` and run every metrics view's dimensions, measures and time series; the numbers
must equal the local (DuckDB over parquet) mode's. The `finops` marts are copied onto the server from
the demo build (the SQL layer's own tables, through their parquet export).

Integration test: skipped without CLICKHOUSE_HOST; needs a THROWAWAY server, like tests/integration
(same settings: CLICKHOUSE_HOST, CLICKHOUSE_PORT, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD of an
administrator, CLICKHOUSE_DATABASE, CLICKHOUSE_SECURE). It replaces the `finops` tables the models read
and resets the `finops_loader` / `finops_dashboard` passwords. Run: `make test-integration`.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest

from include.transform.export import dashboard_files
from tests.rill import project as rill

README = rill.RILL_DIR / "README.md"


def copy_marts(target, source, marts_dir: Path, database: str = "finops") -> dict[str, int]:
    """Create each mart the models read as a table in `target`.`database` (structure from `source`'s
    `finops`, rows from the parquet export); returns {table: rows}."""
    copied = {}
    for table in rill.marts_read_by_models():
        columns = source.query(
            "SELECT name, type FROM system.columns WHERE database = 'finops' AND table = {t:String} ORDER BY position",
            parameters={"t": table}).result_rows
        assert columns, f"finops.{table} does not exist"
        definition = ", ".join(f"{rill.quote(name)} {type_}" for name, type_ in columns)
        target.command(f"DROP TABLE IF EXISTS {database}.{table} SYNC")
        target.command(f"CREATE TABLE {database}.{table} ({definition}) ENGINE = MergeTree ORDER BY tuple()")
        for path in dashboard_files(table, marts_dir.parent):  # one file, or one per month
            target.raw_insert(f"{database}.{table}", insert_block=path.read_bytes(), fmt="Parquet")
        copied[table] = target.query(f"SELECT count() FROM {database}.{table}").result_rows[0][0]
    return copied


def readme_grants() -> list[str]:
    """The SQL block of rill/README.md that prepares ClickHouse for Rill (tested as documented)."""
    block = re.search(r"```sql\n(.*?)```", README.read_text(), re.S).group(1)
    return [s.strip() for s in block.split(";") if s.strip()]


def test_the_copy_step_recreates_the_marts_exactly(rill_data):
    """Self-check of copy_marts on chdb (no server needed): same rows and money as the SQL layer."""
    import clickhouse_connect

    client = clickhouse_connect.get_client(dsn=f"chdb://{rill_data['data_dir'] / 'chdb'}")
    try:
        client.command("CREATE DATABASE IF NOT EXISTS finops_copy_check")
        copied = copy_marts(client, client, rill_data["data_dir"] / "marts", database="finops_copy_check")
        for table, rows in copied.items():
            assert rows == client.query(f"SELECT count() FROM finops.{table}").result_rows[0][0] > 0
        check = "SELECT sum(BilledCost), sum(EffectiveCost), sum(ListCost) FROM {}.focus"
        assert (client.query(check.format("finops_copy_check")).result_rows
                == client.query(check.format("finops")).result_rows)
    finally:
        client.command("DROP DATABASE IF EXISTS finops_copy_check SYNC")
        client.close()


def test_the_readme_grants_are_what_the_tests_apply():
    assert readme_grants() == [
        "CREATE DATABASE IF NOT EXISTS finops_rill",
        "GRANT SELECT, CREATE VIEW, DROP VIEW, SHOW ON finops_rill.* TO finops_dashboard_role",
    ]


@pytest.mark.integration
@pytest.mark.skipif(not os.environ.get("CLICKHOUSE_HOST"), reason="no ClickHouse server (CLICKHOUSE_HOST unset)")
def test_prod_mode_on_a_server_as_the_dashboard_user(rill_data, duck):
    import clickhouse_connect

    from include.clickhouse_admin import apply, setup_values

    secure = os.environ.get("CLICKHOUSE_SECURE", "").lower() in ("1", "true", "yes")
    server = {"host": os.environ["CLICKHOUSE_HOST"], "secure": secure,
              "port": int(os.environ.get("CLICKHOUSE_PORT") or (8443 if secure else 8123))}
    admin = clickhouse_connect.get_client(**server, username=os.environ.get("CLICKHOUSE_USER") or "default",
                                          password=os.environ.get("CLICKHOUSE_PASSWORD", ""))
    source = clickhouse_connect.get_client(dsn=f"chdb://{rill_data['data_dir'] / 'chdb'}")
    try:
        values = setup_values(
            {"FINOPS_LOADER_PASSWORD": secrets.token_urlsafe(18), "FINOPS_DASHBOARD_PASSWORD": secrets.token_urlsafe(18)},
            landing_database=os.environ.get("CLICKHOUSE_DATABASE") or "finops_landing",
        )
        apply(admin, values)
        copy_marts(admin, source, rill_data["data_dir"] / "marts")
        for statement in readme_grants():
            admin.command(statement)
    finally:
        source.close()
    dashboard = clickhouse_connect.get_client(**server, username="finops_dashboard",
                                              password=values["dashboard_password"], database="finops_rill")
    try:
        rill.clickhouse_models(dashboard)
        live = rill.ClickHouseEngine(dashboard)
        for view in sorted(rill.load_project().metrics_views):
            metrics = rill.spec(view)
            for by in [None] + [d["name"] for d in metrics["dimensions"]]:
                on_server = {rill.normalize(k): {m: rill.normalize(v) for m, v in row.items()}
                             for k, row in rill.measure_totals(live, view, by).items()}
                local = {rill.normalize(k): {m: rill.normalize(v) for m, v in row.items()}
                         for k, row in rill.measure_totals(duck, view, by).items()}
                assert on_server == local, f"{view} by {by}"
            for grain in rill.GRAINS[rill.GRAINS.index(metrics["smallest_time_grain"]):]:
                assert ([tuple(map(rill.normalize, r)) for r in rill.time_series(live, view, grain)]
                        == [tuple(map(rill.normalize, r)) for r in rill.time_series(duck, view, grain)]), (view, grain)
        # still least privilege: no tables, nothing in finops
        for forbidden in ("CREATE TABLE finops_rill.probe (x UInt8) ENGINE = Memory", "DROP TABLE finops.focus",
                          "INSERT INTO finops.cost_anomalies (provider) VALUES ('x')"):
            with pytest.raises(Exception):  # noqa: B017 - the server refuses (ACCESS_DENIED)
                dashboard.command(forbidden)
    finally:
        dashboard.close()
        admin.close()
