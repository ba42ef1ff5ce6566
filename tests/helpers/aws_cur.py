"""AWS CUR data in and out: deliver sample months to the S3 stand-in, and read back from the raw parquet
what the SQL counts per billing period."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq

from standins.sample_data.aws import generate_cur2_month, write_cur2_period


def deliver(s3_server, export, seed: int, rows: dict[str, int]) -> dict[str, tuple[int, object]]:
    """Deliver `rows` generated line items (with `seed`) per billing period to the S3 stand-in;
    returns {period: (rows, total cost in cents)} of what was delivered."""
    expected = {}
    for period, count in rows.items():
        table = generate_cur2_month(period, count, seed=seed)
        write_cur2_period(s3_server.client(), export, period, table, rows_per_file=count // 3 + 1)
        expected[period] = (table.num_rows, cents(table["line_item_unblended_cost"].to_pylist()))
    return expected


def cents(values) -> Decimal:
    return sum((Decimal(repr(float(v))) for v in values if v is not None), Decimal(0)).quantize(Decimal("0.01"))


def completed_loads(dataset_dir: Path) -> set[str]:
    loads = set()
    for path in (dataset_dir / "_dlt_loads").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record["status"] == 0:
                loads.add(record["load_id"])
    return loads


def aws_period_totals(data_dir: Path) -> dict[str, tuple[int, Decimal]]:
    """What the SQL counts (aws/00_cur_line_items.sql), read straight from the parquet: per billing
    period, the rows of its newest completed load. Every file must be readable."""
    table_dir = data_dir / "raw" / "aws_costs" / "cur_line_items"
    completed = completed_loads(table_dir.parent)
    rows_by_period: dict[str, dict[str, list]] = {}
    for path in sorted(table_dir.rglob("*.parquet")):
        table = pq.read_table(path, columns=["billing_period", "_dlt_load_id", "line_item_unblended_cost"])
        for period, load_id, cost in zip(*(table[c].to_pylist() for c in table.column_names), strict=True):
            if load_id in completed:
                rows_by_period.setdefault(period, {}).setdefault(load_id, []).append(cost)
    return {period: (len(loads[max(loads, key=float)]), cents(loads[max(loads, key=float)]))
            for period, loads in sorted(rows_by_period.items())}
