"""The GCP billing export source and load task against bqemulator (a real BigQuery REST API)."""

import glob
import json
import logging
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from google.api_core import exceptions as gexc

from include import transform
from include.loaders import gcp as gcp_loader
from include.pipelines import LoadError, run_pipeline
from include.run_intent import request_for
from include.sources.gcp_billing import BillingExportError, gcp_billing_source, month_window
from include.sources.gcp_billing.schema import arrow_schema
from standins.sample_data.gcp import (
    DETAILED_TABLE,
    STANDARD_TABLE,
    generate_billing_rows,
    seed_bigquery,
)
from tests.helpers.gcp_billing import dedup_totals, expected_totals, ts

MONTHS = ["2026-08", "2026-09", "2026-10"]




def cents(values) -> Decimal:
    return sum((Decimal(repr(float(v))) for v in values), Decimal(0)).quantize(Decimal("0.01"))


def read_raw(data_dir) -> pa.Table | None:
    files = sorted(glob.glob(str(data_dir / "raw" / "gcp_costs" / "billing_export" / "*.parquet")))
    return pq.read_table(files) if files else None


def test_source_round_trip(bigquery_client, billing_dataset, local_data):
    rows = generate_billing_rows(MONTHS, rows_per_month=150, seed=7)
    table_id = seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, rows)

    counts = run_pipeline("gcp_costs", gcp_billing_source(bigquery_client, table_id))
    assert counts == {"billing_export": len(rows)}

    raw = read_raw(local_data)
    assert raw.num_rows == len(rows)
    # flat columns with stable types
    types = {f.name: f.type for f in raw.schema}
    assert types["cost"] == pa.float64()
    assert types["usage_start_time"] == pa.timestamp("us", tz="UTC")
    assert types["export_time"] == pa.timestamp("us", tz="UTC")
    for name in ("credits", "labels", "system_labels", "tags", "project_labels", "project_ancestors"):
        assert types[name] == pa.string(), name
    for name in (
        "service_id",
        "sku_description",
        "project_number",
        "location_region",
        "usage_amount",
        "invoice_month",
        "price_effective_price",
        "adjustment_info_type",
        "transaction_type",
        "seller_name",
        "cost_type",
        "cost_at_list",
        "row_key",
    ):
        assert name in types, name

    # money to the cent, computed independently with Decimal
    assert cents(raw["cost"].to_pylist()) == cents(r["cost"] for r in rows)
    raw_credits = [c for j in raw["credits"].to_pylist() for c in json.loads(j)]
    gen_credits = [c for r in rows for c in r["credits"]]
    assert cents(c["amount"] for c in raw_credits) == cents(c["amount"] for c in gen_credits)
    assert cents(raw["credits_amount"].to_pylist()) == cents(c["amount"] for c in gen_credits)
    assert len(gen_credits) > 20

    # credits JSON round-trips exactly (name, type, full_name, id, amount), per row
    def row_sig(service_id, sku_id, start, export_time, cost):
        return (service_id, sku_id, start, export_time, repr(cost))

    gen_by_sig = {}
    for r in rows:
        sig = row_sig(r["service"]["id"], r["sku"]["id"], ts(r["usage_start_time"]), ts(r["export_time"]), r["cost"])
        gen_by_sig.setdefault(sig, []).append(r)
    for rec in raw.to_pylist():
        sig = row_sig(rec["service_id"], rec["sku_id"], rec["usage_start_time"], rec["export_time"], rec["cost"])
        candidates = gen_by_sig[sig]
        gen = candidates[0]
        assert json.loads(rec["credits"]) == gen["credits"]
        assert json.loads(rec["labels"]) == {kv["key"]: kv["value"] for kv in gen["labels"]}
        assert json.loads(rec["system_labels"]) == {kv["key"]: kv["value"] for kv in gen["system_labels"]}
        assert json.loads(rec["project_labels"]) == {kv["key"]: kv["value"] for kv in gen["project"]["labels"]}
        assert json.loads(rec["project_ancestors"]) == gen["project"]["ancestors"]
        assert json.loads(rec["tags"]) == gen["tags"]
        assert rec["project_id"] == gen["project"]["id"]
        assert rec["project_number"] == gen["project"]["number"]
        assert rec["project_name"] == gen["project"]["name"]
        assert rec["project_ancestry_numbers"] == gen["project"]["ancestry_numbers"]
        assert rec["invoice_month"] == gen["invoice"]["month"]
        assert rec["cost_type"] == gen["cost_type"]
        assert rec["location_location"] == gen["location"]["location"]
        assert rec["usage_end_time"] == ts(gen["usage_end_time"])
        assert rec["transaction_type"] == gen["transaction_type"]
        assert rec["seller_name"] == gen["seller_name"]
        assert (rec["adjustment_info_id"] is None) == (gen["adjustment_info"] is None)

    # every row has a distinct key, identical duplicate rows included
    assert len(set(raw["row_key"].to_pylist())) == raw.num_rows
    assert Counter(raw["cost_type"].to_pylist()) == Counter(r["cost_type"] for r in rows)


