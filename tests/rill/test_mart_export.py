"""include/transform/export.py: the marts the dashboards read as parquet, exact, written atomically, and
only when they changed."""

from __future__ import annotations

import re
from decimal import Decimal

import clickhouse_connect
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from include.transform.export import (
    DASHBOARD_TABLES,
    EMPTY_FILE,
    FINGERPRINT_SUFFIX,
    MONTHLY_TABLES,
    dashboard_files,
    export_marts,
    export_table,
)
from tests.rill import project as rill


@pytest.fixture
def chdb_client(rill_data):
    client = clickhouse_connect.get_client(dsn=f"chdb://{rill_data['data_dir'] / 'chdb'}")
    yield client
    client.close()


def test_the_export_list_is_exactly_what_the_rill_models_read():
    """Both variants of every model of rill/ (the generated pages read these models too): a table added to
    a model and not to DASHBOARD_TABLES would be missing locally; one only in the list is wasted work."""
    dev_reads = set()
    for model in rill.load_project().models.values():
        dev_reads.update(re.findall(r"/marts/(\w+)(?:\.parquet|/\*\.parquet)", model.resolved("dev")["sql"]))
    assert set(DASHBOARD_TABLES) == dev_reads == set(rill.marts_read_by_models())
    assert len(DASHBOARD_TABLES) == len(set(DASHBOARD_TABLES))


def test_every_dashboard_table_is_exported_with_its_rows(rill_data, chdb_client):
    marts = rill_data["data_dir"] / "marts"
    assert rill_data["exported"].keys() == set(DASHBOARD_TABLES)
    for table, rows in rill_data["exported"].items():
        files = dashboard_files(table, rill_data["data_dir"])
        assert sum(pq.ParquetFile(path).metadata.num_rows for path in files) == rows
        assert chdb_client.query(f"SELECT count() FROM finops.`{table}`").result_rows[0][0] == rows
    assert sorted(p.name for p in marts.iterdir()) == sorted([
        name for table in DASHBOARD_TABLES if table not in MONTHLY_TABLES
        for name in (f"{table}.parquet", f"{table}.parquet{FINGERPRINT_SUFFIX}")] + list(MONTHLY_TABLES)), (
        "only the dashboards' files and their fingerprints, no temporary files left behind")
    for table, month_column in MONTHLY_TABLES.items():
        # one file per month of the table, each holding that month's rows only, beside its fingerprint
        months = [m for (m,) in chdb_client.query(f"SELECT DISTINCT {month_column} FROM finops.`{table}` ORDER BY 1").result_rows]
        assert len(months) >= 2, table
        assert sorted(p.name for p in (marts / table).iterdir()) == sorted(
            name for month in months for name in (f"{month}.parquet", f"{month}.parquet{FINGERPRINT_SUFFIX}"))
        for month in months:
            assert set(pq.read_table(marts / table / f"{month}.parquet", columns=[month_column])[month_column].to_pylist()) == {month}


@pytest.fixture
def restatable(chdb_client):
    """A database of its own with a month-partitioned line-item table, a view over it and an unrelated table."""
    chdb_client.command("DROP DATABASE IF EXISTS export_changes")
    chdb_client.command("CREATE DATABASE export_changes")
    chdb_client.command("CREATE TABLE export_changes.line_items ENGINE = MergeTree PARTITION BY billing_period "
                        "ORDER BY tuple() AS SELECT * FROM finops.int_aws__cost_line_items_tagged")
    chdb_client.command("CREATE VIEW export_changes.daily AS SELECT usage_date, sum(net_unblended_cost) AS cost "
                        "FROM export_changes.line_items GROUP BY usage_date")
    chdb_client.command("CREATE TABLE export_changes.mrr ENGINE = MergeTree ORDER BY tuple() "
                        "AS SELECT * FROM finops.int_stripe__mrr_monthly")
    yield ["line_items", "daily", "mrr"]
    chdb_client.command("DROP DATABASE IF EXISTS export_changes")


def written(outcomes: dict) -> set[str]:
    return {table for table, outcome in outcomes.items() if outcome["written"]}


def test_a_run_with_nothing_changed_writes_nothing(tmp_path, chdb_client, restatable):
    first = export_marts(chdb_client, tmp_path, tables=restatable, database="export_changes")
    assert written(first) == set(restatable)
    files = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (tmp_path / "marts").iterdir()}
    again = export_marts(chdb_client, tmp_path, tables=restatable, database="export_changes")
    assert written(again) == set()
    assert {t: o["rows"] for t, o in again.items()} == {t: o["rows"] for t, o in first.items()}
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (tmp_path / "marts").iterdir()} == files
    assert written(export_marts(chdb_client, tmp_path, tables=["mrr"], database="export_changes", force=True)) == {"mrr"}


