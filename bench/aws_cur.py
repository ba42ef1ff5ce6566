"""`make bench`: AWS CUR load speed and memory, side by side, on one generated CUR 2.0 month.

For each month size (default 1M and 5M line items, realistic columns, maps and tag cardinality,
written to the S3 stand-in as 250K-row parquet files with a manifest) it measures, each approach in
a fresh process (peak RSS is that process's own):

* this project: the `aws_costs` load task (`include.loaders.aws.load`), filesystem destination;
* the plain approach: dlt `filesystem() | read_parquet()` (dict rows) with a merge disposition on
  `identity_line_item_id`, `identity_time_interval`. dlt's filesystem destination cannot merge
  (it falls back to append), so it loads into dlt's local DuckDB destination, which does. At about
  a thousand rows/s it is measured on the month's first data file (250K rows) and its rate compared;
* the floor: a plain pyarrow row-group stream of the same files from S3 to local parquet.

Writes rows/s, wall seconds and peak RSS per approach, and the ratios, to bench/results/aws_cur.json
and prints them as a table. Targets: >= 10x the plain approach's rows/s, >= 0.5x the floor's, and
peak RSS < 1 GiB at 5M rows.
"""

from __future__ import annotations

import argparse
import io
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
RESULTS = ROOT / "bench" / "results" / "aws_cur.json"
BUCKET, PREFIX, EXPORT, PERIOD = "bench-cur", "cur", "bench", "2026-09"
ROWS_PER_FILE = 250_000
MIB = 1024 * 1024


# ------------------------------------------------------------------------------- data generation
def write_month(s3_client, rows: int) -> list[str]:
    """A CUR 2.0 month of `rows` line items, generated and uploaded file by file (bounded memory)."""
    import pyarrow.parquet as pq

    from standins.sample_data.aws import Cur2Export, generate_cur2_month

    export = Cur2Export(BUCKET, PREFIX, EXPORT)
    keys = []
    for number, offset in enumerate(range(0, rows, ROWS_PER_FILE), start=1):
        table = generate_cur2_month(PERIOD, min(ROWS_PER_FILE, rows - offset), seed=number)
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="snappy", row_group_size=100_000)
        key = f"{export.data_prefix(PERIOD)}{EXPORT}-{number:05d}.snappy.parquet"
        s3_client.put_object(Bucket=BUCKET, Key=key, Body=buffer.getvalue())
        keys.append(key)
    manifest = {"executionId": f"bench-{rows}", "dataFiles": [f"s3://{BUCKET}/{k}" for k in keys]}
    s3_client.put_object(Bucket=BUCKET, Key=export.manifest_key(PERIOD), Body=json.dumps(manifest).encode())
    return keys


# ------------------------------------------------------------------------- the three approaches
def run_this_project(endpoint: str, workdir: Path, rows: int) -> int:
    os.environ.update(
        {
            "FINOPS_DESTINATION": "filesystem",
            "FINOPS_DATA_DIR": str(workdir),
            "DLT_DATA_DIR": str(workdir / "dlt_home"),
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
                {"conn_type": "aws", "login": "bench", "password": "bench",
                 "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"}}
            ),
            "AIRFLOW_VAR_AWS_COSTS_CONFIG": json.dumps({"bucket": BUCKET, "prefix": PREFIX, "export_name": EXPORT}),
        }
    )
    from include.loaders import aws
    from include.run_intent import request_for

    return aws.load(request_for("aws_costs", {"billing_periods": [PERIOD], "full_refresh": True})).rows_by_period()[PERIOD]