# ---------------------------------------------------------------------------------------------------
# Step 2: incremental with late data, exactly once, invoice-month reload, standard vs detailed, errors
# ---------------------------------------------------------------------------------------------------


def load(client, table_id, **params):
    return gcp_loader.load(request_for("gcp_costs", params), config={"billing_table": table_id}, client=client).tables


def test_late_rows_load_exactly_once(bigquery_client, billing_dataset, local_data):
    rows = generate_billing_rows(["2026-09", "2026-10"], rows_per_month=200, seed=11)
    batches = sorted({r["export_time"] for r in rows})
    cutoff = ts(batches[len(batches) * 2 // 3])
    in_window = [b for b in batches if cutoff - timedelta(days=3) <= ts(b) < cutoff]
    held_whole, held_part = in_window[0], next(b for b in in_window[1:] if sum(r["export_time"] == b for r in rows) > 1)
    first, later = [], []
    part_seen = False
    for r in rows:
        if r["export_time"] == held_whole or ts(r["export_time"]) > cutoff:
            later.append(r)
        elif r["export_time"] == held_part and not part_seen:
            part_seen = True  # half a batch was visible at the first run, the rest comes later
            later.append(r)
        else:
            first.append(r)
    assert any(ts(r["export_time"]) - ts(r["usage_end_time"]) > timedelta(days=1) for r in later)  # late rows

    table_id = seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, first)
    assert load(bigquery_client, table_id) == {"billing_export": len(first)}
    assert dedup_totals() == expected_totals(first)

    seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, later)
    second = load(bigquery_client, table_id)
    # new and late batches, plus the whole batch that grew; batches already loaded are not re-read
    assert 0 < second["billing_export"] < len(later) + 10
    assert dedup_totals() == expected_totals(rows)

    # reruns load nothing twice
    assert load(bigquery_client, table_id).get("billing_export", 0) == 0
    assert load(bigquery_client, table_id).get("billing_export", 0) == 0
    assert dedup_totals() == expected_totals(rows)
    raw = read_raw(local_data)
    assert len(set(raw["row_key"].to_pylist())) == len(rows)
    assert raw.num_rows - len(rows) <= sum(r["export_time"] == held_part for r in rows)


def test_identical_rows_are_kept(bigquery_client, billing_dataset, local_data):
    rows = generate_billing_rows(["2026-09"], rows_per_month=60, seed=3)
    rows += [dict(rows[5]), dict(rows[5]), dict(rows[9])]
    table_id = seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, rows)
    load(bigquery_client, table_id)
    load(bigquery_client, table_id)
    assert dedup_totals() == expected_totals(rows)
    raw = read_raw(local_data)
    assert max(raw["row_occurrence"].to_pylist()) >= 3


def test_incremental_query_prunes_partitions_and_logs_bytes(bigquery_client, billing_dataset, local_data, caplog):
    rows = generate_billing_rows(["2026-10"], rows_per_month=40, seed=5)
    table_id = seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, rows)
    load(bigquery_client, table_id)
    queries = []
    original = bigquery_client.query

    def recording_query(sql, *args, **kwargs):
        queries.append((sql, {p.name: getattr(p, "value", None) for p in kwargs["job_config"].query_parameters}))
        return original(sql, *args, **kwargs)

    bigquery_client.query = recording_query
    try:
        with caplog.at_level(logging.INFO, logger="include.sources.gcp_billing"):
            load(bigquery_client, table_id)
    finally:
        del bigquery_client.query
    ((sql, params),) = queries
    assert "_PARTITIONTIME >= @partition_from" in sql and "t.export_time >= @export_from" in sql
    newest = max(ts(r["export_time"]) for r in rows)
    assert params["export_from"] == newest - timedelta(days=5)
    assert params["partition_from"] == datetime.combine(
        (newest - timedelta(days=6)).date(), datetime.min.time(), tzinfo=UTC
    )
    assert any("bytes processed" in rec.getMessage() for rec in caplog.records)


