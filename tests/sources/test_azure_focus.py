"""The Azure FOCUS export source and load task against a real Blob Storage API (Azurite)."""

import gzip
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from include import transform
from include.loaders import azure as azure_loader
from include.loaders.period_loads import completed_load_ids, newest_completed_load
from include.pipelines import LoadError, root_cause
from include.run_intent import request_for
from include.sources.azure_focus import FocusExportError, list_runs
from include.sources.azure_focus.helpers import conform_column
from standins.azurite import ACCOUNT_KEY, ACCOUNT_NAME
from standins.sample_data.azure import FOCUS_COLUMNS, FocusExport, generate_focus_month, to_csv_bytes, write_focus_run

SEPTEMBER_RUN_TIME = datetime(2026, 10, 3, 6, 0, tzinfo=UTC)


@pytest.fixture
def azure_airflow(azurite_server, focus_container, local_data, monkeypatch):
    """The `wasb` connection and Variable the load task reads, pointing at Azurite."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_AZURE_COST_EXPORTS",
        json.dumps({"conn_type": "wasb", "login": ACCOUNT_NAME, "password": ACCOUNT_KEY,
                    "host": azurite_server.blob_endpoint}),
    )
    export = FocusExport(focus_container, "focus", "finops-focus")
    monkeypatch.setenv("AIRFLOW_VAR_AZURE_COSTS_CONFIG", json.dumps(
        {"container": export.container, "directory": export.directory, "export_name": export.export_name}
    ))
    return export


def load(params: dict | None = None, day: date = date(2026, 9, 30), run_type: str = "scheduled") -> dict[str, int]:
    """Rows the load task loaded per month for a run of `run_type` on `day` (0: unchanged)."""
    return azure_loader.load(request_for("azure_costs", params, run_date=day, run_type=run_type)).rows_by_period()


def cents(values) -> Decimal:
    return sum((Decimal(repr(v)) for v in values if v is not None), Decimal(0)).quantize(Decimal("0.01"))


def expected(table: pa.Table) -> tuple[int, Decimal, Decimal]:
    return table.num_rows, cents(table["BilledCost"].to_pylist()), cents(table["EffectiveCost"].to_pylist())


def raw_month_tables(data_dir) -> dict[str, pa.Table]:
    """What a reader counts per month: the rows of the month's newest completed load."""
    table_dir = data_dir / "raw" / "azure_costs" / "focus_costs"
    completed = completed_load_ids(table_dir.parent)
    tables = {}
    for month_dir in sorted(p for p in table_dir.glob("*") if p.is_dir()):
        newest = newest_completed_load(month_dir, completed)
        if newest:
            tables[month_dir.name] = pq.read_table(sorted(month_dir.glob(f"{newest}.*.parquet")))
    return tables


def raw_totals(data_dir) -> dict[str, tuple[int, Decimal, Decimal]]:
    return {month: expected(table) for month, table in raw_month_tables(data_dir).items()}


def write_run(azurite_server, export, month, table, file_format="parquet", hours_after=0, **kwargs):
    return write_focus_run(azurite_server.service_client(), export, month, table, file_format,
                           submitted=SEPTEMBER_RUN_TIME + timedelta(hours=hours_after), **kwargs)


def test_loads_each_month_with_every_column_from_parquet_and_csv(azurite_server, azure_airflow, local_data):
    august = generate_focus_month("2026-08", 1_200)
    september = generate_focus_month("2026-09", 1_500)
    write_run(azurite_server, azure_airflow, "2026-08", august, "csv", rows_per_file=500)
    write_run(azurite_server, azure_airflow, "2026-09", september, "parquet", rows_per_file=600)

    assert load() == {"2026-08": 1_200, "2026-09": 1_500}
    assert raw_totals(local_data) == {"2026-08": expected(august), "2026-09": expected(september)}
    for table in raw_month_tables(local_data).values():
        # every documented column, x_ ones included, with Microsoft's names; money as double, dates UTC
        assert set(FOCUS_COLUMNS) <= set(table.column_names)
        assert table.schema.field("BilledCost").type == pa.float64()
        assert table.schema.field("ChargePeriodStart").type == pa.timestamp("us", tz="UTC")
        assert "_dlt_load_id" in table.column_names  # readers count only rows of completed loads
    csv_month = raw_month_tables(local_data)["2026-08"]
    assert sorted(set(csv_month["x_SkuMeterCategory"].to_pylist())) == sorted(set(august["x_SkuMeterCategory"].to_pylist()))
    assert set(csv_month["billing_period"].to_pylist()) == {"2026-08"}
    assert set(csv_month["export_dataset_version"].to_pylist()) == {"1.2-preview"}
    # when Azure produced the run (manifest runInfo.submittedTime): the FOCUS billing period's delivery time
    assert set(csv_month["export_submitted_at"].to_pylist()) == {SEPTEMBER_RUN_TIME}
    assert json.loads(csv_month["Tags"][0].as_py()).keys() == {"team", "env"}


