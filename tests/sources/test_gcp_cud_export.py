"""Google Cloud's CUD metadata export (`cud_subscriptions_export`) loaded by the gcp_costs load task against bqemulator:
one snapshot per run with exact values and types, an empty snapshot as a sentinel row, found beside the billing export
(or configured, or switched off), and a bad table or row failing with the table and row named."""

import copy
import logging
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from google.api_core import exceptions as gexc
from google.cloud import bigquery

from include.loaders import gcp as gcp_loader
from include.pipelines import LoadError, root_cause, run_pipeline
from include.run_intent import request_for
from include.sources.gcp_billing import BillingExportError
from include.sources.gcp_billing.cud_source import gcp_cud_source
from include.sources.gcp_billing.cud_table import check_table, exact_decimal, parse_timestamp
from standins.sample_data.gcp import (
    BILLING_ACCOUNT_ID,
    CUD_TABLE,
    STANDARD_TABLE,
    cud_export_schema,
    generate_billing_rows,
    generate_cud_subscription_rows,
    seed_bigquery,
    seed_cud_table,
)

MONTHS = ["2026-09"]
UTC_US = pa.timestamp("us", tz="UTC")
# The raw contract, written out here (not imported) so that a change to the source shows up as a failure.
CONTRACT = [
    ("billing_account_id", pa.string()), ("cud_product_id", pa.string()), ("cud_product_display_name", pa.string()),
    ("cud_product_type", pa.string()), ("consumption_model_id", pa.string()),
    ("consumption_model_description", pa.string()), ("subscription_entitlement_scope", pa.string()),
    ("subscription_instance_id", pa.string()), ("subscription_display_name", pa.string()), ("region", pa.string()),
    ("commitment_amount_unit", pa.string()), ("commitment_amount_value", pa.decimal128(38, 9)), ("term", pa.string()),
    ("start_time", UTC_US), ("end_time", UTC_US), ("state", pa.string()), ("snapshot_rows", pa.int64()),
]
# A FLOAT64 amount whose shortest repr (12345678.12345679) and binary value (12345678.1234567891...) differ at 9 places
BIG_FLOAT = 12345678.123456789


def seed_billing(client, dataset: str) -> tuple[str, int]:
    rows = generate_billing_rows(MONTHS, rows_per_month=6, seed=21)
    return seed_bigquery(client, dataset, STANDARD_TABLE, rows), len(rows)


def load(client, config: dict, **params):
    return gcp_loader.load(request_for("gcp_costs", params or None, run_date=date(2026, 10, 20)), config=config,
                           client=client)


def read_cud(data_dir) -> pa.Table | None:
    files = sorted((data_dir / "raw" / "gcp_costs" / "cud_subscriptions").glob("*.parquet"))
    return pq.read_table(files) if files else None


def contract_of(table: pa.Table) -> list[tuple[str, pa.DataType]]:
    return [(field.name, field.type) for field in table.schema if not field.name.startswith("_dlt")]


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def expected_row(row: dict, snapshot_rows: int) -> dict:
    """A raw row by hand from a generated export row (FLOAT64 amount through its repr, times as UTC datetimes)."""
    return {
        "billing_account_id": row["billing_account_id"],
        "cud_product_id": row["cud_product"]["id"], "cud_product_display_name": row["cud_product"]["display_name"],
        "cud_product_type": row["cud_product"]["type"], "consumption_model_id": row["consumption_model"]["id"],
        "consumption_model_description": row["consumption_model"]["description"],
        "subscription_entitlement_scope": row["subscription"]["entitlement_scope"],
        "subscription_instance_id": row["subscription"]["instance_id"],
        "subscription_display_name": row["subscription"]["display_name"], "region": row["region"],
        "commitment_amount_unit": row["commitent_amount"]["unit"],
        "commitment_amount_value": Decimal(repr(row["commitent_amount"]["value"])),
        "term": row["term"], "start_time": ts(row["start_time"]), "end_time": ts(row["end_time"]),
        "state": row["state"], "snapshot_rows": snapshot_rows,
    }