def test_standard_or_detailed_never_both(bigquery_client, billing_dataset, local_data):
    standard = generate_billing_rows(["2026-09", "2026-10"], rows_per_month=120, seed=21)
    detailed = generate_billing_rows(["2026-09", "2026-10"], rows_per_month=120, seed=21, detailed=True)
    std_id = seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, standard)
    det_id = seed_bigquery(bigquery_client, billing_dataset, DETAILED_TABLE, detailed)
    assert len(detailed) > len(standard)

    load(bigquery_client, std_id)
    std_totals = dedup_totals()
    assert std_totals == expected_totals(standard)

    # switching the configured export replaces the raw table with the detailed export
    assert load(bigquery_client, det_id) == {"billing_export": len(detailed)}
    det_totals = dedup_totals()
    assert det_totals == expected_totals(detailed)
    assert det_totals[1] == std_totals[1]  # same money, not summed twice
    raw = read_raw(local_data)
    assert set(raw["export_type"].to_pylist()) == {"detailed"}
    assert raw.num_rows == len(detailed)
    assert any(raw["resource_name"].to_pylist())

    # an explicit export_type contradicting the table's schema is refused
    with pytest.raises(BillingExportError, match=rf"{STANDARD_TABLE}.*missing resource"):
        gcp_loader.load(request_for("gcp_costs"), config={"billing_table": std_id, "export_type": "detailed"},
                        client=bigquery_client)


def test_invoice_month_reload_replaces_exactly_that_month(bigquery_client, billing_dataset, local_data):
    rows = generate_billing_rows(["2026-08", "2026-09", "2026-10"], rows_per_month=120, seed=33)
    table_id = seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, rows)
    load(bigquery_client, table_id)
    before = read_raw(local_data)
    others_before = sorted(
        (key, load_id)
        for key, month, load_id in zip(
            before["row_key"].to_pylist(),
            before["invoice_month"].to_pylist(),
            before["_dlt_load_id"].to_pylist(),
            strict=True,
        )
        if month != "202609"
    )

    # September changes at the source: tax rows are withdrawn, a correction is added
    bigquery_client.query(f"DELETE FROM `{table_id}` WHERE invoice.month = '202609' AND cost_type = 'tax'").result()
    correction = dict(next(r for r in rows if r["invoice"]["month"] == "202609" and r["cost_type"] == "regular"))
    correction.update(
        cost=-12.5,
        cost_at_list=-12.5,
        credits=[],
        cost_type="adjustment",
        export_time="2026-10-03T04:17:00.000000Z",
        adjustment_info={
            "id": "adj-x",
            "description": "goodwill",
            "mode": "MANUAL_ADJUSTMENT",
            "type": "GENERAL_ADJUSTMENT",
        },
    )
    seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, [correction])
    september = [r for r in rows if r["invoice"]["month"] == "202609" and r["cost_type"] != "tax"] + [correction]
    assert len(september) < sum(r["invoice"]["month"] == "202609" for r in rows) + 1

    counts = load(bigquery_client, table_id, invoice_months=["202609"])
    assert counts == {"billing_export": len(september)}
    after = read_raw(local_data)
    sept = after.filter(pc.equal(after["invoice_month"], "202609"))
    assert sept.num_rows == len(september)  # old September rows removed, not just shadowed
    assert cents(sept["cost"].to_pylist()) == cents(r["cost"] for r in september)
    others_after = sorted(
        (key, load_id)
        for key, month, load_id in zip(
            after["row_key"].to_pylist(),
            after["invoice_month"].to_pylist(),
            after["_dlt_load_id"].to_pylist(),
            strict=True,
        )
        if month != "202609"
    )
    assert others_after == others_before  # other months untouched
    expected = [r for r in rows if r["invoice"]["month"] != "202609"] + september
    assert dedup_totals() == expected_totals(expected)

    # the next incremental run still works and adds nothing twice
    load(bigquery_client, table_id)
    assert dedup_totals() == expected_totals(expected)
    # a full refresh gives the same data
    assert load(bigquery_client, table_id, full_refresh=True) == {"billing_export": len(expected)}
    assert read_raw(local_data).num_rows == len(expected)
    assert dedup_totals() == expected_totals(expected)