def test_newer_run_replaces_the_month_and_an_unchanged_month_is_not_reloaded(azurite_server, azure_airflow,
                                                                            local_data):
    first = generate_focus_month("2026-09", 1_000, seed=1)
    write_run(azurite_server, azure_airflow, "2026-09", first, rows_per_file=400)
    assert load() == {"2026-09": 1_000}
    assert load() == {"2026-09": 0}

    restated = generate_focus_month("2026-09", 1_300, seed=2)  # late charges: a newer run of the month
    write_run(azurite_server, azure_airflow, "2026-09", restated, hours_after=24, rows_per_file=400)
    # a run submitted earlier but written later (a delayed upload) is not the newest
    write_run(azurite_server, azure_airflow, "2026-09", generate_focus_month("2026-09", 50, seed=3), hours_after=-24)
    assert load() == {"2026-09": 1_300}
    assert raw_totals(local_data) == {"2026-09": expected(restated)}
    # only the newest run's rows remain on disk
    files = list((local_data / "raw" / "azure_costs" / "focus_costs" / "2026-09").glob("*.parquet"))
    assert pq.read_table(files).num_rows == 1_300


def test_an_export_that_overwrites_its_previous_run_replaces_the_month(azurite_server, azure_airflow, local_data):
    write_run(azurite_server, azure_airflow, "2026-09", generate_focus_month("2026-09", 700, seed=1))
    load()
    restated = generate_focus_month("2026-09", 650, seed=2)
    write_run(azurite_server, azure_airflow, "2026-09", restated, hours_after=24, overwrite_previous=True)
    assert load() == {"2026-09": 650}
    assert raw_totals(local_data) == {"2026-09": expected(restated)}


def sql_month_totals() -> dict[str, tuple[int, Decimal]]:
    """Per month: (FOCUS rows, BilledCost to the cent) as the SQL layer counts them after the build the Azure DAG
    runs after a load (the months changed since its last build)."""
    transform.run_transformations("azure", periods="changed")
    _, rows = transform.query(
        "SELECT billing_period, count(), sum(BilledCost) FROM finops.int_azure__cost_line_items GROUP BY 1"
    )
    return {month: (int(n), Decimal(cost).quantize(Decimal("0.01"))) for month, n, cost in rows}


