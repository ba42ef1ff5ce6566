"""`make bench`: GCP billing export load speed and memory, columnar vs row by row, beside a pyarrow floor.

For each size (default 1M and 5M rows of the detailed resource-level export) it writes the pages the
BigQuery client would yield for the source's query (Arrow record batches of 20K rows, as
`standins.sample_data.gcp.billing_result_page` builds them from the sample generator's rows, repeated
with shifted times and costs to reach the size) to an Arrow IPC file, then measures, each approach in a
fresh process (peak RSS is that process's own):

* columnar: the `gcp_costs` load task (`include.loaders.gcp.load`, full refresh, filesystem
  destination) with a BigQuery client that serves those pages (the emulator's own speed, about 250
  rows/s, is not what is measured);
* rowwise: the same load with the page transformation the source had before (bench/gcp_billing_rowwise.py:
  to_pylist and one Python loop and hash per row). Slow, so measured on the smallest size only and its
  rate compared;
* transformation: the source's page transformation (`to_raw_table`) on the same pages, written to parquet as
  the floor writes them, without dlt (the issue's "transformation from arrow batches to parquet");
* pyarrow_floor: nothing but pyarrow, the same pages from the IPC file to one parquet file.

Writes rows/s, wall seconds and peak RSS per approach, and the ratios, to bench/results/gcp_billing.json
and prints them as a table. Targets (issue 20): the transformation >= 0.5x the floor's rows/s (the whole load
task's ratio beside it), peak RSS < 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.peak_rss import own_peak_rss_kib

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "gcp_billing.json"
TABLE = "bench-project.billing_export.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9"
PAGE_ROWS = 20_000
SAMPLE_ROWS = 50_000  # rows of the sample generator, repeated (shifted) to reach each size
MIB = 1024 * 1024


# ------------------------------------------------------------------------------- data generation
def write_pages(path: Path, rows: int) -> None:
    """`rows` rows of query result pages, PAGE_ROWS each, into an Arrow IPC stream file (bounded memory)."""
    from datetime import timedelta

    import pyarrow as pa
    import pyarrow.compute as pc

    from standins.sample_data.gcp import billing_result_page, generate_billing_rows

    sample = generate_billing_rows(["2026-09"], rows_per_month=SAMPLE_ROWS // 2, seed=1, detailed=True)
    sample = pa.Table.from_batches([billing_result_page(sample, detailed=True)])
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, sample.schema) as writer:
        for copy, offset in enumerate(range(0, rows, sample.num_rows)):
            part = sample.slice(0, min(sample.num_rows, rows - offset))
            if copy:  # another copy of the sample: other hours and costs, so other rows and row keys
                for name in ("usage_start_time", "usage_end_time", "export_time"):
                    part = part.set_column(part.schema.get_field_index(name), name,
                                           pc.add(part[name], pa.scalar(timedelta(hours=copy))))
                part = part.set_column(part.schema.get_field_index("cost"), "cost",
                                       pc.multiply(part["cost"], 1 + copy / 1000))
            for batch in part.to_batches(max_chunksize=PAGE_ROWS):
                writer.write_batch(batch)


class _Pages:
    """The result of a query job: the IPC file's pages, read one at a time."""

    job_id, total_bytes_processed, total_bytes_billed = "bench", 0, 0

    def __init__(self, path: Path, rows: int):
        self.path, self.total_rows = path, rows

    def result(self, page_size=None):
        return self

    def to_arrow_iterable(self):
        import pyarrow as pa

        with pa.OSFile(str(self.path)) as source:
            yield from pa.ipc.open_stream(source)


class PagesClient:
    """The two calls the source makes on a google.cloud.bigquery.Client, served from the IPC file."""

    def __init__(self, path: Path, rows: int):
        self.path, self.rows = path, rows

    def get_table(self, table):
        """The billing export table (TABLE); any other, e.g. the CUD metadata export the loader looks for beside
        it, does not exist here."""
        from types import SimpleNamespace

        from google.api_core.exceptions import NotFound

        from standins.sample_data.gcp import billing_export_schema

        if table != TABLE:
            raise NotFound(f"Not found: Table {table}")
        return SimpleNamespace(schema=billing_export_schema(detailed=True), time_partitioning=None)

    def query(self, sql, job_config=None):
        return _Pages(self.path, self.rows)