def test_month_window_bounds():
    start, end = month_window(["202609", "202610"], tail_days=40)
    assert start == datetime(2026, 8, 31, tzinfo=UTC)
    assert end == datetime(2026, 12, 11, tzinfo=UTC)
    with pytest.raises(ValueError, match="YYYYMM"):
        month_window(["2026-13"])


def test_missing_table_fails_and_keeps_data(bigquery_client, bigquery_emulator, billing_dataset, local_data):
    rows = generate_billing_rows(["2026-10"], rows_per_month=50, seed=8)
    table_id = seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, rows)
    load(bigquery_client, table_id)
    before = read_raw(local_data)

    missing = f"{bigquery_emulator.project}.{billing_dataset}.gcp_billing_export_v1_000000_000000_000000"
    with pytest.raises(BillingExportError, match=rf"{missing} was not found"):
        load(bigquery_client, missing)
    with pytest.raises(BillingExportError, match=r"no_such_dataset\.gcp_billing_export_v1_X was not found"):
        load(bigquery_client, f"{bigquery_emulator.project}.no_such_dataset.gcp_billing_export_v1_X")
    assert read_raw(local_data).equals(before)
    assert load(bigquery_client, table_id).get("billing_export", 0) == 0  # state intact too


def test_schema_without_expected_fields(bigquery_client, billing_dataset, local_data):
    from google.cloud import bigquery

    from standins.sample_data.gcp import billing_export_schema

    schema = [f for f in billing_export_schema() if f.name not in ("credits", "seller_name")]
    schema = [
        bigquery.SchemaField("invoice", "RECORD", fields=[bigquery.SchemaField("publisher_type", "STRING")])
        if f.name == "invoice"
        else f
        for f in schema
    ]
    table_id = f"{bigquery_client.project}.{billing_dataset}.gcp_billing_export_v1_BAD"
    bigquery_client.create_dataset(billing_dataset, exists_ok=True)
    bigquery_client.create_table(bigquery.Table(table_id, schema=schema))
    with pytest.raises(BillingExportError) as err:
        load(bigquery_client, table_id)
    message = str(err.value)
    assert table_id in message
    assert "credits" in message and "invoice.month" in message
    # seller_name is not a field the figures need: optional, read as NULL (it used to be required)
    assert "seller_name" not in message
    assert read_raw(local_data) is None


OPTIONAL_DROPPED = ("seller_name", "transaction_type", "price", "adjustment_info", "tags", "cost_at_list",
                    "currency_conversion_rate", "system_labels", "billing_account_id", "cost_type", "location")


def _without(schema, rows, top_level=OPTIONAL_DROPPED, invoice_fields=("month",)):
    """A schema and rows without some optional fields (as older or newer exports may be)."""
    from google.cloud import bigquery

    schema = [f for f in schema if f.name not in top_level]
    schema = [bigquery.SchemaField("invoice", "RECORD", fields=[bigquery.SchemaField(n, "STRING") for n in invoice_fields])
              if f.name == "invoice" else f for f in schema]
    schema = [bigquery.SchemaField("project", "RECORD", fields=[x for x in f.fields if x.name in ("id", "name", "labels")])
              if f.name == "project" else f for f in schema]
    out = []
    for row in rows:
        row = {k: v for k, v in row.items() if k not in top_level}
        row["invoice"] = {n: row["invoice"].get(n) for n in invoice_fields}
        row["project"] = {k: v for k, v in row["project"].items() if k in ("id", "name", "labels")}
        out.append(row)
    return schema, out


