"""Shared helpers of the fault-injection tests: run tests/faults/child.py and read raw data back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]


def run_child(job: str, point: str = "none", timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run a load or SQL build in a child process (tests/faults/child.py), killed at `point`."""
    environment = {**os.environ, **{k: str(v) for k, v in env.items()}}
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "plugins")])
    return subprocess.run([sys.executable, "-m", "tests.faults.child", job, point], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def assert_killed(result: subprocess.CompletedProcess, point: str) -> None:
    assert result.returncode == -signal.SIGKILL, (
        f"the child was to die at {point}, rc {result.returncode}\n{result.stdout}\n{result.stderr[-4000:]}"
    )
    assert f"fault: SIGKILL at {point}" in result.stderr


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
