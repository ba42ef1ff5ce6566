"""include/transform/export.py: the marts as parquet, exact and written atomically."""

from __future__ import annotations

from decimal import Decimal

import clickhouse_connect
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from include.transform.export import discover_tables, export_marts, export_table


@pytest.fixture
def chdb_client(rill_data):
    client = clickhouse_connect.get_client(dsn=f"chdb://{rill_data['data_dir'] / 'chdb'}")
    yield client
    client.close()


def test_every_derived_table_and_view_is_exported_with_its_rows(rill_data, chdb_client):
    marts = rill_data["data_dir"] / "marts"
    tables = discover_tables(chdb_client)
    assert rill_data["exported"].keys() == set(tables)
    assert "sql_build_state" not in tables and not any(t.endswith(("__next", "__stage")) for t in tables)
    assert not {"stg_aws__cur_line_items", "stg_gcp__billing_export", "stg_stripe__balance_transactions"} & set(tables), "raw passthrough"
    for name in ("int_aws__cost_line_items_tagged", "int_gcp__cost_line_items_tagged", "focus", "unit_economics_monthly",
                 "int_stripe__mrr_monthly", "cost_anomalies", "cost_forecast", "monthly_cloud_costs"):
        assert name in tables
    for table, rows in rill_data["exported"].items():
        assert pq.ParquetFile(marts / f"{table}.parquet").metadata.num_rows == rows
        assert chdb_client.query(f"SELECT count() FROM finops.`{table}`").result_rows[0][0] == rows
    assert not [p.name for p in marts.iterdir() if not p.name.endswith(".parquet")], "temporary files left behind"


@pytest.mark.parametrize("table", ["int_aws__cost_line_items_tagged", "int_gcp__cost_line_items_tagged", "focus", "unit_economics_monthly"])
def test_money_stays_decimal_38_10_and_sums_to_the_exact_same_amount(rill_data, chdb_client, table):
    data = pq.read_table(rill_data["data_dir"] / "marts" / f"{table}.parquet")
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
    assert export_marts(chdb_client, tmp_path, tables=["monthly_margin"]) == {
        "monthly_margin": pq.read_table(tmp_path / "marts" / "monthly_margin.parquet").num_rows
    }
    with pytest.raises(ValueError):
        export_table(chdb_client, "x; DROP TABLE finops.focus", target)


def test_empty_tables_are_exported_with_their_columns(tmp_path, chdb_client):
    chdb_client.command("CREATE DATABASE IF NOT EXISTS export_test")
    try:
        chdb_client.command("CREATE OR REPLACE TABLE export_test.empty (day Date, amount Decimal(38, 10)) "
                            "ENGINE = MergeTree ORDER BY day")
        assert export_marts(chdb_client, tmp_path, database="export_test") == {"empty": 0}
        schema = pq.read_schema(tmp_path / "marts" / "empty.parquet")
        assert schema.field("amount").type == pa.decimal128(38, 10)
    finally:
        chdb_client.command("DROP DATABASE IF EXISTS export_test")