def test_a_standard_export_without_optional_fields_loads_them_as_null(bigquery_client, billing_dataset, local_data):
    """Google adds fields over time: only the fields the figures need are required (no invoice.publisher_type,
    seller_name, price, project.ancestors, ... here); the rest read as NULL and the figures are unchanged."""
    from google.cloud import bigquery

    from standins.sample_data.gcp import billing_export_schema

    rows = generate_billing_rows(MONTHS[:1], rows_per_month=40, seed=3)
    schema, rows = _without(billing_export_schema(), rows)
    table_id = f"{bigquery_client.project}.{billing_dataset}.gcp_billing_export_v1_OLD"
    bigquery_client.create_dataset(billing_dataset, exists_ok=True)
    bigquery_client.create_table(bigquery.Table(table_id, schema=schema))
    assert not bigquery_client.insert_rows_json(table_id, rows)
    assert load(bigquery_client, table_id)["billing_export"] == len(rows)
    raw = read_raw(local_data)
    for name in ("invoice_publisher_type", "seller_name", "price_effective_price", "project_ancestors", "cost_type"):
        assert name in raw.column_names, name
    assert raw["invoice_publisher_type"].null_count == raw["seller_name"].null_count == len(rows)
    assert set(raw["tags"].to_pylist()) == {"[]"}
    want = cents([r["cost"] for r in rows] + [c["amount"] for r in rows for c in r.get("credits") or []])
    transform.run_transformations("gcp", config={})
    got = transform.query("SELECT sum(net_cost) FROM finops.int_gcp__cost_line_items", destination="filesystem")[1][0][0]
    assert Decimal(got).quantize(Decimal("0.01")) == want


def test_a_row_without_invoice_month_fails_naming_table_field_and_row(bigquery_client, billing_dataset, local_data):
    from google.cloud import bigquery

    from standins.sample_data.gcp import billing_export_schema

    rows = generate_billing_rows(MONTHS[:1], rows_per_month=20, seed=5)
    rows[7]["invoice"]["month"] = None
    table_id = f"{bigquery_client.project}.{billing_dataset}.gcp_billing_export_v1_NULLMONTH"
    bigquery_client.create_dataset(billing_dataset, exists_ok=True)
    bigquery_client.create_table(bigquery.Table(table_id, schema=billing_export_schema()))
    assert not bigquery_client.insert_rows_json(table_id, rows)
    with pytest.raises(LoadError) as err:  # the load task's error around the source's BillingExportError
        load(bigquery_client, table_id)
    message = str(err.value)
    assert "BillingExportError" in message and table_id in message and "invoice.month is NULL" in message
    assert f"sku {rows[7]['sku']['id']!r}" in message and rows[7]["project"]["id"] in message
    assert read_raw(local_data) is None


def test_a_string_credit_amount_fails_naming_table_field_and_row(bigquery_client, billing_dataset, local_data):
    from google.cloud import bigquery

    from standins.sample_data.gcp import billing_export_schema

    rows = [r for r in generate_billing_rows(MONTHS[:1], rows_per_month=30, seed=9) if r.get("credits")][:5]
    schema = [
        bigquery.SchemaField("credits", "RECORD", mode="REPEATED", fields=[
            bigquery.SchemaField(x.name, "STRING" if x.name == "amount" else x.field_type) for x in f.fields])
        if f.name == "credits" else f for f in billing_export_schema()
    ]
    for row in rows:
        for credit in row["credits"]:
            credit["amount"] = str(credit["amount"])
    table_id = f"{bigquery_client.project}.{billing_dataset}.gcp_billing_export_v1_STRCREDIT"
    bigquery_client.create_dataset(billing_dataset, exists_ok=True)
    bigquery_client.create_table(bigquery.Table(table_id, schema=schema))
    assert not bigquery_client.insert_rows_json(table_id, rows)
    with pytest.raises(LoadError) as err:
        load(bigquery_client, table_id)
    message = str(err.value)
    assert "BillingExportError" in message and table_id in message and "credits.amount" in message and "str" in message and "in the row with" in message
    assert read_raw(local_data) is None


class _ForbiddenClient:
    project = "finops-demo"

    def get_table(self, table):
        raise gexc.Forbidden("Access Denied: Table finops-demo:billing.t: User does not have permission")


def test_permission_error_names_the_table(local_data):
    with pytest.raises(
        BillingExportError, match=r"permission denied on GCP billing export table finops-demo\.billing\.t"
    ):
        gcp_billing_source(_ForbiddenClient(), "finops-demo.billing.t")


def test_load_task_reads_variable_and_connection(
    bigquery_emulator, bigquery_client, billing_dataset, local_data, monkeypatch
):
    rows = generate_billing_rows(["2026-10"], rows_per_month=30, seed=9)
    table_id = seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, rows)
    monkeypatch.setenv(
        "AIRFLOW_CONN_BQ_EMULATOR",
        json.dumps(
            {
                "conn_type": "google_cloud_platform",
                "extra": {"api_endpoint": bigquery_emulator.endpoint, "project": bigquery_emulator.project},
            }
        ),
    )
    monkeypatch.setenv(
        "AIRFLOW_VAR_GCP_COSTS_CONFIG", json.dumps({"billing_table": table_id, "gcp_conn_id": "bq_emulator"})
    )
    assert gcp_loader.load(request_for("gcp_costs", {"invoice_months": [], "full_refresh": False})).tables == {"billing_export": len(rows)}
    assert dedup_totals() == expected_totals(rows)


