"""The query's result pages as the resource's raw tables, with dlt's write disposition for a full read."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import dlt
import pyarrow as pa

from include.sources.gcp_billing.settings import BATCH_BYTES, BATCH_ROWS, PAGE_THREADS, PAGES_AHEAD


def use_jemalloc() -> None:
    """Arrow's allocator from here on is jemalloc, unless ARROW_DEFAULT_MEMORY_POOL chose one. The default,
    mimalloc, decommits the memory a page freed and faults it in again for the next: with pages on two threads
    that is a sixth of a load's time, in the kernel (`make bench`). Process-wide: a task runs in its own process."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or pa.default_memory_pool().backend_name != "mimalloc":
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc
        pass


def batches(pages: Iterable[pa.RecordBatch], rows: int = BATCH_ROWS,
            size: int = BATCH_BYTES) -> Iterator[pa.RecordBatch]:
    """Consecutive result pages joined into batches of at least `rows` rows or `size` bytes of Arrow data, whichever
    comes first (the last may hold less): a page's transformation has a cost per column and kernel call that more
    rows share, and asking BigQuery for bigger pages does not make them: it caps a result page at 10 MB (20 MB for
    jobs.getQueryResults) whatever the page size. The bytes bound memory where rows are wide (many labels)."""
    def joined(pending: list[pa.RecordBatch]) -> pa.RecordBatch:
        return pending[0] if len(pending) == 1 else pa.concat_batches(pending)  # a page alone is not copied

    pending: list[pa.RecordBatch] = []
    count = held = 0
    for page in pages:
        pending.append(page)
        count += page.num_rows
        held += page.nbytes
        if count >= rows or held >= size:
            yield joined(pending)
            pending, count, held = [], 0, 0
    if pending:
        yield joined(pending)


def transformed(pages: Iterable[pa.RecordBatch], to_table: Callable[[pa.RecordBatch], pa.Table],
                threads: int = PAGE_THREADS, ahead: int = PAGES_AHEAD) -> Iterator[pa.Table]:
    """`to_table` of each page, in page order, on `threads` threads: Arrow's kernels release the GIL, so pages
    transform side by side while the next one is read. At most threads + `ahead` pages are in flight (bounded
    memory): `ahead` wait queued, so a thread that finishes a page finds the next while the caller is still writing
    the one before (1M rows in 60K-row batches: a second one queued gained 2% of the time for 90 MiB more peak RSS).
    An error is raised at its page, after the pages before it were yielded."""
    if threads <= 1:
        yield from map(to_table, pages)
        return
    use_jemalloc()
    with ThreadPoolExecutor(threads, thread_name_prefix="gcp-page") as pool:
        pending: deque = deque()
        try:
            for page in pages:
                pending.append(pool.submit(to_table, page))
                if len(pending) >= threads + ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def page_tables(rows, to_table: Callable[[pa.RecordBatch], pa.Table], schema: pa.Schema,
                full: bool) -> Generator[pa.Table, None, int]:
    """Each page converted by `to_table`; empty tables dropped. On a full read the first table replaces what was
    loaded before, and an empty export still replaces it (with an empty table). Returns the rows emitted
    (`emitted = yield from page_tables(...)`)."""
    replace, emitted = full, 0
    for table in transformed(batches(rows.to_arrow_iterable()), to_table):
        if table.num_rows == 0 and not replace:
            continue
        emitted += table.num_rows
        yield dlt.mark.with_hints(table, dlt.mark.make_hints(write_disposition="replace")) if replace else table
        replace = False
    if replace:
        yield dlt.mark.with_hints(schema.empty_table(), dlt.mark.make_hints(write_disposition="replace"))
    return emitted
