"""Finding CUR deliveries in S3 and turning their files into arrow batches for dlt.

Everything here works on arrow data end to end: files are streamed row group by row group, so
memory stays bounded by one row group whatever the size of the month.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

PERIOD_FOLDER = re.compile(r"BILLING_PERIOD=(\d{4}-\d{2})")
BATCH_ROWS = 65_536


class CurInputError(RuntimeError):
    """A CUR file or manifest that cannot be read as it should; the message names the object."""


@dataclass
class BillingPeriodDelivery:
    """The newest delivery of one billing period: its manifest and the data files it lists."""

    billing_period: str  # YYYY-MM
    manifest_path: str | None
    execution_id: str | None
    data_files: list[str] = field(default_factory=list)
    manifest_mtime: str | None = None

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


def discover_cur2_deliveries(filesystem, bucket: str, prefix: str, export_name: str) -> list[BillingPeriodDelivery]:
    """Billing periods of a CUR 2.0 export and the files of each one's newest delivery.

    The manifest (`metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json`) is written after all data
    files, so it is the source of truth; a period without a manifest is still being delivered and
    is skipped.
    """
    from pyarrow import fs

    base = "/".join(part.strip("/") for part in (bucket, prefix, export_name) if part.strip("/"))
    try:
        periods = filesystem.get_file_info(fs.FileSelector(f"{base}/metadata", allow_not_found=True))
    except OSError as exc:
        raise CurInputError(f"cannot list s3://{base}/metadata: {exc}") from exc
    deliveries = []
    for info in sorted(periods, key=lambda i: i.path):
        match = PERIOD_FOLDER.search(info.path)
        if info.type != fs.FileType.Directory or not match:
            continue
        manifest_path = f"{info.path}/{export_name}-Manifest.json"
        try:
            with filesystem.open_input_stream(manifest_path) as stream:
                manifest = json.loads(stream.read())
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            raise CurInputError(f"cannot read manifest s3://{manifest_path}: {exc}") from exc
        files = [f.removeprefix("s3://") for f in manifest.get("dataFiles", [])]
        if not files:
            raise CurInputError(f"manifest s3://{manifest_path} lists no dataFiles")
        mtime = filesystem.get_file_info(manifest_path).mtime
        deliveries.append(
            BillingPeriodDelivery(
                match.group(1), manifest_path, manifest.get("executionId"), files, mtime.isoformat() if mtime else None
            )
        )
    return deliveries


def _json_escape(strings: pa.Array) -> pa.Array:
    escaped = pc.replace_substring(strings, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    for control, replacement in (("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = pc.replace_substring(escaped, control, replacement)
    return escaped


def map_to_json(column: pa.Array) -> pa.Array:
    """A map<string, string|number> column as JSON object strings, computed column-wise in arrow.

    dlt stores nested types as JSON text on ClickHouse but as native maps in parquet; JSON strings
    keep the raw table identical on both destinations, so one set of SQL reads both.
    """
    if isinstance(column, pa.ChunkedArray):
        return pa.chunked_array([map_to_json(chunk) for chunk in column.chunks], type=pa.string())
    keys = pc.binary_join_element_wise('"', _json_escape(column.keys), '":', "")
    items = column.items
    if pa.types.is_string(items.type) or pa.types.is_large_string(items.type):
        values = pc.binary_join_element_wise('"', _json_escape(items), '"', "")
    else:
        values = pc.cast(items, pa.string())
    values = pc.fill_null(values, "null")
    entries = pc.binary_join_element_wise(keys, values, "")
    offsets = column.offsets
    lists = pa.ListArray.from_arrays(offsets, entries, mask=column.is_null())
    joined = pc.binary_join(lists, ",")
    return pc.binary_join_element_wise("{", joined, "}", "")


def prepare_batch(batch: pa.RecordBatch, billing_period: str, source_file: str) -> pa.Table:
    """Maps to JSON strings, plus the billing period and source file of every row."""
    columns, names = [], []
    for name, column in zip(batch.schema.names, batch.columns):
        if pa.types.is_map(column.type):
            column = map_to_json(column)
        columns.append(column)
        names.append(name)
    rows = batch.num_rows
    columns += [pa.repeat(pa.scalar(billing_period), rows), pa.repeat(pa.scalar(source_file), rows)]
    names += ["billing_period", "source_file"]
    return pa.Table.from_arrays(columns, names=names)


def stream_parquet(filesystem, path: str, billing_period: str) -> Iterator[pa.Table]:
    """Row-group-sized arrow tables of one parquet data file; errors name the file."""
    try:
        with filesystem.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle)
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                yield prepare_batch(batch, billing_period, f"s3://{path}")
    except FileNotFoundError as exc:
        raise CurInputError(f"CUR data file s3://{path} listed in the manifest does not exist") from exc
    except (OSError, pa.ArrowException) as exc:
        raise CurInputError(f"cannot read CUR data file s3://{path}: {exc}") from exc