def test_dashboard_tables_not_built_yet_are_left_out(tmp_path, chdb_client, restatable):
    """reconciliation_checks does not exist before the first check task: the marts export goes on without it."""
    chdb_client.command("CREATE TABLE export_changes.focus ENGINE = MergeTree ORDER BY tuple() "
                        "AS SELECT * FROM finops.focus LIMIT 10")
    assert written(export_marts(chdb_client, tmp_path, database="export_changes")) == {"focus"}
    assert [p.name for p in (tmp_path / "marts").iterdir()] == ["focus"]


def test_a_restated_month_rewrites_only_the_tables_it_changes(tmp_path, chdb_client, restatable):
    export_marts(chdb_client, tmp_path, tables=restatable, database="export_changes")
    month = chdb_client.query("SELECT min(billing_period) FROM export_changes.line_items").result_rows[0][0]
    # Same rows, one month's amounts restated: the row count alone would not see it.
    chdb_client.command("ALTER TABLE export_changes.line_items UPDATE net_unblended_cost = net_unblended_cost + 1 "
                        f"WHERE billing_period = '{month}' SETTINGS mutations_sync = 2")
    restated = export_marts(chdb_client, tmp_path, tables=restatable, database="export_changes")
    assert written(restated) == {"line_items", "daily"}
    parquet = pq.read_table(tmp_path / "marts" / "line_items.parquet")
    assert pc.sum(parquet["net_unblended_cost"]).as_py() == chdb_client.query(
        "SELECT sum(net_unblended_cost) FROM export_changes.line_items").result_rows[0][0]


def test_a_missing_file_or_a_new_column_is_written_again(tmp_path, chdb_client, restatable):
    export_marts(chdb_client, tmp_path, tables=restatable, database="export_changes")
    (tmp_path / "marts" / "mrr.parquet").unlink()
    chdb_client.command("ALTER TABLE export_changes.line_items ADD COLUMN extra UInt8 DEFAULT 0")
    assert written(export_marts(chdb_client, tmp_path, tables=restatable, database="export_changes")) == {"mrr", "line_items"}


@pytest.mark.parametrize("table", ["int_aws__cost_line_items_tagged", "int_gcp__cost_line_items_tagged", "focus", "unit_economics_monthly"])
def test_money_stays_decimal_38_10_and_sums_to_the_exact_same_amount(rill_data, chdb_client, table):
    data = pq.read_table([str(path) for path in dashboard_files(table, rill_data["data_dir"])])
    types = dict(chdb_client.query(
        "SELECT name, type FROM system.columns WHERE database = 'finops' AND table = {t:String}",
        parameters={"t": table}).result_rows)
    money = [name for name, type_ in types.items() if type_ in ("Decimal(38, 10)", "Nullable(Decimal(38, 10))")]
    assert money
    for column in money:
        assert data.schema.field(column).type == pa.decimal128(38, 10), column
        exported = pc.sum(data[column]).as_py() or Decimal(0)
        in_clickhouse = chdb_client.query(f"SELECT sum(`{column}`) FROM finops.`{table}`").result_rows[0][0] or Decimal(0)
        assert exported == in_clickhouse, column


def test_export_replaces_a_file_atomically_and_a_failure_keeps_the_old_file(tmp_path, chdb_client):
    target = tmp_path / "marts" / "monthly_cloud_costs.parquet"
    rows = export_table(chdb_client, "monthly_cloud_costs", target)
    before = target.read_bytes()
    assert pq.read_table(target).num_rows == rows > 0
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises for an unknown table
        export_table(chdb_client, "no_such_table", target)
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == [target.name]
    assert export_marts(chdb_client, tmp_path, tables=["monthly_margin"])["monthly_margin"]["rows"] == (
        pq.read_table(tmp_path / "marts" / "monthly_margin.parquet").num_rows)
    with pytest.raises(ValueError):
        export_table(chdb_client, "x; DROP TABLE finops.focus", target)


def test_empty_tables_are_exported_with_their_columns(tmp_path, chdb_client):
    chdb_client.command("CREATE DATABASE IF NOT EXISTS export_test")
    try:
        chdb_client.command("CREATE OR REPLACE TABLE export_test.empty (day Date, amount Decimal(38, 10)) "
                            "ENGINE = MergeTree ORDER BY day")
        assert export_marts(chdb_client, tmp_path, tables=["empty"], database="export_test")["empty"]["rows"] == 0
        schema = pq.read_schema(tmp_path / "marts" / "empty.parquet")
        assert schema.field("amount").type == pa.decimal128(38, 10)
    finally:
        chdb_client.command("DROP DATABASE IF EXISTS export_test")