def snapshots(raw: pa.Table) -> dict[str, list[dict]]:
    """The raw rows per load id (oldest first), without the load id, ordered by instance id."""
    by_load: dict[str, list[dict]] = {}
    for row in raw.to_pylist():
        by_load.setdefault(row.pop("_dlt_load_id"), []).append(row)
    return {load_id: sorted(rows, key=lambda r: r["subscription_instance_id"] or "")
            for load_id, rows in sorted(by_load.items())}


def test_each_run_appends_the_snapshot_with_exact_values_and_types(bigquery_client, billing_dataset, local_data):
    billing_table, billing_rows = seed_billing(bigquery_client, billing_dataset)
    commitments = generate_cud_subscription_rows(MONTHS)
    commitments[1]["commitent_amount"]["value"] = BIG_FLOAT
    seed_cud_table(bigquery_client, billing_dataset, commitments)

    report = load(bigquery_client, {"billing_table": billing_table})  # cud_table: auto, beside the billing export
    assert report.tables == {"billing_export": billing_rows, "cud_subscriptions": 3}
    assert report.summary()["rows_loaded"] == billing_rows  # the commitments are no cost rows
    raw = read_cud(local_data)
    assert contract_of(raw) == CONTRACT and "_dlt_load_id" in raw.column_names
    ((first_load, first),) = snapshots(raw).items()
    assert first == sorted((expected_row(row, 3) for row in commitments), key=lambda r: r["subscription_instance_id"])
    big = next(r for r in first if r["subscription_instance_id"] == commitments[1]["subscription"]["instance_id"])
    assert big["commitment_amount_value"] == Decimal("12345678.123456790")  # binary float would give ...789
    assert {r["cud_product_display_name"] for r in first} == {"Flexible CUD", "Cloud SQL CUD"}
    assert {r["state"] for r in first} == {"Active", "Expired"} and {r["term"] for r in first} == {"P1Y", "P3Y"}
    assert {r["billing_account_id"] for r in first} == {BILLING_ACCOUNT_ID}

    # the next day's snapshot has one more commitment: appended whole under a new load id, the first kept as it was
    added = copy.deepcopy(commitments[0])
    added["subscription"].update(instance_id="a1d2e3f4-0000-4000-8000-000000000001", display_name="Flexible CUD commitment 2")
    added["commitent_amount"]["value"] = 0.35
    seed_cud_table(bigquery_client, billing_dataset, [added])
    report = load(bigquery_client, {"billing_table": billing_table})
    assert report.tables == {"cud_subscriptions": 4}  # no new cost rows, a whole new snapshot
    runs = snapshots(read_cud(local_data))
    assert list(runs) == [first_load, max(runs)] and max(runs) > first_load
    assert runs[first_load] == first
    assert runs[max(runs)] == sorted((expected_row(row, 4) for row in [*commitments, added]),
                                     key=lambda r: r["subscription_instance_id"])


