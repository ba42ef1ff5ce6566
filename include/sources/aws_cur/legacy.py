"""Legacy CUR (csv.gz or zip with a manifest per billing period, or Athena parquet): finding its
deliveries and reading its data files as arrow tables with CUR 2.0 column names, so both land in the
same raw table `cur_line_items`."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .columns import conform_column, expected_kind, flat_columns_to_json
from .deliveries import BillingPeriodDelivery, list_folders, read_manifest
from .errors import CurInputError
from .reading import BATCH_ROWS
from .validation import check_batch

LEGACY_PERIOD_FOLDER = re.compile(r"^(\d{4})(\d{2})01-\d{8}$")
ATHENA_PARTITION = re.compile(r"year=(\d{4})/month=(\d{1,2})(/|$)")
# Legacy manifest column types -> arrow types matching CUR 2.0's parquet (money and amounts double).
LEGACY_TYPES = {
    "BigDecimal": pa.float64(),
    "OptionalBigDecimal": pa.float64(),
    "DateTime": pa.timestamp("ms", tz="UTC"),
}
KIND_TYPES = {"number": pa.float64(), "timestamp": pa.timestamp("ms", tz="UTC")}
CSV_BLOCK_BYTES = 8 << 20  # a CSV file is read (and checked) this much at a time
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


def csv_column_type(header: str, manifest_type: str | None = None) -> pa.DataType:
    """The arrow type a legacy CSV column is read as: its manifest type's (money, amounts, dates), else the kind
    its CUR 2.0 name has, else text. Never guessed from the values: a guess reads account ids and tag values
    as numbers (012345678901 -> 12345678901), and fixes a column's type from the first block of the file."""
    if manifest_type in LEGACY_TYPES:
        return LEGACY_TYPES[manifest_type]
    if "/" in header and header.partition("/")[0] not in MAP_CATEGORIES:
        return KIND_TYPES.get(expected_kind(legacy_column_name(header)), pa.string())
    return pa.string()


def discover_legacy_deliveries(filesystem, bucket: str, prefix: str, report_name: str) -> list[BillingPeriodDelivery]:
    """Billing periods of a legacy CUR and the files of each one's newest assembly.

    csv.gz/zip reports: `<prefix>/<report>/YYYYMMDD-YYYYMMDD/<report>-Manifest.json` names the newest
    assembly (`assemblyId`) and its files (`reportKeys`). Parquet (Athena) reports have no period
    manifest: files under `<prefix>/<report>/<report>/year=YYYY/month=M/`.
    """
    from pyarrow import fs

    base = "/".join(part.strip("/") for part in (bucket, prefix, report_name) if part.strip("/"))
    deliveries = []
    for info in list_folders(filesystem, base):
        match = LEGACY_PERIOD_FOLDER.match(info.path.rsplit("/", 1)[-1])
        if info.type != fs.FileType.Directory or not match:
            continue
        manifest_path = f"{info.path}/{report_name}-Manifest.json"
        found = read_manifest(filesystem, manifest_path, "reportKeys")
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
                    f"{c['category']}/{c['name']}": csv_column_type(f"{c['category']}/{c['name']}", c.get("type"))
                    for c in manifest.get("columns", [])
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


def prepare_legacy_batch(batch: pa.RecordBatch, billing_period: str, source_file: str, first_row: int = 1) -> pa.Table:
    """A legacy CUR batch with CUR 2.0 column names; resourceTags/* and costCategory/* become the
    JSON map columns `resource_tags` and `cost_category` (so new tag keys never change the schema).
    `first_row`: the 1-based row in the file of the batch's first row (for error messages)."""
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
            flat[name] = conform_column(name, column, source_file, first_row)
    for target, columns in maps.items():
        flat[target] = flat_columns_to_json(columns) if columns else pa.repeat(pa.scalar("{}"), batch.num_rows)
    flat["billing_period"] = pa.repeat(pa.scalar(billing_period), batch.num_rows)
    flat["source_file"] = pa.repeat(pa.scalar(source_file), batch.num_rows)
    return pa.Table.from_pydict(flat)


def _checked(batches, billing_period: str, source_file: str) -> Iterator[pa.Table]:
    """Legacy batches with CUR 2.0 names, each checked (validation.check_batch)."""
    first_row = 1
    for batch in batches:
        table = prepare_legacy_batch(batch, billing_period, source_file, first_row)
        check_batch(table, billing_period, source_file, first_row)
        first_row += table.num_rows
        yield table


def _csv_header(open_csv_bytes) -> list[str]:
    import csv
    import io

    with open_csv_bytes() as raw:
        first_line = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="").readline()
    return next(csv.reader([first_line]), [])


def _zip_member(filesystem, path: str):
    """A function opening the CSV inside a legacy CUR .zip file (one member), as a binary stream."""
    import contextlib

    @contextlib.contextmanager
    def open_member():
        with filesystem.open_input_file(path) as handle, zipfile.ZipFile(handle) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) != 1:
                raise CurInputError(f"CUR data file s3://{path}: a zip of {len(members)} files, expected one CSV")
            with archive.open(members[0]) as member:
                yield member

    return open_member


def stream_legacy_file(filesystem, path: str, billing_period: str, column_types: dict) -> Iterator[pa.Table]:
    """A legacy CUR data file (csv.gz, csv.zip, csv or parquet) as CUR 2.0-named arrow tables, block by block.

    Every CSV column is read as the type `column_types` (the manifest's) gives it, or csv_column_type's;
    only an empty field is null (arrow's default null spellings would make a tag value "NA" or "null" no value)."""
    import pyarrow.csv as pacsv

    try:
        if path.endswith(".parquet"):
            with filesystem.open_input_file(path) as handle:
                batches = pq.ParquetFile(handle).iter_batches(batch_size=BATCH_ROWS)
                yield from _checked(batches, billing_period, f"s3://{path}")
            return
        # open_input_stream decompresses by extension (.gz); a zip holds one CSV member.
        open_csv_bytes = _zip_member(filesystem, path) if path.endswith(".zip") \
            else (lambda: filesystem.open_input_stream(path))
        header = _csv_header(open_csv_bytes)
        types = {name: column_types.get(name) or csv_column_type(name) for name in header}
        with open_csv_bytes() as stream:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                convert_options=pacsv.ConvertOptions(
                    column_types=types, strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=True,
                    timestamp_parsers=["%Y-%m-%dT%H:%M:%SZ", pacsv.ISO8601],
                ),
            )
            yield from _checked(reader, billing_period, f"s3://{path}")
    except FileNotFoundError as exc:
        raise CurInputError(f"CUR data file s3://{path} listed in the manifest does not exist") from exc
    except (OSError, pa.ArrowException, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise CurInputError(f"cannot read CUR data file s3://{path}: {exc}") from exc