@pytest.fixture
def monthly(chdb_client):
    """A line-item table of its own under a MONTHLY_TABLES name, two months or more."""
    chdb_client.command("DROP DATABASE IF EXISTS export_months")
    chdb_client.command("CREATE DATABASE export_months")
    chdb_client.command("CREATE TABLE export_months.int_aws__cost_line_items_tagged ENGINE = MergeTree "
                        "PARTITION BY billing_period ORDER BY tuple() AS SELECT * FROM finops.int_aws__cost_line_items_tagged")
    months = [m for (m,) in chdb_client.query("SELECT DISTINCT billing_period FROM "
                                              "export_months.int_aws__cost_line_items_tagged ORDER BY 1").result_rows]
    assert len(months) >= 2
    yield months
    chdb_client.command("DROP DATABASE IF EXISTS export_months")


def month_files(folder):
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}


def test_a_line_item_table_is_written_per_month_and_a_restated_month_rewrites_its_file_only(tmp_path, chdb_client, monthly):
    table = "int_aws__cost_line_items_tagged"
    folder = tmp_path / "marts" / table
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / f"{table}.parquet").write_bytes(b"the one-file export of an older version")
    first = export_marts(chdb_client, tmp_path, tables=[table], database="export_months")[table]
    assert first["months"] == monthly and first["rows"] == chdb_client.query(
        f"SELECT count() FROM export_months.{table}").result_rows[0][0]
    assert [p.name for p in (tmp_path / "marts").iterdir()] == [table]  # the old single file is gone
    before = month_files(folder)

    restated, other = monthly[0], monthly[1]
    chdb_client.command(f"ALTER TABLE export_months.{table} UPDATE net_unblended_cost = net_unblended_cost + 1 "
                        f"WHERE billing_period = '{restated}' SETTINGS mutations_sync = 2")
    again = export_marts(chdb_client, tmp_path, tables=[table], database="export_months")[table]
    assert again["months"] == [restated]
    after = month_files(folder)
    assert {name for name in after if after[name] != before[name]} == {f"{restated}.parquet",
                                                                      f"{restated}.parquet{FINGERPRINT_SUFFIX}"}
    data = pq.read_table([str(p) for p in dashboard_files(table, tmp_path)])
    assert pc.sum(data["net_unblended_cost"]).as_py() == chdb_client.query(
        f"SELECT sum(net_unblended_cost) FROM export_months.{table}").result_rows[0][0]

    # told which months changed (the marts build's plan), the export reads only those: a change elsewhere waits
    chdb_client.command(f"ALTER TABLE export_months.{table} UPDATE net_unblended_cost = net_unblended_cost + 1 "
                        f"WHERE billing_period = '{other}' SETTINGS mutations_sync = 2")
    scoped = export_marts(chdb_client, tmp_path, tables=[table], database="export_months", months={table: [restated]})[table]
    assert scoped["months"] == [] and scoped["rows"] == chdb_client.query(
        f"SELECT count() FROM export_months.{table} WHERE billing_period = '{restated}'").result_rows[0][0]
    assert export_marts(chdb_client, tmp_path, tables=[table], database="export_months",
                        months={table: [other]})[table]["months"] == [other]

    # a month emptied loses its file; a table without rows is one empty file with its columns
    chdb_client.command(f"ALTER TABLE export_months.{table} DELETE WHERE billing_period = '{other}' SETTINGS mutations_sync = 2")
    assert export_marts(chdb_client, tmp_path, tables=[table], database="export_months")[table]["months"] == [other]
    assert f"{other}.parquet" not in {p.name for p in folder.iterdir()}
    chdb_client.command(f"TRUNCATE TABLE export_months.{table}")
    assert export_marts(chdb_client, tmp_path, tables=[table], database="export_months")[table]["rows"] == 0
    assert [p.name for p in dashboard_files(table, tmp_path)] == [EMPTY_FILE]
    assert pq.read_schema(folder / EMPTY_FILE).field("net_unblended_cost").type == pa.decimal128(38, 10)
    # rows again: the empty file goes
    chdb_client.command(f"INSERT INTO export_months.{table} SELECT * FROM finops.{table} WHERE billing_period = '{restated}'")
    assert export_marts(chdb_client, tmp_path, tables=[table], database="export_months")[table]["months"] == [restated]
    assert [p.name for p in dashboard_files(table, tmp_path)] == [f"{restated}.parquet"]


def test_a_month_that_is_not_yyyy_mm_fails_naming_the_table(tmp_path, chdb_client, monthly):
    table = "int_aws__cost_line_items_tagged"
    chdb_client.command(f"INSERT INTO export_months.{table} SELECT * REPLACE ('2026-9' AS billing_period) "
                        f"FROM export_months.{table} LIMIT 1")
    with pytest.raises(ValueError, match=rf"export_months\.{table}: billing_period is not 'YYYY-MM'.*2026-9"):
        export_marts(chdb_client, tmp_path, tables=[table], database="export_months")
