"""Finding Azure Cost Management FOCUS export runs in Blob Storage and turning their partitions into
arrow tables for dlt.

An export writes every run of a month into a folder of its own with a `manifest.json` that lists
the run's partitions and says when the run was submitted:

    <container>/<directory>/<export>/<YYYYMMDD-YYYYMMDD>/[<timestamp>/]<run id>/manifest.json

The newest run of a month (by `runInfo.submittedTime`) holds the month as Azure sees it now: it is
the one loaded, and it replaces whatever an older run put there. A run without a manifest is still
being written and is not a run yet. Files are read through dlt's fsspec filesystem (adlfs).
"""

from __future__ import annotations

import calendar
import csv
import gzip
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from .errors import FocusExportError
from .validation import check_batch, check_blob_present, check_manifest_blobs

MONTH_FOLDER = re.compile(r"^(\d{4})(\d{2})01-(\d{4})(\d{2})(\d{2})$")
MANIFEST_NAME = "manifest.json"
DATASET_TYPE = "focuscost"  # exportConfig.type of the "Cost and usage details (FOCUS)" dataset
BATCH_ROWS = 65_536
CSV_BLOCK_BYTES = 8 << 20

# Column kinds by FOCUS name (the x_ columns follow the same naming): money, prices, quantities and
# rates as float64, dates as UTC timestamps, whatever the file wrote; everything else is text.
NUMBER_SUFFIXES = ("Cost", "UnitPrice", "Quantity", "CostInUsd")
NUMBER_COLUMNS = {"x_BillingExchangeRate", "x_PartnerCreditRate", "x_PricingBlockSize"}
TIMESTAMP_SUFFIXES = ("PeriodStart", "PeriodEnd")
TIMESTAMP_COLUMNS = {"x_BillingExchangeRateDate"}
UTC_MICROS = pa.timestamp("us", tz="UTC")


@dataclass
class ExportRun:
    """The run of a month that is loaded: its manifest and the partitions the manifest lists."""

    month: str  # YYYY-MM
    manifest_path: str  # container/..., as the filesystem names it
    run_id: str
    submitted_time: str
    data_version: str | None = None
    blobs: list[dict] = field(default_factory=list)  # {"path", "byte_count", "row_count"}

    @property
    def key(self) -> str:
        """What identifies this run: a newer run of the month has another key."""
        return f"{self.run_id}|{self.submitted_time}|{len(self.blobs)}"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, number = (int(x) for x in month.split("-"))
    start = datetime(year, number, 1, tzinfo=UTC)
    return start, start + timedelta(days=calendar.monthrange(year, number)[1])


def blob_filesystem(credentials: dict):
    """An adlfs filesystem through dlt's fsspec factory, from connection-derived plain values:
    `azure_storage_account_name` with `azure_storage_account_key` or `azure_storage_sas_token`, or
    with a service principal (`azure_tenant_id`, `azure_client_id`, `azure_client_secret`); or a
    `connection_string`. `blob_endpoint`: another endpoint than `https://<account>.blob.core.windows.net`
    (Azurite, a sovereign cloud). Listings are not cached: a run written since must be seen."""
    from dlt.common.configuration.specs import (
        AzureCredentialsWithoutDefaults,
        AzureServicePrincipalCredentialsWithoutDefaults,
    )
    from dlt.common.storages import fsspec_filesystem

    account = credentials.get("azure_storage_account_name")
    key, sas = credentials.get("azure_storage_account_key"), credentials.get("azure_storage_sas_token")
    connection_string = credentials.get("connection_string")
    endpoint = (credentials.get("blob_endpoint") or "").rstrip("/")
    kwargs = {"skip_instance_cache": True, "use_listings_cache": False}
    if not (account or connection_string):
        raise ValueError("Azure credentials need azure_storage_account_name or a connection_string")
    if credentials.get("azure_tenant_id"):
        dlt_credentials = AzureServicePrincipalCredentialsWithoutDefaults(
            azure_storage_account_name=account,
            azure_tenant_id=credentials["azure_tenant_id"],
            azure_client_id=credentials.get("azure_client_id"),
            azure_client_secret=credentials.get("azure_client_secret"),
        )
        if endpoint:  # adlfs takes a host and speaks https to it
            dlt_credentials.azure_account_host = endpoint.split("://", 1)[-1]
    else:
        if not connection_string and endpoint:  # adlfs reaches a non-default endpoint only this way
            secret = f"AccountKey={key}" if key else f"SharedAccessSignature={(sas or '').lstrip('?')}"
            connection_string = f"AccountName={account};{secret};BlobEndpoint={endpoint};"
        if connection_string:  # adlfs takes it before the account name and key
            kwargs["connection_string"] = connection_string
        dlt_credentials = AzureCredentialsWithoutDefaults(
            azure_storage_account_name=account or "from-connection-string",
            azure_storage_account_key=key,
            azure_storage_sas_token=sas,
        )
    # The Azure SDK logs every request with its headers at INFO: hundreds of lines per month's load.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
    # the URL only picks the protocol: every path given to the filesystem starts with its container
    filesystem, _ = fsspec_filesystem("az://container", dlt_credentials, kwargs=kwargs)
    return filesystem


