"""A full rebuild of a month-partitioned table (a provider's line items over the raw data, or a marts table over
them) in batches of months, so its memory is that of a few months' rows, not of every month's: one INSERT of a year
of raw rows held about 1 KiB per row at its peak on chdb (a year of 3M CUR line items: 3.1 GiB RSS;
include/sql/README.md, "Memory"); a year's int_cloud_cost_by_tag_key in one INSERT (16M line items grouped by
resource and tag value) 1.4 GiB, per month 0.96 GiB and twice as fast.

The months and their sizes come from what the model reads: the provider's raw rows per month, and the active
parts of the partitioned tables it reads (directly or through views). Consecutive months are batched up to
BATCH_ROWS input rows; data that fits one batch is built by one statement, as before. A batch is the same SQL a
run with those `periods` renders, so batched and whole rebuilds give the same rows.
"""

from __future__ import annotations

from include import settings
from include.transform import build_state
from include.transform.models import Model

BATCH_ROWS = 250_000  # input rows per INSERT of a full rebuild (a month larger than this is a batch alone)


def _inputs(model: Model, models: dict[str, Model]) -> tuple[set[str], set[str]]:
    """(partitioned tables, providers whose raw data) `model` reads, looking through views."""
    tables, providers, seen = set(), set(), set()
    pending = list(model.refs)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        ref = models[name]
        if ref.materialized == "table":
            if ref.partition_by:
                tables.add(name)
        elif ref.layer == "staging" and ref.group:
            providers.add(ref.group)
        else:
            pending.extend(ref.refs)
    return tables, providers


def input_rows_by_month(client, model: Model, models: dict[str, Model], raw_columns: dict) -> dict[str, int]:
    """Rows per month ('YYYY-MM') of what `model` reads."""
    tables, providers = _inputs(model, models)
    rows: dict[str, int] = {}
    if tables:
        for partition, count in client.query(
            "SELECT partition, sum(rows) FROM system.parts WHERE database = {db:String} AND active "
            "AND has({tables:Array(String)}, table) GROUP BY partition",
            parameters={"db": settings.MART_DATABASE, "tables": sorted(tables)},
        ).result_rows:
            month = partition.strip("'")
            rows[month] = rows.get(month, 0) + int(count)
    for provider in sorted(providers):
        for month, count in build_state.raw_rows_by_month(client, provider, raw_columns).items():
            rows[month] = rows.get(month, 0) + count
    return {month: count for month, count in rows.items() if build_state.PERIOD.match(month)}


def month_batches(rows_by_month: dict[str, int], limit: int | None = None) -> list[list[str]]:
    """Consecutive months, each batch up to `limit` rows (BATCH_ROWS; a larger month alone)."""
    limit = BATCH_ROWS if limit is None else limit
    batches: list[list[str]] = []
    size = 0
    for month in sorted(rows_by_month):
        if batches and size + rows_by_month[month] <= limit:
            batches[-1].append(month)
            size += rows_by_month[month]
        else:
            batches.append([month])
            size = rows_by_month[month]
    return batches