def test_raw_schema_is_stable():
    schema = arrow_schema("standard")
    assert schema.field("cost").type == pa.float64()
    assert schema.field("credits").type == pa.string()
    assert "resource_name" in arrow_schema("detailed").names
    assert "resource_name" not in schema.names


def test_permission_error_while_querying_keeps_data(bigquery_client, billing_dataset, local_data):
    rows = generate_billing_rows(["2026-10"], rows_per_month=40, seed=12)
    table_id = seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, rows)
    load(bigquery_client, table_id)
    before = read_raw(local_data)
    seed_bigquery(
        bigquery_client, billing_dataset, STANDARD_TABLE, generate_billing_rows(["2026-11"], rows_per_month=10, seed=13)
    )

    def forbidden(*args, **kwargs):
        raise gexc.Forbidden("Access Denied: User does not have bigquery.jobs.create permission")

    bigquery_client.query = forbidden
    try:
        with pytest.raises(Exception, match=rf"permission denied on GCP billing export table {table_id}"):
            load(bigquery_client, table_id)
        with pytest.raises(Exception, match=rf"permission denied on GCP billing export table {table_id}"):
            load(bigquery_client, table_id, invoice_months=["202610"])
    finally:
        del bigquery_client.query
    assert read_raw(local_data).equals(before)
    assert load(bigquery_client, table_id) == {"billing_export": 10}  # the state did not move either


def test_start_month_bounds_the_loads_to_its_invoice_months(bigquery_client, billing_dataset, local_data):
    rows = generate_billing_rows(["2026-08", "2026-09", "2026-10"], rows_per_month=40, seed=14)
    # September's last hours (and its late rows) are exported from October 1 on: read, they would make September a
    # month of a few rows that looks loaded
    september = next(r for r in rows if r["invoice"]["month"] == "202609")
    rows.append(dict(september, usage_start_time="2026-10-01T05:00:00Z", usage_end_time="2026-10-01T06:00:00Z",
                     export_time="2026-10-01T09:12:00.000000Z"))
    table_id = seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, rows)
    config = {"billing_table": table_id, "start_month": "202610"}
    gcp_loader.load(request_for("gcp_costs"), config=config, client=bigquery_client)
    expected = [r for r in rows if r["invoice"]["month"] >= "202610"]
    assert 0 < len(expected) < len(rows)
    assert dedup_totals() == expected_totals(expected)

    # a September correction exported in November is not read by the incremental loads either
    correction = dict(next(r for r in rows if r["invoice"]["month"] == "202609"),
                       cost=-12.5, credits=[], cost_type="adjustment", export_time="2026-11-03T04:17:00.000000Z")
    late = dict(expected[-1], cost=3.25, export_time="2026-11-03T04:17:00.000000Z")
    seed_bigquery(bigquery_client, billing_dataset, STANDARD_TABLE, [correction, late])
    gcp_loader.load(request_for("gcp_costs"), config=config, client=bigquery_client)
    assert dedup_totals() == expected_totals([*expected, late])


# ---------------------------------------------------------------------------------------------------
# The columnar page transformation gives exactly the rows and row keys of the row-by-row one it replaced
# ---------------------------------------------------------------------------------------------------