def write_run_without_blobs(azurite_server, export, month: str, hours_after: int, **counts) -> str:
    """A run of `month` as Cost Management writes one with no cost rows: a manifest listing no blob."""
    run_id = f"empty-run-{hours_after}"
    submitted = SEPTEMBER_RUN_TIME + timedelta(hours=hours_after)
    manifest = {"manifestVersion": "2024-04-01", "byteCount": 0, "blobCount": 0, "dataRowCount": 0, **counts,
                "exportConfig": {"exportName": export.export_name, "dataVersion": "1.2-preview", "type": "FocusCost",
                                 "timeFrame": "MonthToDate"},
                "runInfo": {"submittedTime": submitted.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"), "runId": run_id},
                "blobs": []}
    name = f"{export.month_folder(month)}/{run_id}/manifest.json"
    azurite_server.service_client().get_container_client(export.container).upload_blob(
        name, json.dumps(manifest).encode(), overwrite=True)
    return name


def assert_september_emptied(local_data, august: pa.Table, report) -> None:
    assert report.rows_by_period() == {"2026-08": 0, "2026-09": 0}
    assert report.summary()["periods"]["2026-09"]["status"] == "loaded"
    assert report.summary()["periods"]["2026-08"]["status"] == "unchanged"
    # on disk: September's newest completed load has no rows and the older run's files are gone
    assert raw_totals(local_data) == {"2026-08": expected(august)}
    assert not list((local_data / "raw" / "azure_costs" / "focus_costs" / "2026-09").glob("*.parquet"))
    # in SQL: September counts nothing, August is untouched
    assert sql_month_totals() == {"2026-08": expected(august)[:2]}
    # and the emptied month is not reloaded by every later run
    assert load(day=date(2026, 10, 6)) == {"2026-08": 0, "2026-09": 0}
    assert sql_month_totals() == {"2026-08": expected(august)[:2]}


def test_a_newer_run_whose_blob_has_no_rows_empties_the_month(azurite_server, azure_airflow, local_data):
    august, september = generate_focus_month("2026-08", 100, seed=1), generate_focus_month("2026-09", 100, seed=2)
    write_run(azurite_server, azure_airflow, "2026-08", august)
    write_run(azurite_server, azure_airflow, "2026-09", september)
    assert load() == {"2026-08": 100, "2026-09": 100}
    assert sql_month_totals() == {"2026-08": expected(august)[:2], "2026-09": expected(september)[:2]}

    # Azure exports September again and now has no row for it: the run's one partition is a header-only CSV
    write_run(azurite_server, azure_airflow, "2026-09", september.slice(0, 0), "csv", hours_after=24)
    report = azure_loader.load(request_for("azure_costs", None, run_date=date(2026, 10, 5), run_type="scheduled"))
    assert_september_emptied(local_data, august, report)


def test_a_run_manifest_without_blobs_is_a_month_without_rows(azurite_server, azure_airflow, local_data):
    august, september = generate_focus_month("2026-08", 100, seed=1), generate_focus_month("2026-09", 100, seed=2)
    write_run(azurite_server, azure_airflow, "2026-08", august)
    write_run(azurite_server, azure_airflow, "2026-09", september)
    assert load() == {"2026-08": 100, "2026-09": 100}

    # blobCount 0, dataRowCount 0, blobs []: a normal run without rows (it used to fail every month's load)
    write_run_without_blobs(azurite_server, azure_airflow, "2026-09", hours_after=24)
    report = azure_loader.load(request_for("azure_costs", None, run_date=date(2026, 10, 5), run_type="scheduled"))
    assert_september_emptied(local_data, august, report)


def test_a_manifest_listing_no_blobs_but_counting_rows_fails_naming_it(azurite_server, azure_airflow, local_data):
    september = generate_focus_month("2026-09", 100, seed=2)
    write_run(azurite_server, azure_airflow, "2026-09", september)
    load()
    name = write_run_without_blobs(azurite_server, azure_airflow, "2026-09", hours_after=24, blobCount=2,
                                   dataRowCount=40)
    with pytest.raises(FocusExportError, match=rf"manifest az://{azure_airflow.container}/{name} lists no blobs"):
        load()
    assert raw_totals(local_data) == {"2026-09": expected(september)}


def test_corrupt_blob_fails_naming_it_and_keeps_the_previous_data(azurite_server, azure_airflow, local_data):
    good = generate_focus_month("2026-09", 900)
    write_run(azurite_server, azure_airflow, "2026-09", good)
    load()
    before = raw_totals(local_data)

    manifest = write_run(azurite_server, azure_airflow, "2026-09", generate_focus_month("2026-09", 900, seed=5),
                         hours_after=24, rows_per_file=400)
    container = azurite_server.service_client().get_container_client(azure_airflow.container)
    blobs = json.loads(container.download_blob(manifest).readall())["blobs"]
    bad = blobs[1]["blobName"]
    container.upload_blob(bad, b"PAR1 truncated", overwrite=True)
    with pytest.raises(LoadError, match=f"FocusExportError: data blob az://{azure_airflow.container}/{bad} has 14 bytes"
                       ) as failure:
        load()
    assert isinstance(root_cause(failure.value.__cause__), FocusExportError)
    assert raw_totals(local_data) == before == {"2026-09": expected(good)}

    # the same size as the manifest says, but not parquet: the read fails, naming the blob
    container.upload_blob(bad, b"X" * blobs[1]["byteCount"], overwrite=True)
    with pytest.raises(LoadError, match=f"cannot read data blob az://{azure_airflow.container}/{bad}"):
        load()
    assert raw_totals(local_data) == before


def test_text_in_a_cost_column_fails_naming_blob_column_and_row(azurite_server, azure_airflow):
    manifest = write_run(azurite_server, azure_airflow, "2026-09", generate_focus_month("2026-09", 300), "csv")
    container = azurite_server.service_client().get_container_client(azure_airflow.container)
    blob = json.loads(container.download_blob(manifest).readall())["blobs"][0]["blobName"]
    text = gzip.decompress(container.download_blob(blob).readall()).decode().splitlines()
    header = text[0].split(",")
    fields = text[5].split(",")  # data row 5
    fields[header.index('"BilledCost"') if '"BilledCost"' in header else header.index("BilledCost")] = "n/a"
    text[5] = ",".join(fields)
    data = gzip.compress(("\n".join(text) + "\n").encode())
    container.upload_blob(blob, data, overwrite=True)
    manifest_doc = json.loads(container.download_blob(manifest).readall())
    manifest_doc["blobs"][0]["byteCount"] = len(data)
    container.upload_blob(manifest, json.dumps(manifest_doc).encode(), overwrite=True)
    with pytest.raises(LoadError, match=f"data blob az://{azure_airflow.container}/{blob}: column BilledCost row 5 "
                                        "is 'n/a', expected a number"):
        load()


def test_missing_blob_and_rows_of_another_month_fail_naming_the_blob(azurite_server, azure_airflow):
    container = azurite_server.service_client().get_container_client(azure_airflow.container)
    manifest = write_run(azurite_server, azure_airflow, "2026-09", generate_focus_month("2026-09", 600),
                         rows_per_file=300)
    missing = json.loads(container.download_blob(manifest).readall())["blobs"][0]["blobName"]
    container.delete_blob(missing)
    with pytest.raises(LoadError, match=f"data blob az://{azure_airflow.container}/{missing} listed in manifest "
                                        f"az://{azure_airflow.container}/{manifest} does not exist"):
        load()

    # August's rows in September's export would be counted twice once August is loaded too
    august_rows = generate_focus_month("2026-08", 200)
    manifest = write_run(azurite_server, azure_airflow, "2026-09", august_rows, hours_after=24)
    blob = json.loads(container.download_blob(manifest).readall())["blobs"][0]["blobName"]
    with pytest.raises(LoadError, match=f"data blob az://{azure_airflow.container}/{blob}: column BillingPeriodStart "
                                        "row 1 is 2026-08-01 00:00:00\\+00:00, outside the export's month 2026-09"):
        load()


def test_a_manifest_of_another_dataset_fails_naming_it(azurite_server, azure_airflow):
    container = azurite_server.service_client().get_container_client(azure_airflow.container)
    manifest = write_run(azurite_server, azure_airflow, "2026-09", generate_focus_month("2026-09", 100))
    document = json.loads(container.download_blob(manifest).readall())
    document["exportConfig"]["type"] = "ActualCost"
    container.upload_blob(manifest, json.dumps(document).encode(), overwrite=True)
    with pytest.raises(FocusExportError, match=f"manifest az://{azure_airflow.container}/{manifest}: "
                                               "exportConfig.type is 'ActualCost', expected FocusCost"):
        load()


def test_params_and_backfill_choose_the_months(azurite_server, azure_airflow):
    assert load() == {}  # no run yet: nothing, and a warning
    for month in ("2026-07", "2026-08", "2026-09"):
        write_run(azurite_server, azure_airflow, month, generate_focus_month(month, 200))
    assert load({"billing_periods": ["2026-08"]}, run_type="manual") == {"2026-08": 200}
    # "to reload": asked again, the month is reloaded though Azure wrote no newer run of it
    assert load({"billing_periods": ["2026-08"]}, run_type="manual") == {"2026-08": 200}
    with pytest.raises(ValueError, match=r"billing periods \['2026-05'\] have no delivered manifest"):
        load({"billing_periods": ["2026-05"]}, run_type="manual")
    # a backfill run reloads the month of its date (include/run_intent.py picks which run of the backfill)
    assert load(day=date(2026, 7, 10), run_type="backfill") == {"2026-07": 200}
    # a scheduled run loads the month never loaded and leaves the others as they are
    scheduled = azure_loader.load(request_for("azure_costs", run_date=date(2026, 9, 30))).summary()["periods"]
    assert {month: entry["status"] for month, entry in scheduled.items()} == {
        "2026-07": "unchanged", "2026-08": "unchanged", "2026-09": "loaded"}
    assert scheduled["2026-07"]["reason"] == "Azure did not re-deliver it since its last load"
    # a closed month Azure exported again is reloaded, however old
    write_run(azurite_server, azure_airflow, "2026-07", generate_focus_month("2026-07", 150, seed=5), hours_after=1)
    assert load() == {"2026-07": 150, "2026-08": 0, "2026-09": 0}
    # a month Azure never exported is skipped by its backfill run, with the reason, not failed
    backfill = azure_loader.load(request_for("azure_costs", run_date=date(2026, 5, 10), run_type="backfill"))
    assert backfill.rows_by_period() == {}
    assert backfill.summary()["periods"]["2026-05"] == {
        "status": "skipped", "rows": 0,
        "reason": f"Azure has delivered no manifest for it under az://{azure_airflow.container}/focus/finops-focus/"}


def test_credentials_from_a_wasb_connection(monkeypatch):
    def credentials(**connection):
        monkeypatch.setenv("AIRFLOW_CONN_AZURE_TEST", json.dumps({"conn_type": "wasb", **connection}))
        return azure_loader.credentials_from_connection("azure_test")

    assert credentials(login="acct", password="key") == {
        "azure_storage_account_name": "acct", "azure_storage_account_key": "key"}
    assert credentials(login="acct", password="key", host="https://acct.blob.core.windows.net/") == {
        "azure_storage_account_name": "acct", "azure_storage_account_key": "key"}
    assert credentials(host="https://acct.blob.core.windows.net", extra={"sas_token": "?sv=1&sig=x"}) == {
        "azure_storage_account_name": "acct", "azure_storage_sas_token": "?sv=1&sig=x"}
    assert credentials(extra={"connection_string": "AccountName=a;AccountKey=k"}) == {
        "connection_string": "AccountName=a;AccountKey=k"}
    assert credentials(login="client", password="secret", host="https://acct.blob.core.windows.net",
                       extra={"tenant_id": "tenant"}) == {
        "azure_storage_account_name": "acct", "azure_tenant_id": "tenant", "azure_client_id": "client",
        "azure_client_secret": "secret"}
    assert credentials(login=ACCOUNT_NAME, password=ACCOUNT_KEY, host="http://127.0.0.1:10000/devstoreaccount1") == {
        "azure_storage_account_name": ACCOUNT_NAME, "azure_storage_account_key": ACCOUNT_KEY,
        "blob_endpoint": "http://127.0.0.1:10000/devstoreaccount1"}
    with pytest.raises(ValueError, match="names no storage account"):
        credentials(password="key")


def test_csv_sample_writes_dates_as_cost_management_does():
    table = generate_focus_month("2026-09", 3)
    text = gzip.decompress(to_csv_bytes(table)).decode()
    assert "2026-09-01T00:00:00Z" in text


def test_conform_column_reads_parquet_types_and_every_iso_spelling_azure_wrote():
    money = pa.array([Decimal("1.2345678901"), None], pa.decimal128(28, 10))
    assert conform_column("BilledCost", money, "az://c/b", 1).to_pylist() == [1.2345678901, None]
    # FOCUS 1.0 wrote minutes only, 1.0r2 and later seconds; a naive parquet timestamp is UTC
    text = pa.array(["2024-01-01T00:00Z", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00", None])
    utc = datetime(2024, 1, 1, tzinfo=UTC)
    assert conform_column("ChargePeriodStart", text, "az://c/b", 1).to_pylist() == [utc, utc, utc, None]
    naive = pa.array([datetime(2024, 1, 1)], pa.timestamp("ms"))
    assert conform_column("x_BillingExchangeRateDate", naive, "az://c/b", 1).to_pylist() == [utc]
    assert conform_column("ResourceName", pa.array(["NA"]), "az://c/b", 1).to_pylist() == ["NA"]
    assert conform_column("x_SkuTerm", pa.array([12, None]), "az://c/b", 1).to_pylist() == ["12", None]
    with pytest.raises(FocusExportError, match="data blob az://c/b: column ChargePeriodEnd row 12 is 'soon', "
                                               "expected a date and time"):
        conform_column("ChargePeriodEnd", pa.array(["2024-01-01T00:00:00Z", "soon"]), "az://c/b", 11)


def test_a_sas_token_or_a_connection_string_reads_the_export(azurite_server, azure_airflow):
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    write_run(azurite_server, azure_airflow, "2026-09", generate_focus_month("2026-09", 10))
    sas = generate_account_sas(ACCOUNT_NAME, ACCOUNT_KEY, ResourceTypes(service=True, container=True, object=True),
                               AccountSasPermissions(read=True, list=True), expiry=datetime.now(UTC) + timedelta(hours=1))
    for credentials in (
        {"azure_storage_account_name": ACCOUNT_NAME, "azure_storage_sas_token": sas,
         "blob_endpoint": azurite_server.blob_endpoint},
        {"connection_string": azurite_server.connection_string},
    ):
        (run,) = list_runs(azure_airflow.container, azure_airflow.directory, azure_airflow.export_name, credentials)
        assert run.month == "2026-09" and [b["row_count"] for b in run.blobs] == [10]
