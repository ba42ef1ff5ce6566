"""CUR 2.0 (Data Exports) parquet data files as arrow tables of the raw table `cur_line_items`."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .columns import conform_column, map_to_json
from .errors import CurInputError
from .reading import BATCH_ROWS
from .validation import check_batch


def prepare_batch(batch: pa.RecordBatch, billing_period: str, source_file: str, first_row: int = 1) -> pa.Table:
    """Maps to JSON strings, types checked, plus the billing period and source file of every row. `first_row`:
    the 1-based row in the file of the batch's first row (for the message of a value that is not a number)."""
    columns, names = [], []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if pa.types.is_map(column.type):
            column = map_to_json(column)
        else:
            column = conform_column(name, column, source_file, first_row)
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
            first_row = 1
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                table = prepare_batch(batch, billing_period, f"s3://{path}", first_row)
                check_batch(table, billing_period, f"s3://{path}", first_row)
                first_row += table.num_rows
                yield table
    except FileNotFoundError as exc:
        raise CurInputError(f"CUR data file s3://{path} listed in the manifest does not exist") from exc
    except (OSError, pa.ArrowException) as exc:
        raise CurInputError(f"cannot read CUR data file s3://{path}: {exc}") from exc