def _edge_rows() -> list[dict]:
    """Rows the generator never writes: NULLs at every level, unicode and characters JSON escapes,
    duplicate label keys, floats whose notation differs between Arrow and Python, 3+ credits."""
    from copy import deepcopy

    base = generate_billing_rows(["2026-09"], rows_per_month=40, seed=11)
    rows = []
    for number, (field, value) in enumerate([
        ("labels", None),
        ("labels", [{"key": "env", "value": "a"}, {"key": "team", "value": None}, {"key": "env", "value": "b"}]),
        ("labels", [{"key": 'quo"te\\slash', "value": "line\nbreak\ttab\x01\x1f\u2028 Café 東京 🚀"}]),
        ("system_labels", [{"key": "k", "value": ""}]),
        ("tags", None),
        ("tags", [{"key": "environment", "value": "prod", "inherited": None, "namespace": None}]),
        ("credits", None),
        ("credits", [{"name": "A", "amount": None, "full_name": None, "id": None, "type": "PROMOTION"}]),
        ("credits", [{"name": n, "amount": a, "full_name": "ü", "id": "x", "type": "DISCOUNT"}
                     for n, a in (("a", 0.1), ("b", 0.2), ("c", -0.3), ("d", 1e-17))]),
        ("credits", [{"name": "z", "amount": -0.0, "full_name": None, "id": None, "type": "T"}] * 2),
        ("credits", [{"name": "big", "amount": -1.2369505812480001e14, "full_name": None, "id": None, "type": "T"},
                     {"name": "tiny", "amount": -2.5e-7, "full_name": None, "id": None, "type": "T"}]),
        ("project", None),
        ("location", None),
        ("price", None),
        ("price", {"effective_price": "0", "tier_start_amount": "0.000000100", "unit": "ü",
                   "pricing_unit_quantity": "-123456789.5"}),
        ("adjustment_info", {"id": "a", "description": 'say "hi"\r\n', "mode": None, "type": None}),
        ("invoice", {"month": "202609", "publisher_type": None}),
        ("usage_start_time", "2026-09-03T04:05:06.000120Z"),
        ("usage_end_time", None),
        ("cost", 1e-05), ("cost", 0.0001), ("cost", 1.2369505812480001e14), ("cost", 1e16), ("cost", 2.5e20),
        ("cost", -0.0), ("cost", 100.0), ("cost", 5e-324), ("cost", 1.7976931348623157e308), ("cost", None),
        ("usage", {"amount": 4113155529166.544, "unit": "byte-seconds", "amount_in_pricing_units": 0.00001234,
                   "pricing_unit": None}),
        ("currency_conversion_rate", None),
        ("resource", {"name": "projects/p/instances/ü\\x", "global_name": None}),
    ]):
        row = deepcopy(base[number % len(base)])
        row[field] = value
        rows.append(row)
    rows.append(deepcopy(rows[-1]))  # an identical row: occurrence 2, another key
    return rows


def _columnar_and_rowwise(page, export_type, skip=None):
    from bench import gcp_billing_rowwise
    from include.sources.gcp_billing.raw_table import to_raw_table

    schema = arrow_schema(export_type)
    seen_old, seen_new = {}, {}
    old = gcp_billing_rowwise.to_raw_table(page, export_type, schema, skip, seen_old, "p.d.t")
    new = to_raw_table(page, export_type, schema, skip, seen_new, "p.d.t")
    return old, new, seen_old, seen_new


@pytest.mark.parametrize("detailed", [False, True], ids=["standard", "detailed"])
def test_columnar_rows_and_keys_equal_the_row_by_row_ones(detailed):
    from standins.sample_data.gcp import billing_result_page

    rows = generate_billing_rows(MONTHS[:2], rows_per_month=150, seed=13, detailed=detailed) + _edge_rows()
    page = billing_result_page(rows, detailed=detailed)
    export_type = "detailed" if detailed else "standard"
    absent = page  # optional fields the table lacks are read as CAST(NULL AS STRING / FLOAT64 / NUMERIC)
    for name, kind in (("tags", pa.string()), ("system_labels", pa.string()), ("project_ancestors", pa.string()),
                       ("cost_at_list", pa.float64()), ("price_unit", pa.string()),
                       ("price_effective_price", pa.decimal128(38, 9))):
        absent = absent.set_column(absent.schema.get_field_index(name), name, pa.nulls(absent.num_rows, kind))
    for part in (page, page.slice(7, 260), page.slice(page.num_rows - 40), absent):  # slices: offsets into buffers
        old, new, seen_old, seen_new = _columnar_and_rowwise(part, export_type)
        assert new.schema == old.schema
        for name in old.column_names:
            assert new[name].to_pylist() == old[name].to_pylist(), name
        assert new.equals(old) and seen_new == seen_old
    assert len(set(new["row_key"].to_pylist())) == new.num_rows