# ------------------------------------------------------------------------- the three approaches
def _load(pages: Path, workdir: Path, rows: int) -> int:
    os.environ.update({"FINOPS_DESTINATION": "filesystem", "FINOPS_DATA_DIR": str(workdir),
                       "DLT_DATA_DIR": str(workdir / "dlt_home"), "RUNTIME__DLTHUB_TELEMETRY": "false"})
    from include.loaders import gcp
    from include.run_intent import request_for

    report = gcp.load(request_for("gcp_costs", {"full_refresh": True}), config={"billing_table": TABLE},
                      client=PagesClient(pages, rows))
    return report.tables["billing_export"]


def run_columnar(pages: Path, workdir: Path, rows: int) -> int:
    return _load(pages, workdir, rows)


def run_rowwise(pages: Path, workdir: Path, rows: int) -> int:
    import include.sources.gcp_billing as source
    from bench import gcp_billing_rowwise

    source.to_raw_table = gcp_billing_rowwise.to_raw_table  # the name the resource calls
    return _load(pages, workdir, rows)


def run_pyarrow_floor(pages: Path, workdir: Path, rows: int) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    total = 0
    with pa.OSFile(str(pages)) as source:
        reader = pa.ipc.open_stream(source)
        with pq.ParquetWriter(workdir / "billing_export.parquet", reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
                total += batch.num_rows
    return total


def run_transformation(pages: Path, workdir: Path, rows: int) -> int:
    """The source's page transformation alone (include.sources.gcp_billing.raw_table.to_raw_table: checks,
    flattening, credits, row keys; the pages joined in the source's batches, on its page threads), then parquet as
    the floor writes it: what the issue compares with the floor."""
    import pyarrow.parquet as pq

    from include.sources.gcp_billing.pages import batches, transformed
    from include.sources.gcp_billing.raw_table import to_raw_table
    from include.sources.gcp_billing.schema import arrow_schema

    schema, seen, total, writer = arrow_schema("detailed"), {}, 0, None
    # the pages are read as the source reads the client's: opened when the first is asked for
    for table in transformed(batches(_Pages(pages, rows).to_arrow_iterable()),
                             lambda batch: to_raw_table(batch, "detailed", schema, None, seen, TABLE)):
        if writer is None:
            writer = pq.ParquetWriter(workdir / "billing_export.parquet", table.schema)
        writer.write_table(table)
        total += table.num_rows
    if writer is not None:
        writer.close()
    return total


APPROACHES = {"columnar": run_columnar, "transformation": run_transformation, "rowwise": run_rowwise,
              "pyarrow_floor": run_pyarrow_floor}



def measure(approach: str, pages: Path, rows: int) -> dict:
    """Run one approach in a fresh process; wall time, rows and that process's peak RSS."""
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-gcp-{approach}-"))
    try:
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.gcp_billing", "--run", approach, "--pages", str(pages),
             "--workdir", str(workdir), "--rows", str(rows)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        stdout = child.stdout.read()
        status = child.wait()
        seconds = time.monotonic() - started
        # the only child waited for in between, so the children's CPU time grew by this child's
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_seconds = (children_after.ru_utime - children_before.ru_utime
                       + children_after.ru_stime - children_before.ru_stime)
        if status != 0:
            raise RuntimeError(f"{approach} failed (status {status}); rerun with --run {approach} to see why")
        loaded, peak_kib = (int(v) for v in stdout.strip().splitlines()[-1].split())
        if loaded != rows:
            raise RuntimeError(f"{approach} loaded {loaded} rows of {rows}")
        return {"rows": loaded, "seconds": round(seconds, 2), "rows_per_s": round(loaded / seconds),
                "cpu_seconds": round(cpu_seconds, 2), "cores_busy": round(cpu_seconds / seconds, 2),
                "peak_rss_mib": round(peak_kib * 1024 / MIB)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def median_run(runs: list[dict]) -> dict:
    """The run with the median time (of an odd count; the slower middle one of an even count), with every run's
    seconds beside it and the highest peak RSS of them all."""
    middle = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    return {**middle, "seconds_of_each_run": [run["seconds"] for run in runs],
            "cpu_seconds_of_each_run": [run["cpu_seconds"] for run in runs],
            "peak_rss_mib": max(run["peak_rss_mib"] for run in runs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000", help="rows per size, comma separated")
    parser.add_argument("--rowwise-max", type=int, default=1_000_000,
                        help="measure the row-by-row path only on sizes up to this many rows")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each approach but rowwise (once), alternating; the median run is reported")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--run", choices=sorted(APPROACHES), help=argparse.SUPPRESS)
    parser.add_argument("--pages", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:  # child process: one approach; prints rows loaded and its own peak RSS (KiB)
        rows = APPROACHES[args.run](args.pages, args.workdir, args.rows)
        print(rows, own_peak_rss_kib(), flush=True)
        os._exit(0)  # as an Airflow task process ends (no interpreter teardown), for every approach

    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": os.getloadavg()},
        "export_type": "detailed",
        "page_rows": PAGE_ROWS,
        "notes": [
            "Each approach ran in its own fresh process, timed from its start (interpreter and imports "
            "included) to its end (os._exit, as an Airflow task process). peak_rss_mib is that process's "
            "own maximum resident set (VmHWM).",
            "columnar and rowwise call include.loaders.gcp.load (full refresh, filesystem destination) with a "
            "client serving the query's result pages from an Arrow IPC file; they differ only in the page "
            "transformation. pyarrow_floor copies the same pages to parquet with nothing but pyarrow; "
            "transformation runs the source's page transformation (to_raw_table on the pages joined in the "
            "source's batches (settings.BATCH_ROWS rows or BATCH_BYTES), on its two page threads: "
            "include.sources.gcp_billing.pages.batches and transformed) and writes parquet the same way, without dlt: "
            "the issue's target compares it with the floor; columnar (the whole load task, dlt's extract, "
            "normalize and load included) is reported beside it.",
            "rowwise is measured only on sizes up to --rowwise-max rows; larger sizes compare with its rate there.",
            "Every approach but rowwise (once) ran --repeat times, the approaches alternating; each figure is the "
            "run with the median time (seconds_of_each_run lists them all), its peak RSS the highest of the runs.",
            "cpu_seconds is the process's user + system CPU time (all its threads), cores_busy that over its wall "
            "seconds: the floor runs on one thread; the transformation's page threads and its writer share the "
            "machine's cores. transformation_cpu_vs_pyarrow_floor_cpu compares the work done, apart from how it "
            "was spread over cores.",
        ],
        "sizes": {},
    }
    rowwise = None
    data = Path(tempfile.mkdtemp(prefix="bench-gcp-pages-"))
    try:
        for rows in (int(size) for size in args.sizes.split(",")):
            pages = data / f"pages-{rows}.arrows"
            print(f"writing {rows:,} rows of detailed export result pages ...", flush=True)
            write_pages(pages, rows)
            runs: dict[str, list[dict]] = {}
            for run in range(args.repeat):  # the approaches alternate, so a slow spell of the machine hits them all
                for approach in APPROACHES:
                    if approach == "rowwise" and (run or rows > args.rowwise_max):
                        continue
                    print(f"  {approach} on {rows:,} rows (run {run + 1} of {args.repeat}) ...", flush=True)
                    runs.setdefault(approach, []).append(measure(approach, pages, rows))
            size = {approach: median_run(measured) for approach, measured in runs.items()}
            if "rowwise" in size:
                rowwise = size["rowwise"]
            elif rowwise is not None:
                size["rowwise"] = rowwise
            pages.unlink()
            mine, floor = size["columnar"], size["pyarrow_floor"]["rows_per_s"]
            size["ratios"] = {"vs_pyarrow_floor": round(mine["rows_per_s"] / floor, 2),
                              "transformation_vs_pyarrow_floor": round(size["transformation"]["rows_per_s"] / floor, 2),
                              "transformation_cpu_vs_pyarrow_floor_cpu": round(
                                  size["transformation"]["cpu_seconds"] / size["pyarrow_floor"]["cpu_seconds"], 2)}
            if "rowwise" in size:
                size["ratios"]["vs_rowwise"] = round(mine["rows_per_s"] / size["rowwise"]["rows_per_s"], 1)
            size["targets_met"] = {
                "transformation_at_least_half_of_floor": size["ratios"]["transformation_vs_pyarrow_floor"] >= 0.5,
                "load_task_at_least_half_of_floor": size["ratios"]["vs_pyarrow_floor"] >= 0.5,
                "peak_rss_under_1_gib": mine["peak_rss_mib"] < 1024}
            results["sizes"][str(rows)] = size
    finally:
        shutil.rmtree(data, ignore_errors=True)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(f"{'rows':>10} | {'approach':<14} | {'measured on':>11} | {'seconds':>8} | {'rows/s':>9} | {'CPU s':>7} | "
          f"{'peak RSS MiB':>12}")
    print("-" * 90)
    for rows, size in results["sizes"].items():
        for approach in APPROACHES:
            if approach not in size:
                continue
            m = size[approach]
            print(f"{int(rows):>10,} | {approach:<14} | {m['rows']:>11,} | {m['seconds']:>8} | {m['rows_per_s']:>9,} | "
                  f"{m['cpu_seconds']:>7} | {m['peak_rss_mib']:>12}")
        print(f"{'':>10} | ratios: {size['ratios']}  targets met: {size['targets_met']}")
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