def test_a_numeric_amount_and_rfc3339_string_times_load_exactly_on_a_full_refresh(
        bigquery_client, billing_dataset, local_data):
    billing_table, billing_rows = seed_billing(bigquery_client, billing_dataset)
    commitments = generate_cud_subscription_rows(MONTHS)
    values = ["12345678901234567890.123456789", "0.000000001", "10.5"]
    times = [("2026-03-01T08:00:00-08:00", "2027-03-01T08:00:00.000000Z"),
             ("2026-03-01 12:30:00.123456789Z", "2027-03-01t12:30:00z"),
             ("2026-03-01T00:00:00", "2029-03-01 00:00:00 UTC")]
    for row, value, (start, end) in zip(commitments, values, times, strict=True):
        row["commitent_amount"]["value"] = value
        row.update(start_time=start, end_time=end)
    # configured by name: a table of another name, which auto-detection would not find
    cud_table = seed_cud_table(bigquery_client, billing_dataset, commitments, table="cud_numeric",
                               schema=cud_export_schema(value_type="NUMERIC", time_type="STRING"))
    queries, original = [], bigquery_client.query

    def recording_query(sql, *args, **kwargs):
        queries.append((sql, kwargs["job_config"].maximum_bytes_billed))
        return original(sql, *args, **kwargs)

    bigquery_client.query = recording_query
    try:
        report = load(bigquery_client, {"billing_table": billing_table, "cud_table": cud_table,
                                        "maximum_bytes_billed": 10**9}, full_refresh=True)
    finally:
        del bigquery_client.query
    assert report.tables == {"billing_export": billing_rows, "cud_subscriptions": 3}
    ((cud_sql, guard_rail),) = [(sql, limit) for sql, limit in queries if cud_table in sql]  # one query, capped
    assert guard_rail == 10**9 and "t.commitent_amount.value AS commitment_amount_value" in cud_sql
    raw = read_cud(local_data)
    assert contract_of(raw) == CONTRACT
    got = {r["subscription_instance_id"]: r for r in raw.to_pylist()}
    want_times = [(datetime(2026, 3, 1, 16, tzinfo=UTC), datetime(2027, 3, 1, 8, tzinfo=UTC)),
                  (datetime(2026, 3, 1, 12, 30, 0, 123456, tzinfo=UTC), datetime(2027, 3, 1, 12, 30, tzinfo=UTC)),
                  (datetime(2026, 3, 1, tzinfo=UTC), datetime(2029, 3, 1, tzinfo=UTC))]
    for row, value, (start, end) in zip(commitments, values, want_times, strict=True):
        loaded = got[row["subscription"]["instance_id"]]
        assert (loaded["commitment_amount_value"], loaded["start_time"], loaded["end_time"]) == (Decimal(value), start,
                                                                                                 end)
        assert loaded["snapshot_rows"] == 3


def test_an_empty_table_loads_one_sentinel_row_on_an_invoice_month_reload(bigquery_client, billing_dataset, local_data):
    billing_table, _ = seed_billing(bigquery_client, billing_dataset)
    seed_cud_table(bigquery_client, billing_dataset, [])
    report = load(bigquery_client, {"billing_table": billing_table}, invoice_months=["202609"])
    assert report.tables["cud_subscriptions"] == 1
    raw = read_cud(local_data)
    assert contract_of(raw) == CONTRACT
    ((sentinel,),) = snapshots(raw).values()
    assert sentinel == {name: 0 if name == "snapshot_rows" else None for name, _ in CONTRACT}

    seed_cud_table(bigquery_client, billing_dataset, generate_cud_subscription_rows(MONTHS))
    load(bigquery_client, {"billing_table": billing_table})
    runs = list(snapshots(read_cud(local_data)).values())
    assert [[r["snapshot_rows"] for r in rows] for rows in runs] == [[0], [3, 3, 3]]


def test_auto_detection_skips_an_absent_table_and_false_never_loads_one(
        bigquery_client, billing_dataset, local_data, caplog):
    billing_table, billing_rows = seed_billing(bigquery_client, billing_dataset)
    with caplog.at_level(logging.INFO, logger="include.loaders.gcp"):
        report = load(bigquery_client, {"billing_table": billing_table})
    assert report.tables == {"billing_export": billing_rows}
    expected = f"{bigquery_client.project}.{billing_dataset}.{CUD_TABLE}"
    assert any(f"no CUD metadata export {expected}" in r.getMessage() and r.levelno == logging.INFO
               for r in caplog.records)
    assert not (local_data / "raw" / "gcp_costs" / "cud_subscriptions").exists()

    seed_cud_table(bigquery_client, billing_dataset, generate_cud_subscription_rows(MONTHS))
    assert "cud_subscriptions" not in load(bigquery_client, {"billing_table": billing_table, "cud_table": False}).tables
    assert read_cud(local_data) is None
    # a dataset as billing_table: the CUD table of that dataset
    dataset = f"{bigquery_client.project}.{billing_dataset}"
    assert load(bigquery_client, {"billing_table": dataset}).tables == {"cud_subscriptions": 3}
    assert read_cud(local_data).num_rows == 3