def test_columnar_skips_the_same_export_batches():
    from standins.sample_data.gcp import billing_result_page

    page = billing_result_page(generate_billing_rows(["2026-09"], rows_per_month=200, seed=17))
    _, _, seen, _ = _columnar_and_rowwise(page, "standard")
    keys = sorted(seen)
    skip = {keys[0]: seen[keys[0]], keys[1]: seen[keys[1]] + 1, keys[2]: seen[keys[2]]}  # the 2nd batch grew
    old, new, seen_old, seen_new = _columnar_and_rowwise(page, "standard", skip)
    assert 0 < new.num_rows < page.num_rows
    assert new.equals(old) and seen_new == seen_old


@pytest.mark.parametrize("fault", ["no_invoice_month", "string_credit"], ids=str)
def test_columnar_names_the_same_bad_row(fault):
    from bench import gcp_billing_rowwise
    from include.sources.gcp_billing.raw_table import to_raw_table
    from standins.sample_data.gcp import billing_result_page

    rows = [r for r in generate_billing_rows(["2026-09"], rows_per_month=80, seed=19) if r["credits"]]
    page = billing_result_page(rows)
    if fault == "no_invoice_month":
        month = page.column("invoice_month").to_pylist()
        month[9] = None
        page = page.set_column(page.schema.get_field_index("invoice_month"), "invoice_month", pa.array(month))
    else:
        credits = page.column("credits").to_pylist()
        for number, row in enumerate(credits):  # a string column: the first amount given is in row 5
            for credit in row:
                credit["amount"] = str(credit["amount"]) if number >= 5 else None
        page = page.set_column(page.schema.get_field_index("credits"), "credits", pa.array(credits))
    messages = []
    for page_to_table in (gcp_billing_rowwise.to_raw_table, to_raw_table):
        with pytest.raises(BillingExportError) as err:
            page_to_table(page, "standard", arrow_schema("standard"), None, {}, "p.d.t")
        messages.append(str(err.value))
    assert messages[0] == messages[1]


def test_float_and_decimal_text_equal_python_repr_and_str():
    import random

    from include.sources.gcp_billing.json_text import float_repr

    rng = random.Random(3)
    floats = [rng.uniform(-1, 1) * 10 ** rng.randint(-12, 22) for _ in range(20_000)]
    floats += [round(rng.uniform(0, 50), rng.randint(0, 9)) for _ in range(5_000)] + [0.0, -0.0, 1e-4, 1e16, 9.999e15]
    floats += [sign * 10.0 ** power * digits for power in range(-9, 24) for digits in (1, 1.5, 3.25)
               for sign in (1, -1)] + [5e-324, 1.7976931348623157e308, 2.0 ** 53, 2.0 ** 53 + 2]
    assert float_repr(pa.array(floats)).to_pylist() == [repr(v) for v in floats]
    bits = np.random.default_rng(3).integers(-2 ** 63, 2 ** 63 - 1, 100_000, dtype=np.int64).view(np.float64)
    anywhere = bits[np.isfinite(bits)].tolist()  # every exponent, all 17 digits
    assert float_repr(pa.array(anywhere)).to_pylist() == [repr(v) for v in anywhere]
    special = [None, math.nan, math.inf, -math.inf, 3e-05, None, 7.0, 1e22]
    assert float_repr(pa.array(special, pa.float64())).to_pylist() == [None if v is None else repr(v) for v in special]
    assert float_repr(pa.array(floats[:300], pa.float32())).to_pylist() == [  # widened to float64 first
        repr(float(np.float32(v))) for v in floats[:300]]
    decimals = [Decimal(rng.randint(-10**12, 10**12)).scaleb(-9) for _ in range(5_000)] + [Decimal("0E-9")]
    assert pc.cast(pa.array(decimals, pa.decimal128(38, 9)), pa.string()).to_pylist() == [str(d) for d in decimals]


def test_columnar_keys_with_mostly_distinct_label_sets():
    """Over 1000 distinct label sets in a page (a label per VM, say) take the counting path for repeated keys."""
    from standins.sample_data.gcp import billing_result_page

    rows = generate_billing_rows(["2026-09"], rows_per_month=1500, seed=23)
    for number, row in enumerate(rows):
        row["labels"] = row["labels"] + [{"key": "instance", "value": f"vm-{number}"}]
        if number % 400 == 7:
            row["labels"].append({"key": "instance", "value": "renamed"})
    old, new, seen_old, seen_new = _columnar_and_rowwise(billing_result_page(rows), "standard")
    assert new["labels"].to_pylist() == old["labels"].to_pylist()
    assert new.equals(old) and seen_new == seen_old