def blob_url(path: str) -> str:
    return f"az://{path}"


def export_base(container: str, directory: str, export_name: str) -> str:
    return "/".join(p.strip("/") for p in (container, directory, export_name) if p and p.strip("/"))


def _parse_submitted(value, manifest_url: str) -> datetime:
    """runInfo.submittedTime (ISO 8601 with up to 7 fraction digits and a `Z`) as a UTC datetime."""
    text = str(value or "")
    match = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$", text)
    if not match:
        raise FocusExportError(f"manifest {manifest_url}: runInfo.submittedTime {value!r} is not an ISO 8601 time")
    fraction = (match.group(2) or ".0")[1:7].ljust(6, "0")
    parsed = datetime.fromisoformat(f"{match.group(1)}.{fraction}{(match.group(3) or 'Z').replace('Z', '+00:00')}")
    return parsed.astimezone(UTC)


def read_manifest(filesystem, path: str, container: str, month: str) -> tuple[datetime, ExportRun]:
    """(submitted time, run) from one manifest; a manifest that cannot be one of a FOCUS export's
    raises FocusExportError naming it."""
    url = blob_url(path)
    try:
        manifest = json.loads(filesystem.cat_file(path))
    except (OSError, ValueError) as exc:
        raise FocusExportError(f"cannot read manifest {url}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise FocusExportError(f"manifest {url} is not a JSON object")
    config = manifest.get("exportConfig") or {}
    if str(config.get("type") or "").lower() != DATASET_TYPE:
        raise FocusExportError(
            f"manifest {url}: exportConfig.type is {config.get('type')!r}, expected FocusCost "
            "(a Cost and usage details (FOCUS) export)"
        )
    blobs = manifest.get("blobs")
    if not isinstance(blobs, list):
        raise FocusExportError(f"manifest {url}: `blobs` is {blobs!r}, expected the list of the run's blobs")
    check_manifest_blobs(url, blobs, manifest)
    run_info = manifest.get("runInfo") or {}
    submitted = _parse_submitted(run_info.get("submittedTime"), url)
    run = ExportRun(
        month=month,
        manifest_path=path,
        run_id=str(run_info.get("runId") or path.rsplit("/", 2)[-2]),
        submitted_time=submitted.isoformat(),
        data_version=config.get("dataVersion"),
        # blobName is relative to the container
        blobs=[{"path": f"{container}/{b['blobName'].strip().lstrip('/')}", "byte_count": b.get("byteCount"),
                "row_count": b.get("dataRowCount")} for b in blobs],
    )
    return submitted, run


def discover_runs(filesystem, container: str, directory: str, export_name: str) -> list[ExportRun]:
    """Per month of the export, its newest run (by the manifest's submittedTime), oldest month first."""
    base = export_base(container, directory, export_name)
    try:
        entries = filesystem.ls(base, detail=True)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise FocusExportError(f"cannot list {blob_url(base)}: {exc}") from exc
    runs = []
    for entry in sorted(entries, key=lambda e: e["name"]):
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        match = MONTH_FOLDER.match(name)
        if entry.get("type") != "directory" or not match:
            continue
        month = f"{match.group(1)}-{match.group(2)}"
        manifests = [p for p in filesystem.find(entry["name"].rstrip("/")) if p.rsplit("/", 1)[-1] == MANIFEST_NAME]
        found = [read_manifest(filesystem, path, container, month) for path in sorted(manifests)]
        if found:
            runs.append(max(found, key=lambda item: (item[0], item[1].manifest_path))[1])
    return runs


def list_runs(container: str, directory: str, export_name: str, credentials: dict) -> list[ExportRun]:
    """The months of an export, each with its newest run (from the manifests), oldest month first."""
    return discover_runs(blob_filesystem(credentials), container, directory, export_name)


def column_kind(name: str) -> str | None:
    """`number`, `timestamp` or None (text, or whatever the file holds) for a FOCUS column name."""
    if name in NUMBER_COLUMNS or name.endswith(NUMBER_SUFFIXES):
        return "number"
    if name in TIMESTAMP_COLUMNS or name.endswith(TIMESTAMP_SUFFIXES):
        return "timestamp"
    return None


def _first_unparsable(column: pa.Array, parse) -> tuple[int, object]:
    """Row index and value of the first value `parse` rejects (the rare path after a failed cast)."""
    for index, value in enumerate(column.to_pylist()):
        if value is None:
            continue
        try:
            parse(pa.array([value], column.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return index, value
    return 0, None


def _text_to_timestamp(column: pa.Array) -> pa.Array:
    """ISO 8601 text as UTC timestamps; a `Z` or no offset means UTC (Cost Management writes `Z`)."""
    with_offset = pc.replace_substring_regex(column, r"Z$", "+00:00")
    has_offset = pc.match_substring_regex(with_offset, r"[+-]\d{2}:?\d{2}$")
    with_offset = pc.if_else(has_offset, with_offset, pc.binary_join_element_wise(with_offset, "+00:00", ""))
    return pc.cast(with_offset, UTC_MICROS)


def conform_column(name: str, column, blob: str, first_row: int):
    """Money and quantities as float64, dates as UTC timestamps, from parquet types or CSV text; a
    value that is neither (text in a cost column, say) is bad input, named with blob, column and row."""
    kind, data_type = column_kind(name), column.type
    if kind is None:
        # text, as CSV has it: the raw table's columns keep one type whichever format a month came in
        if pa.types.is_boolean(data_type) or pa.types.is_integer(data_type) or pa.types.is_floating(data_type) \
                or pa.types.is_decimal(data_type):
            return pc.cast(column, pa.string())
        return column
    if pa.types.is_null(data_type):
        return pa.nulls(len(column), pa.float64() if kind == "number" else UTC_MICROS)
    is_text = pa.types.is_string(data_type) or pa.types.is_large_string(data_type)
    if kind == "number":
        if pa.types.is_decimal(data_type):
            # arrow's decimal-to-double cast is not correctly rounded (1.2345678901 becomes
            # 1.2345678901000001); parsing the decimal's text is
            return pc.cast(pc.cast(column, pa.string()), pa.float64())
        if pa.types.is_integer(data_type) or pa.types.is_floating(data_type):
            return pc.cast(column, pa.float64())
        if is_text:
            try:
                return pc.cast(column, pa.float64())
            except pa.ArrowInvalid:
                row, value = _first_unparsable(column, lambda a: pc.cast(a, pa.float64()))
                raise FocusExportError(
                    f"data blob {blob}: column {name} row {first_row + row} is {value!r}, expected a number"
                ) from None
    else:
        if pa.types.is_timestamp(data_type):
            return pc.cast(column, UTC_MICROS) if data_type.tz else pc.assume_timezone(column, "UTC").cast(UTC_MICROS)
        if pa.types.is_date(data_type):
            return pc.cast(pc.cast(column, pa.timestamp("us")), UTC_MICROS)
        if is_text:
            try:
                return _text_to_timestamp(column)
            except pa.ArrowInvalid:
                row, value = _first_unparsable(column, _text_to_timestamp)
                raise FocusExportError(
                    f"data blob {blob}: column {name} row {first_row + row} is {value!r}, expected a date and time"
                ) from None
    raise FocusExportError(f"data blob {blob}: column {name} has type {data_type}, expected a {kind}")


def prepare_batch(batch, run: ExportRun, blob: str, first_row: int) -> pa.Table:
    """Every column of the file (x_ columns included) conformed, plus the month, run, the run's submitted time
    (runInfo.submittedTime: when Azure produced the month's data), dataset version, blob and 1-based row number
    in the blob of each row (FOCUS rows have no id; two identical rows are two charges, and blob + row tells them
    apart)."""
    names = list(batch.schema.names)
    columns = [conform_column(name, column, blob, first_row) for name, column in zip(names, batch.columns, strict=True)]
    rows = batch.num_rows
    # the dataset version says which names a column has (1.0's x_InvoiceId is 1.2's InvoiceId)
    submitted = datetime.fromisoformat(run.submitted_time)
    columns += [pa.repeat(pa.scalar(run.month), rows), pa.repeat(pa.scalar(run.run_id), rows),
                pa.repeat(pa.scalar(submitted, UTC_MICROS), rows),
                pa.repeat(pa.scalar(run.data_version, pa.string()), rows), pa.repeat(pa.scalar(blob), rows),
                pa.array(range(first_row, first_row + rows), pa.int64())]
    names += ["billing_period", "export_run_id", "export_submitted_at", "export_dataset_version", "source_blob",
              "source_row"]
    return pa.Table.from_arrays(columns, names=names)


def _csv_header(filesystem, path: str, compressed: bool) -> list[str]:
    with filesystem.open(path, "rb") as raw:
        handle = gzip.GzipFile(fileobj=raw) if compressed else raw
        first_line = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="").readline()
    return next(csv.reader([first_line]), [])


def _batches(filesystem, path: str) -> Iterator:
    """Arrow record batches of a parquet or CSV (optionally gzip) partition, CSV values as text."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    name = path.lower()
    if name.endswith(".parquet"):
        with filesystem.open(path, "rb") as handle:
            yield from pq.ParquetFile(handle).iter_batches(batch_size=BATCH_ROWS)
        return
    compressed = name.endswith(".csv.gz")
    if not (compressed or name.endswith(".csv")):
        raise FocusExportError(f"data blob {blob_url(path)}: not a .parquet, .csv or .csv.gz partition")
    header = _csv_header(filesystem, path, compressed)
    if not header:
        raise FocusExportError(f"data blob {blob_url(path)} has no header row")
    # Only an empty field is null: arrow's default null spellings ("NA", "n/a", "null") would turn
    # such text into a missing value, and a cost column's "n/a" into no cost instead of an error.
    convert = pcsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True,
                                  null_values=[""], quoted_strings_can_be_null=True)
    with filesystem.open(path, "rb") as raw:
        # arrow's gzip stream: decompression in C++, off the GIL (Python's gzip is several times slower)
        handle = pa.CompressedInputStream(pa.PythonFile(raw, mode="r"), "gzip") if compressed else raw
        reader = pcsv.open_csv(handle, read_options=pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES, encoding="utf-8"),
                               convert_options=convert)
        yield from reader


def read_blob(filesystem, run: ExportRun, blob: dict) -> Iterator[pa.Table]:
    """Conformed, checked arrow tables of one partition; the row count must be the manifest's."""
    path, url = blob["path"], blob_url(blob["path"])
    start, end = month_bounds(run.month)
    first_row = 1
    try:
        for batch in _batches(filesystem, path):
            table = prepare_batch(batch, run, url, first_row)
            check_batch(table, start, end, url, first_row)
            first_row += table.num_rows
            yield table
    except FileNotFoundError as exc:
        raise FocusExportError(f"data blob {url} listed in manifest {blob_url(run.manifest_path)} does not exist") from exc
    except (OSError, EOFError, UnicodeDecodeError, pa.ArrowException) as exc:
        raise FocusExportError(f"cannot read data blob {url}: {exc}") from exc
    expected = blob.get("row_count")
    if expected is not None and first_row - 1 != int(expected):
        raise FocusExportError(
            f"data blob {url} has {first_row - 1} rows, manifest {blob_url(run.manifest_path)} says {expected}"
        )


def read_run(filesystem, run: ExportRun) -> Iterator[pa.Table]:
    """Every partition of a run, in manifest order, after checking each is there at its size."""
    for blob in run.blobs:
        check_blob_present(filesystem, blob_url(blob["path"]), blob["path"], blob.get("byte_count"),
                           blob_url(run.manifest_path))
    for blob in run.blobs:
        yield from read_blob(filesystem, run, blob)