def test_a_configured_table_that_does_not_exist_fails_naming_it_before_any_load(
        bigquery_client, billing_dataset, local_data):
    billing_table, _ = seed_billing(bigquery_client, billing_dataset)
    missing = f"{bigquery_client.project}.{billing_dataset}.no_cud_here"
    with pytest.raises(BillingExportError, match=rf"GCP CUD export table {re.escape(missing)} was not found"):
        load(bigquery_client, {"billing_table": billing_table, "cud_table": missing})
    assert not (local_data / "raw" / "gcp_costs").exists()  # checked before the cost export was loaded
    with pytest.raises(ValueError, match="cud_table"):
        load(bigquery_client, {"billing_table": billing_table, "cud_table": True})


def test_a_table_without_the_documented_fields_fails_naming_table_and_fields(
        bigquery_client, billing_dataset, local_data):
    billing_table, _ = seed_billing(bigquery_client, billing_dataset)
    schema = [bigquery.SchemaField("subscription", "RECORD", fields=[
        bigquery.SchemaField("entitlement_scope", "STRING"), bigquery.SchemaField("display_name", "STRING")])
        if field.name == "subscription" else field for field in cud_export_schema() if field.name != "term"]
    cud_table = seed_cud_table(bigquery_client, billing_dataset, [], schema=schema)
    with pytest.raises(BillingExportError) as failure:
        load(bigquery_client, {"billing_table": billing_table})
    message = str(failure.value)
    assert f"GCP CUD export table {cud_table}" in message
    assert "missing subscription.instance_id, term" in message
    assert not (local_data / "raw" / "gcp_costs").exists()


