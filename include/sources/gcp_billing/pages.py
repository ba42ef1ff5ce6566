"""The query's result pages as the resource's raw tables, with dlt's write disposition for a full read."""

from __future__ import annotations

from collections.abc import Callable, Generator

import dlt
import pyarrow as pa


def page_tables(rows, to_table: Callable[[pa.RecordBatch], pa.Table], schema: pa.Schema,
                full: bool) -> Generator[pa.Table, None, int]:
    """Each page converted by `to_table`; empty tables dropped. On a full read the first table replaces what was
    loaded before, and an empty export still replaces it (with an empty table). Returns the rows emitted
    (`emitted = yield from page_tables(...)`)."""
    replace, emitted = full, 0
    for page in rows.to_arrow_iterable():
        table = to_table(page)
        if table.num_rows == 0 and not replace:
            continue
        emitted += table.num_rows
        yield dlt.mark.with_hints(table, dlt.mark.make_hints(write_disposition="replace")) if replace else table
        replace = False
    if replace:
        yield dlt.mark.with_hints(schema.empty_table(), dlt.mark.make_hints(write_disposition="replace"))
    return emitted