def run_plain_dlt(endpoint: str, workdir: Path, rows: int) -> int:
    os.environ.update({"RUNTIME__DLTHUB_TELEMETRY": "false", "DLT_DATA_DIR": str(workdir / "dlt_home")})
    import dlt
    from dlt.common.configuration.specs import AwsCredentials
    from dlt.sources.filesystem import filesystem, read_parquet

    names = [f"{EXPORT}-{n:05d}.snappy.parquet" for n in range(1, max(1, -(-rows // ROWS_PER_FILE)) + 1)]
    credentials = AwsCredentials(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1", endpoint_url=endpoint
    )
    files = filesystem(
        bucket_url=f"s3://{BUCKET}/{PREFIX}/{EXPORT}/data/BILLING_PERIOD={PERIOD}",
        credentials=credentials,
        file_glob="*.parquet",
    )
    files.add_filter(lambda item: item["file_name"] in names)
    reader = (files | read_parquet()).with_name("cur_line_items")
    reader.apply_hints(write_disposition="merge", primary_key=["identity_line_item_id", "identity_time_interval"])
    pipeline = dlt.pipeline(
        "plain_cur", destination=dlt.destinations.duckdb(str(workdir / "plain.duckdb")),
        dataset_name="aws_costs", pipelines_dir=str(workdir / "pipelines"),
    )
    pipeline.run(reader)
    return pipeline.last_trace.last_normalize_info.row_counts["cur_line_items"]


def run_pyarrow_floor(endpoint: str, workdir: Path, rows: int) -> int:
    # Nothing but pyarrow: not even our own helpers (their package imports dlt, which would slow the floor).
    import pyarrow.parquet as pq
    from pyarrow import fs

    scheme, _, host = endpoint.partition("://")
    s3 = fs.S3FileSystem(access_key="bench", secret_key="bench", region="us-east-1", endpoint_override=host,
                         scheme=scheme)
    base = f"{BUCKET}/{PREFIX}/{EXPORT}/data/BILLING_PERIOD={PERIOD}"
    total = 0
    for number, info in enumerate(sorted(s3.get_file_info(fs.FileSelector(base)), key=lambda i: i.path)):
        with s3.open_input_file(info.path) as handle:
            source = pq.ParquetFile(handle)
            with pq.ParquetWriter(workdir / f"part-{number:05d}.parquet", source.schema_arrow) as writer:
                for batch in source.iter_batches(batch_size=65_536):
                    writer.write_batch(batch)
                    total += batch.num_rows
    return total


APPROACHES = {"this_project": run_this_project, "plain_dlt": run_plain_dlt, "pyarrow_floor": run_pyarrow_floor}



def measure(approach: str, endpoint: str, rows: int) -> dict:
    """Run one approach in a fresh process; wall time, rows and that process's peak RSS."""
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{approach}-"))
    try:
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.aws_cur", "--run", approach, "--endpoint", endpoint,
             "--workdir", str(workdir), "--rows", str(rows)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        stdout = child.stdout.read()
        status = child.wait()
        seconds = time.monotonic() - started
        if status != 0:
            raise RuntimeError(f"{approach} failed (status {status}); rerun with --run {approach} to see why")
        loaded, peak_kib = (int(v) for v in stdout.strip().splitlines()[-1].split())
        return {
            "rows": loaded,
            "seconds": round(seconds, 2),
            "rows_per_s": round(loaded / seconds),
            "peak_rss_mib": round(peak_kib * 1024 / MIB),
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000", help="line items per month, comma separated")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--run", choices=sorted(APPROACHES), help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:  # child process: one approach; prints rows loaded and its own peak RSS (KiB)
        rows = APPROACHES[args.run](args.endpoint, args.workdir, args.rows)
        print(rows, own_peak_rss_kib(), flush=True)
        # End as an Airflow task process does (os._exit, no interpreter teardown), for every approach:
        # the teardown is not part of a load and would only add each process's clean-up time.
        os._exit(0)

    from standins.s3 import MotoS3Server

    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "period": PERIOD,
        "rows_per_file": ROWS_PER_FILE,
        "notes": [
            "Each approach ran in its own fresh process, timed from its start (interpreter and imports "
            "included) to its end; it ends with os._exit as an Airflow task process does (no interpreter "
            "teardown). peak_rss_mib is that process's own maximum resident set (VmHWM).",
            "this_project calls include.loaders.aws.load as the DAG task does (Airflow connection and "
            "Variable from AIRFLOW_CONN_/AIRFLOW_VAR_ environment variables); pyarrow_floor imports "
            "nothing but pyarrow.",
            f"plain_dlt is measured once, on the month's first data file ({ROWS_PER_FILE} rows, identical in "
            "every month size; its rate does not depend on the month's size), and merges into dlt's DuckDB "
            "destination (the filesystem destination cannot merge).",
        ],
        "sizes": {},
    }
    plain = None
    with MotoS3Server() as s3:
        client = s3.client()
        client.create_bucket(Bucket=BUCKET)
        for rows in (int(size) for size in args.sizes.split(",")):
            print(f"generating a {rows:,}-line-item CUR 2.0 month in the S3 stand-in ...", flush=True)
            for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
                client.delete_object(Bucket=BUCKET, Key=obj["Key"])
            write_month(client, rows)
            size = {}
            for approach in APPROACHES:
                if approach == "plain_dlt" and plain is not None:
                    size[approach] = plain  # same first data file (seed 1) in every month size
                    continue
                measured_rows = min(rows, ROWS_PER_FILE) if approach == "plain_dlt" else rows
                print(f"  {approach} on {measured_rows:,} rows ...", flush=True)
                size[approach] = measure(approach, s3.endpoint, measured_rows)
                if approach == "plain_dlt" and measured_rows == ROWS_PER_FILE:
                    plain = size[approach]
            mine = size["this_project"]
            size["ratios"] = {
                "vs_plain_dlt": round(mine["rows_per_s"] / size["plain_dlt"]["rows_per_s"], 1),
                "vs_pyarrow_floor": round(mine["rows_per_s"] / size["pyarrow_floor"]["rows_per_s"], 2),
            }
            size["targets_met"] = {
                "at_least_10x_plain": size["ratios"]["vs_plain_dlt"] >= 10,
                "at_least_half_of_floor": size["ratios"]["vs_pyarrow_floor"] >= 0.5,
                "peak_rss_under_1_gib": mine["peak_rss_mib"] < 1024,
            }
            results["sizes"][str(rows)] = size

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(f"{'month':>10} | {'approach':<14} | {'rows':>9} | {'seconds':>8} | {'rows/s':>9} | {'peak RSS MiB':>12}")
    print("-" * 78)
    for rows, size in results["sizes"].items():
        for approach in APPROACHES:
            m = size[approach]
            print(f"{int(rows):>10,} | {approach:<14} | {m['rows']:>9,} | {m['seconds']:>8} | {m['rows_per_s']:>9,} | "
                  f"{m['peak_rss_mib']:>12}")
        print(f"{'':>10} | ratios: {size['ratios']}  targets met: {size['targets_met']}")
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