BAD_ROWS = {
    "null_instance_id": ("subscription", {"instance_id": None}, r"subscription\.instance_id is NULL"),
    "null_end_time": ("end_time", None, r"end_time is NULL"),
    "unparsable_time": ("start_time", "next tuesday", r"start_time 'next tuesday' is not an RFC 3339 timestamp"),
    "end_before_start": ("end_time", "2020-01-01T00:00:00Z",
                         r"end_time 2020-01-01T00:00:00\+00:00 is before start_time \d{4}-\d\d-\d\dT00:00:00\+00:00"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_row_fails_naming_table_and_row(bigquery_client, billing_dataset, local_data, case):
    field, value, problem = BAD_ROWS[case]
    commitments = generate_cud_subscription_rows(MONTHS)
    bad = commitments[1]
    if isinstance(value, dict):
        bad[field] = {**bad[field], **value}
    else:
        bad[field] = value
    time_type = "STRING" if case == "unparsable_time" else "TIMESTAMP"
    cud_table = seed_cud_table(bigquery_client, billing_dataset, commitments,
                               schema=cud_export_schema(time_type=time_type))
    with pytest.raises(LoadError) as failure:
        run_pipeline("gcp_costs", gcp_cud_source(bigquery_client, cud_table))
    message = str(failure.value)
    assert isinstance(root_cause(failure.value.__cause__), BillingExportError), message
    assert f"GCP CUD export table {cud_table}: " in message and re.search(problem, message), message
    assert f"subscription.display_name {bad['subscription']['display_name']!r}" in message
    assert f"subscription.instance_id {bad['subscription']['instance_id']!r}" in message
    assert read_cud(local_data) is None  # nothing of the snapshot written


# ------------------------------------------------------------------------------- without the emulator
def test_amounts_go_through_the_shortest_repr_and_must_fit_decimal_38_9():
    assert exact_decimal(BIG_FLOAT) == Decimal("12345678.123456790")
    assert exact_decimal(0.1 + 0.2) == Decimal("0.300000000")
    assert exact_decimal(Decimal("1.0000000005")) == Decimal("1.000000000")  # half-even to 9 places
    assert exact_decimal(7) == Decimal(7) and exact_decimal(None) is None
    for bad in (float("nan"), float("inf"), 1e30, Decimal("1e29")):
        with pytest.raises(ValueError):
            exact_decimal(bad)


@pytest.mark.parametrize(("text", "want"), [
    ("2026-03-01T08:00:00-08:00", datetime(2026, 3, 1, 16, tzinfo=UTC)),
    ("2026-03-01t00:00:00.5z", datetime(2026, 3, 1, 0, 0, 0, 500000, tzinfo=UTC)),
    ("2026-03-01 00:00:00 UTC", datetime(2026, 3, 1, tzinfo=UTC)),
    ("2026-03-01T00:00:00", datetime(2026, 3, 1, tzinfo=UTC)),
    ("2026-03-01", None), ("2026-13-01T00:00:00Z", None), ("soon", None),
])
def test_rfc3339_strings(text, want):
    if want is None:
        with pytest.raises(ValueError):
            parse_timestamp(text)
    else:
        assert parse_timestamp(text) == want


def test_schema_check_names_mistyped_fields_and_accepts_the_corrected_spelling():
    F = bigquery.SchemaField
    assert check_table(cud_export_schema(value_type="NUMERIC", time_type="STRING"), "p.d.t") == "commitent_amount"
    corrected = [F("commitment_amount", "RECORD", fields=f.fields) if f.name == "commitent_amount" else f
                 for f in cud_export_schema()]
    assert check_table(corrected, "p.d.t") == "commitment_amount"
    text_amount = [F("commitent_amount", "RECORD", fields=[F("unit", "STRING"), F("value", "STRING")])
                   if f.name == "commitent_amount" else f for f in cud_export_schema()]
    with pytest.raises(BillingExportError, match=r"GCP CUD export table p\.d\.t: commitent_amount\.value is "
                                                 r"NULLABLE STRING, expected .*NUMERIC"):
        check_table(text_amount, "p.d.t")


class _FakeClient:
    """get_table of a client: the names asked for, and a Google API error for the ones in `errors`."""
    project = "p"

    def __init__(self, errors: dict | None = None):
        self.errors, self.asked = errors or {}, []

    def get_table(self, table):
        self.asked.append(table)
        if table in self.errors:
            raise self.errors[table]
        return object()


def test_auto_looks_beside_the_billing_export_and_permission_errors_name_the_table(local_data, caplog):
    chosen = {"focus": "p.gcp_billing_immutable_x.gcp_billing_export_focus_x", "billing_export": "p.bill.export_v1"}
    client = _FakeClient()
    assert gcp_loader.cud_table_to_load(client, {}, chosen) == "p.bill.cud_subscriptions_export"
    assert client.asked == ["p.bill.cud_subscriptions_export"]
    focus_only = {"focus": chosen["focus"]}
    absent = _FakeClient({f"p.gcp_billing_immutable_x.{CUD_TABLE}": gexc.NotFound("no table")})
    assert gcp_loader.cud_table_to_load(absent, {"cud_table": None}, focus_only) is None
    assert absent.asked == [f"p.gcp_billing_immutable_x.{CUD_TABLE}"]  # FOCUS only: the first entry's dataset
    assert gcp_loader.cud_table_to_load(client, {"cud_table": "q.d.t"}, chosen) == "q.d.t"
    # auto-detection that may not look: a warning naming the table, and the costs load without it
    forbidden = _FakeClient({"p.bill.cud_subscriptions_export": gexc.Forbidden("Access Denied")})
    with caplog.at_level(logging.WARNING, logger="include.loaders.gcp"):
        assert gcp_loader.cud_table_to_load(forbidden, {}, chosen) is None
    assert any("permission denied on GCP CUD export table p.bill.cud_subscriptions_export" in r.getMessage()
               and r.levelno == logging.WARNING for r in caplog.records)
    broken = _FakeClient({"p.bill.cud_subscriptions_export": gexc.InternalServerError("backend error")})
    with pytest.raises(BillingExportError, match=r"reading GCP CUD export table p\.bill\.cud_subscriptions_export"):
        gcp_loader.cud_table_to_load(broken, {}, chosen)
    # a configured or found table that may not be read: an error naming it
    with pytest.raises(BillingExportError, match=r"permission denied on GCP CUD export table p\.d\.t while reading"):
        gcp_cud_source(_FakeClient({"p.d.t": gexc.Forbidden("Access Denied")}), "p.d.t")
