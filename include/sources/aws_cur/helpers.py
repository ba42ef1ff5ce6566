"""Finding CUR deliveries in S3 and turning their files into arrow batches for dlt.

Everything here works on arrow data end to end: files are streamed row group by row group, so
memory stays bounded by one row group whatever the size of the month.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import CurInputError
from .validation import check_batch

PERIOD_FOLDER = re.compile(r"BILLING_PERIOD=(\d{4}-\d{2})")
BATCH_ROWS = 65_536


@dataclass
class BillingPeriodDelivery:
    """The newest delivery of one billing period: its manifest and the data files it lists."""

    billing_period: str  # YYYY-MM
    manifest_path: str | None
    execution_id: str | None
    data_files: list[str] = field(default_factory=list)
    manifest_mtime: str | None = None
    column_types: dict = field(default_factory=dict)  # legacy CSV: header -> arrow type
    column_names: list[str] = field(default_factory=list)  # Data Exports: the manifest's `columns`

    @property
    def key(self) -> str:
        """What identifies this delivery: a re-delivery of the period has another key."""
        return f"{self.execution_id or ''}|{self.manifest_mtime or ''}|{len(self.data_files)}"


def s3_filesystem(credentials: dict):
    """A pyarrow S3 filesystem from connection-derived credentials (keys, session token, endpoint)."""
    from pyarrow import fs

    endpoint = credentials.get("endpoint_url")
    kwargs = {
        "access_key": credentials.get("aws_access_key_id"),
        "secret_key": credentials.get("aws_secret_access_key"),
        "session_token": credentials.get("aws_session_token"),
        "region": credentials.get("region_name") or "us-east-1",
    }
    if endpoint:
        scheme, _, host = endpoint.partition("://")
        kwargs.update(endpoint_override=host or scheme, scheme=scheme if host else "https")
    return fs.S3FileSystem(**{k: v for k, v in kwargs.items() if v is not None})


def _list_folders(filesystem, path: str):
    """The entries under `path` (sorted), or a clear error naming it."""
    from pyarrow import fs

    try:
        return sorted(filesystem.get_file_info(fs.FileSelector(path, allow_not_found=True)), key=lambda i: i.path)
    except OSError as exc:
        raise CurInputError(f"cannot list s3://{path}: {exc}") from exc


def _read_manifest(filesystem, path: str, files_key: str) -> tuple[dict, list[str], str | None] | None:
    """(manifest, its data file list, its modification time), or None while it is not delivered yet."""
    try:
        with filesystem.open_input_stream(path) as stream:
            manifest = json.loads(stream.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CurInputError(f"cannot read manifest s3://{path}: {exc}") from exc
    files = manifest.get(files_key) or []
    if not files:
        raise CurInputError(f"manifest s3://{path} lists no {files_key}")
    mtime = filesystem.get_file_info(path).mtime
    return manifest, files, mtime.isoformat() if mtime else None


def discover_cur2_deliveries(filesystem, bucket: str, prefix: str, export_name: str) -> list[BillingPeriodDelivery]:
    """Billing periods of a CUR 2.0 export and the files of each one's newest delivery.

    The manifest (`metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json`) is written after all data
    files, so it is the source of truth; a period without a manifest is still being delivered and
    is skipped.
    """
    from pyarrow import fs

    base = "/".join(part.strip("/") for part in (bucket, prefix, export_name) if part.strip("/"))
    deliveries = []
    for info in _list_folders(filesystem, f"{base}/metadata"):
        match = PERIOD_FOLDER.search(info.path)
        if info.type != fs.FileType.Directory or not match:
            continue
        found = _read_manifest(filesystem, f"{info.path}/{export_name}-Manifest.json", "dataFiles")
        if found is None:
            continue
        manifest, files, mtime = found
        deliveries.append(
            BillingPeriodDelivery(
                match.group(1),
                f"{info.path}/{export_name}-Manifest.json",
                manifest.get("executionId"),
                [f.removeprefix("s3://") for f in files],
                mtime,
                column_names=[c["name"] for c in manifest.get("columns") or [] if isinstance(c, dict) and "name" in c],
            )
        )
    return deliveries


# The bytes a JSON string cannot hold as they are: control characters (below the space), the quote
# and the backslash. Scalars made from raw bytes: pa.scalar() would import pandas (pyarrow's pandas
# shim), a third of a second, whenever this module is imported.
_SPACE, _QUOTE, _BACKSLASH = pa.Array.from_buffers(pa.uint8(), 3, [None, pa.py_buffer(b' "\\')])


def _may_need_escaping(strings: pa.Array) -> bool:
    """Whether any string might need JSON escaping: one vectorised scan of the character bytes
    (bytes outside a sliced array's slice can only add a false positive), several times cheaper
    than a regex over every string. Tag keys and values rarely need any escaping."""
    if not (pa.types.is_string(strings.type) or pa.types.is_large_string(strings.type)):
        return True  # another layout (string_view keeps short strings outside the data buffer)
    data = strings.buffers()[2]
    if data is None:
        return False
    chars = pa.Array.from_buffers(pa.uint8(), data.size, [None, data])
    special = pc.or_(pc.less(chars, _SPACE), pc.or_(pc.equal(chars, _QUOTE), pc.equal(chars, _BACKSLASH)))
    return bool(pc.any(special).as_py())


def _json_escape(strings: pa.Array) -> pa.Array:
    if not _may_need_escaping(strings):
        return strings
    escaped = pc.replace_substring(strings, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    for control, replacement in (("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = pc.replace_substring(escaped, control, replacement)
    for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)):  # the rest as \u00XX (rare path)
        escaped = pc.replace_substring(escaped, chr(code), f"\\u{code:04x}")
    return escaped


def map_to_json(column: pa.Array) -> pa.Array:
    """A map<string, string|number> column as JSON object strings, computed column-wise in arrow.

    dlt stores nested types as JSON text on ClickHouse but as native maps in parquet; JSON strings
    keep the raw table identical on both destinations, so one set of SQL reads both.
    """
    if isinstance(column, pa.ChunkedArray):
        return pa.chunked_array([map_to_json(chunk) for chunk in column.chunks], type=pa.string())
    keys, items = _json_escape(column.keys), column.items
    is_text = pa.types.is_string(items.type) or pa.types.is_large_string(items.type)
    # Each entry `"key":value` in as few passes over the data as the values allow.
    if is_text and items.null_count == 0:
        entries = pc.binary_join_element_wise('"', keys, '":"', _json_escape(items), '"', "")
    else:
        values = pc.binary_join_element_wise('"', _json_escape(items), '"', "") if is_text else pc.cast(items, pa.string())
        entries = pc.binary_join_element_wise('"', keys, '":', pc.fill_null(values, "null"), "")
    # `offsets` of a sliced array still index the whole `keys`/`items`, so this holds for slices too;
    # nulls are applied afterwards because arrow refuses a null mask together with sliced offsets.
    lists = pa.ListArray.from_arrays(column.offsets, entries)
    as_json = pc.binary_join_element_wise("{", pc.binary_join(lists, ","), "}", "")
    if column.null_count == 0:
        return as_json
    return pc.if_else(column.is_null(), pa.scalar(None, pa.string()), as_json)


NUMERIC_SUFFIXES = ("_cost", "_rate", "_amount", "_fee", "_factor", "_discount", "_commitment", "_quantity",
                    "_for_usage", "_for_billing_period", "_to_date", "_hours", "_units")


def expected_kind(name: str) -> str | None:
    """`number`, `timestamp` or None (anything) for a CUR 2.0 column name."""
    if name.endswith("_to_date"):  # savings_plan_total_commitment_to_date is money, not a date
        return "number"
    if name.endswith("_date"):
        return "timestamp"
    if name.endswith(NUMERIC_SUFFIXES):
        return "number"
    return None


def conform_column(name: str, column: pa.Array, source_file: str) -> pa.Array:
    """Money and amounts as float64, dates as UTC timestamps, whatever the file wrote; a column of
    another kind (text in a cost column, say) is bad input, named with its file."""
    return conform_to_kind(name, column, expected_kind(name), f"CUR data file {source_file}")


def conform_to_kind(name: str, column: pa.Array, expected: str | None, where: str) -> pa.Array:
    """`column` as the `expected` kind ("number": float64, "timestamp": UTC; None: as it is); a column of
    another kind is bad input, named with `where` (the file) and the column. CUR and FOCUS files share it."""
    kind = column.type
    if expected is None or pa.types.is_null(kind):
        return column
    if expected == "number":
        if kind == pa.float64():
            return column
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            return pc.cast(column, pa.float64())
    elif pa.types.is_timestamp(kind):
        return column if kind.tz in ("UTC", "+00:00") else pc.cast(column, pa.timestamp(kind.unit, tz="UTC"))
    raise CurInputError(f"{where}: column {name} has type {kind}, expected a {expected}")


def prepare_batch(batch: pa.RecordBatch, billing_period: str, source_file: str) -> pa.Table:
    """Maps to JSON strings, types checked, plus the billing period and source file of every row."""
    columns, names = [], []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if pa.types.is_map(column.type):
            column = map_to_json(column)
        else:
            column = conform_column(name, column, source_file)
        columns.append(column)
        names.append(name)
    rows = batch.num_rows
    columns += [pa.repeat(pa.scalar(billing_period), rows), pa.repeat(pa.scalar(source_file), rows)]
    names += ["billing_period", "source_file"]
    return pa.Table.from_arrays(columns, names=names)


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """Iterate `items` in a background thread, `depth` items ahead. Reading and converting a
    batch (arrow releases the GIL) then overlaps with dlt writing the previous one; memory stays
    bounded by `depth` batches. Errors surface in the consumer, in order."""
    import queue
    import threading

    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put((item, None))
        except BaseException as exc:  # handed to the consumer
            buffer.put((None, exc))
        buffer.put((done, None))

    worker = threading.Thread(target=produce, name="cur-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = buffer.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                buffer.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.1)


def stream_parquet(filesystem, path: str, billing_period: str) -> Iterator[pa.Table]:
    """Row-group-sized arrow tables of one parquet data file; errors name the file."""
    try:
        with filesystem.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle)
            first_row = 1
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                table = prepare_batch(batch, billing_period, f"s3://{path}")
                check_batch(table, billing_period, f"s3://{path}", first_row)
                first_row += table.num_rows
                yield table
    except FileNotFoundError as exc:
        raise CurInputError(f"CUR data file s3://{path} listed in the manifest does not exist") from exc
    except (OSError, pa.ArrowException) as exc:
        raise CurInputError(f"cannot read CUR data file s3://{path}: {exc}") from exc


# ----------------------------------------------------------------------------------- legacy CUR
LEGACY_PERIOD_FOLDER = re.compile(r"^(\d{4})(\d{2})01-\d{8}$")
ATHENA_PARTITION = re.compile(r"year=(\d{4})/month=(\d{1,2})(/|$)")
# Legacy manifest column types -> arrow types matching CUR 2.0's parquet (money and amounts double).
LEGACY_TYPES = {
    "BigDecimal": pa.float64(),
    "OptionalBigDecimal": pa.float64(),
    "DateTime": pa.timestamp("ms", tz="UTC"),
}
MAP_CATEGORIES = {"resourceTags": "resource_tags", "costCategory": "cost_category"}
_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def legacy_column_name(header: str) -> str:
    """`lineItem/UnblendedCost` -> `line_item_unblended_cost`, the CUR 2.0 name of the same column
    (CUR 2.0 names are the legacy ones snake-cased: `reservation/ReservationARN` ->
    `reservation_reservation_a_r_n`)."""
    category, _, name = header.partition("/")
    parts = [_CAMEL_BOUNDARY.sub("_", category).lower()]
    if name:
        parts.append(_CAMEL_BOUNDARY.sub("_", name).lower().replace(":", "_"))
    return "_".join(p for p in parts if p)


def discover_legacy_deliveries(filesystem, bucket: str, prefix: str, report_name: str) -> list[BillingPeriodDelivery]:
    """Billing periods of a legacy CUR and the files of each one's newest assembly.

    csv.gz/zip reports: `<prefix>/<report>/YYYYMMDD-YYYYMMDD/<report>-Manifest.json` names the newest
    assembly (`assemblyId`) and its files (`reportKeys`). Parquet (Athena) reports have no period
    manifest: files under `<prefix>/<report>/<report>/year=YYYY/month=M/`.
    """
    from pyarrow import fs

    base = "/".join(part.strip("/") for part in (bucket, prefix, report_name) if part.strip("/"))
    deliveries = []
    for info in _list_folders(filesystem, base):
        match = LEGACY_PERIOD_FOLDER.match(info.path.rsplit("/", 1)[-1])
        if info.type != fs.FileType.Directory or not match:
            continue
        manifest_path = f"{info.path}/{report_name}-Manifest.json"
        found = _read_manifest(filesystem, manifest_path, "reportKeys")
        if found is None:
            continue
        manifest, keys, mtime = found
        deliveries.append(
            BillingPeriodDelivery(
                billing_period=f"{match.group(1)}-{match.group(2)}",
                manifest_path=manifest_path,
                execution_id=manifest.get("assemblyId"),
                data_files=[f"{manifest.get('bucket') or bucket}/{key}" for key in keys],
                manifest_mtime=mtime,
                column_types={
                    f"{c['category']}/{c['name']}": LEGACY_TYPES[c.get("type")]
                    for c in manifest.get("columns", [])
                    if c.get("type") in LEGACY_TYPES
                },
            )
        )
    if deliveries:
        return deliveries
    # Parquet (Athena) reports: one folder per month, no manifest.
    files = filesystem.get_file_info(fs.FileSelector(f"{base}/{report_name}", recursive=True, allow_not_found=True))
    by_period: dict[str, list] = {}
    for info in files:
        match = ATHENA_PARTITION.search(info.path)
        if info.type == fs.FileType.File and match and info.path.endswith(".parquet"):
            by_period.setdefault(f"{match.group(1)}-{int(match.group(2)):02d}", []).append(info)
    for period, infos in sorted(by_period.items()):
        newest = max(i.mtime for i in infos)
        deliveries.append(
            BillingPeriodDelivery(period, None, None, sorted(i.path for i in infos), newest.isoformat())
        )
    return deliveries


def _flat_columns_to_json(columns: dict[str, pa.Array]) -> pa.Array:
    """Flat key columns (`{"user:team": array}`) as one JSON object string per row; empty values
    are absent keys, as in CUR 2.0's maps.

    Built without nulls: each present entry carries its own trailing comma and absent ones are "",
    then one trim drops the last comma. (pyarrow's null_handling="skip" join drops rows whose
    inputs are all null, so it is not used.)"""
    rows = len(next(iter(columns.values())))
    entries = []
    for key, values in columns.items():
        values = pc.cast(values, pa.string())
        present = pc.fill_null(pc.and_kleene(pc.is_valid(values), pc.not_equal(values, "")), False)
        quoted_key = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '":"'
        entry = pc.binary_join_element_wise(quoted_key, pc.fill_null(_json_escape(values), ""), '",', "")
        entries.append(pc.if_else(present, entry, ""))
    joined = pc.binary_join_element_wise(*entries, "") if entries else pa.repeat(pa.scalar(""), rows)
    return pc.binary_join_element_wise("{", pc.utf8_rtrim(joined, characters=","), "}", "")


def prepare_legacy_batch(batch: pa.RecordBatch, billing_period: str, source_file: str) -> pa.Table:
    """A legacy CUR batch with CUR 2.0 column names; resourceTags/* and costCategory/* become the
    JSON map columns `resource_tags` and `cost_category` (so new tag keys never change the schema)."""
    flat: dict[str, pa.Array] = {}
    maps: dict[str, dict[str, pa.Array]] = {target: {} for target in MAP_CATEGORIES.values()}
    for header, column in zip(batch.schema.names, batch.columns, strict=True):
        category, _, key = header.partition("/")
        if category in MAP_CATEGORIES and key:
            maps[MAP_CATEGORIES[category]][key] = column
        elif category.startswith("resource_tags_") or category.startswith("cost_category_"):
            # Athena-style parquet flattened the key already: resource_tags_user_team -> user:team
            target = "resource_tags" if category.startswith("resource_tags_") else "cost_category"
            rest = category.removeprefix(target + "_")
            maps[target][rest.replace("_", ":", 1) if rest.startswith(("user_", "aws_")) else rest] = column
        else:
            name = legacy_column_name(header) if "/" in header else header
            flat[name] = conform_column(name, column, source_file)
    for target, columns in maps.items():
        flat[target] = _flat_columns_to_json(columns) if columns else pa.repeat(pa.scalar("{}"), batch.num_rows)
    flat["billing_period"] = pa.repeat(pa.scalar(billing_period), batch.num_rows)
    flat["source_file"] = pa.repeat(pa.scalar(source_file), batch.num_rows)
    return pa.Table.from_pydict(flat)


def _checked(batches, billing_period: str, source_file: str) -> Iterator[pa.Table]:
    """Legacy batches with CUR 2.0 names, each checked (validation.check_batch)."""
    first_row = 1
    for batch in batches:
        table = prepare_legacy_batch(batch, billing_period, source_file)
        check_batch(table, billing_period, source_file, first_row)
        first_row += table.num_rows
        yield table


def stream_legacy_file(filesystem, path: str, billing_period: str, column_types: dict) -> Iterator[pa.Table]:
    """A legacy CUR data file (csv.gz, or parquet) as CUR 2.0-named arrow tables, block by block."""
    import pyarrow.csv as pacsv

    try:
        if path.endswith(".parquet"):
            with filesystem.open_input_file(path) as handle:
                batches = pq.ParquetFile(handle).iter_batches(batch_size=BATCH_ROWS)
                yield from _checked(batches, billing_period, f"s3://{path}")
            return
        # open_input_stream decompresses by extension (.gz); the CSV is read block by block.
        with filesystem.open_input_stream(path) as stream:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=8 << 20),
                convert_options=pacsv.ConvertOptions(
                    column_types=column_types, strings_can_be_null=True,
                    timestamp_parsers=["%Y-%m-%dT%H:%M:%SZ", pacsv.ISO8601],
                ),
            )
            yield from _checked(reader, billing_period, f"s3://{path}")
    except FileNotFoundError as exc:
        raise CurInputError(f"CUR data file s3://{path} listed in the manifest does not exist") from exc
    except (OSError, pa.ArrowException) as exc:
        raise CurInputError(f"cannot read CUR data file s3://{path}: {exc}") from exc
