"""`make bench`: a year of data through every SQL build, and the dashboards' queries on it.

12 complete months of AWS CUR 2.0 line items (1M a month), GCP detailed billing export rows (200K a
month) and Stripe (5,000 customers) are loaded by the real load tasks (include.loaders.*) into the
`filesystem` destination: AWS from the S3 stand-in, Stripe from the Stripe API stand-in, GCP from a
client that serves the query's result pages from an Arrow IPC file (the BigQuery emulator manages
about 250 rows/s, which is not what is measured; see bench/gcp_billing.py). `--scale` multiplies the
three sizes, to measure a smaller year on a small machine. Then, each in a fresh process (peak RSS is
that process's own, as an Airflow task's):

* full: `run_transformations` aws, gcp, stripe with periods None (everything rebuilt), then marts
  (which exports the dashboards' parquet: all written, nothing exported before); after each build its
  check task (`include.reconciliation.run_checks`), as in the DAGs, in every scenario;
* nothing_changed: aws, gcp, stripe with periods "changed" (what the DAGs pass) and marts, no new load;
* restated_month: AWS re-delivers one billing period with other figures (same size), the aws load
  task reloads it, then aws with "changed" (one month rebuilt) and marts, as the `aws_costs` DAG and
  the `finops_marts` DAG it triggers do. The load is timed apart from the SQL;
* dashboards: every measure of every Rill metrics view (one query per view, as Rill's time series asks
  for them) at day and month grain, `--repeat` times, on chdb (the prod models as ClickHouse views over
  `finops`) and on DuckDB over the parquet marts (the dev models: what `rill start` runs locally).

Writes bench/results/full_year.json and prints the figures and the issue's targets as tables.
Targets (issue 20): restated month <= 1/8 of a full rebuild, nothing changed < 10% of a full rebuild,
every dashboard query < 1 s at p95, peak RSS of an SQL task < 2 GiB.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from bench.peak_rss import own_peak_rss_kib

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "full_year.json"
MONTHS = 12
AWS_ROWS, GCP_ROWS, STRIPE_CUSTOMERS = 1_000_000, 200_000, 5_000
GCP_TABLE = "bench-project.billing_export.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9"
GRAINS = ("day", "month")
MIB = 1024 * 1024
# What each SQL scenario runs, in order: (target, periods).
SCENARIOS = {
    "full": [("aws", None), ("gcp", None), ("stripe", None), ("marts", None)],
    "nothing_changed": [("aws", "changed"), ("gcp", "changed"), ("stripe", "changed"), ("marts", None)],
    "restated_month": [("aws", "changed"), ("marts", None)],
}


# ------------------------------------------------------------------------------ child processes

def child_load(args) -> dict:
    """The three load tasks (full refresh), or the AWS one for `--periods` only."""
    from bench.gcp_billing import PagesClient
    from include.loaders import aws, gcp, stripe
    from include.run_intent import request_for

    if args.periods:
        report = aws.load(request_for("aws_costs", {"billing_periods": args.periods.split(",")}))
        return {"aws": report.rows_by_period()}
    return {
        "aws": aws.load(request_for("aws_costs", {"full_refresh": True})).rows_by_period(),
        "gcp": gcp.load(request_for("gcp_costs", {"full_refresh": True}), config={"billing_table": GCP_TABLE},
                        client=PagesClient(args.pages, args.gcp_rows)).rows_by_period(),
        "stripe": stripe.load(request_for("stripe_revenue", {"full_refresh": True}),
                              config={"stripe_conn_id": "stripe_default"}).rows_by_period(),
    }


def child_sql(args) -> dict:
    """One scenario's SQL tasks: each target's build, then its check task (as the DAGs run them);
    seconds per task and what the marts' export wrote."""
    # An Airflow task process has Airflow loaded before its callable runs; here the first build of a scenario
    # would import it (about 5 s through the ClickHouse hook) and the others not. Loaded before the clock starts
    # (process_seconds still counts it).
    from airflow.providers.clickhousedb.hooks.clickhouse import ClickHouseHook  # noqa: F401

    from include.reconciliation import run_checks
    from include.transform import run_transformations

    steps = {}
    for target, periods in SCENARIOS[args.scenario]:
        started = time.monotonic()
        result = run_transformations(target, periods=periods, config={})
        steps[target] = {"seconds": round(time.monotonic() - started, 2), "periods": result["periods"],
                         "models": len(result["models"])}
        if result["marts"]:
            steps[target]["export"] = result["marts"]
        started = time.monotonic()
        checked = run_checks(target, run_id=f"bench__{args.scenario}__{target}", periods="changed")  # as the DAGs
        steps[f"check_{target}"] = {"seconds": round(time.monotonic() - started, 2), "periods": checked["periods"]}
    return steps


def child_dashboards(args) -> dict:
    """Every metrics view's measures by day and month, `repeat` times, on both engines: seconds per query."""
    from tests.rill import project as rill

    timings = {}
    for engine_name, engine_of in (("chdb", rill.clickhouse_engine), ("duckdb", rill.duck_engine)):
        with engine_of(args.data_dir) as engine:
            for view in sorted(rill.load_project().metrics_views):
                for grain in GRAINS:
                    samples = []
                    for _ in range(args.repeat):
                        started = time.perf_counter()
                        rows = rill.time_series(engine, view, grain)
                        samples.append(time.perf_counter() - started)
                    timings[f"{engine_name}|{view}|{grain}"] = {"rows": len(rows), "seconds": samples}
    return timings


CHILDREN = {"load": child_load, "sql": child_sql, "dashboards": child_dashboards}


def run_child(phase: str, env: dict, *extra: str) -> dict:
    started = time.monotonic()
    child = subprocess.run([sys.executable, "-m", "bench.full_year", "--child", phase, *extra], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    if child.returncode != 0:
        raise RuntimeError(f"{phase} {' '.join(extra)} failed (status {child.returncode}):\n{child.stderr[-4000:]}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = round(time.monotonic() - started, 2)
    return result


# --------------------------------------------------------------------------------------- parent
def write_gcp_pages(path: Path, months: list[str], rows_per_month: int) -> int:
    """The detailed export's query result pages for `months`, generated a month at a time (bounded memory)."""
    import pyarrow as pa

    from standins.sample_data.gcp import billing_result_page, generate_billing_rows

    total, writer, sink = 0, None, pa.OSFile(str(path), "wb")
    try:
        for month in months:
            batch = billing_result_page(generate_billing_rows([month], rows_per_month=rows_per_month, detailed=True),
                                        detailed=True)
            writer = writer or pa.ipc.new_stream(sink, batch.schema)
            for page in pa.Table.from_batches([batch]).to_batches(max_chunksize=20_000):
                writer.write_batch(page)
            total += batch.num_rows
    finally:
        if writer:
            writer.close()
        sink.close()
    return total


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def summarize_dashboards(timings: dict) -> dict:
    summary = {}
    for key, value in timings.items():
        samples = value["seconds"]
        summary[key] = {"rows": value["rows"], "p50_s": round(statistics.median(samples), 4),
                        "p95_s": round(percentile(samples, 0.95), 4), "max_s": round(max(samples), 4)}
    return summary


def summarize_sql(result: dict) -> dict:
    steps = {k: v for k, v in result.items() if k not in ("peak_rss_kib", "wall_seconds")}
    export = next((v["export"] for v in steps.values() if "export" in v), {})
    return {
        "sql_seconds": round(sum(v["seconds"] for v in steps.values()), 2),
        "process_seconds": result["wall_seconds"],
        "peak_rss_mib": round(result["peak_rss_kib"] * 1024 / MIB),
        "targets": {k: {"seconds": v["seconds"], "periods": v["periods"]} for k, v in steps.items()},
        "export_written": sorted(t for t, o in export.items() if o["written"]),
        "export_seconds": round(sum(o["seconds"] for o in export.values()), 2),
        "export": export,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the AWS, GCP and Stripe sizes")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each dashboard query (p95 over them)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    parser.add_argument("--periods", help=argparse.SUPPRESS)
    parser.add_argument("--pages", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--gcp-rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # child process: one phase; prints its result and its own peak RSS as JSON
        result = CHILDREN[args.child](args)
        result["peak_rss_kib"] = own_peak_rss_kib()
        print(json.dumps(result, default=str), flush=True)
        os._exit(0)  # as an Airflow task process ends (no interpreter teardown)

    from runners.demo import CUR_BUCKET, CUR_EXPORT, CUR_PREFIX, STRIPE_KEY, demo_months
    from standins.s3 import MotoS3Server
    from standins.sample_data.aws import Cur2Export, generate_cur2_month, write_cur2_period
    from standins.sample_data.stripe import generate_stripe_data
    from standins.stripe_api import StripeApiServer

    aws_rows, gcp_rows = max(100, round(AWS_ROWS * args.scale)), max(100, round(GCP_ROWS * args.scale))
    customers = max(10, round(STRIPE_CUSTOMERS * args.scale))
    months = demo_months(date.today(), MONTHS)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench-full-year-"))
    shutil.rmtree(workdir / "data", ignore_errors=True)
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True)
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": os.getloadavg()},
        "size": {"scale": args.scale, "months": months, "aws_rows_per_month": aws_rows,
                 "gcp_rows_per_month": gcp_rows, "stripe_customers": customers},
        "notes": [
            "Each phase ran in its own fresh process (filesystem destination: chdb over the raw parquet); "
            "peak_rss_mib is that process's own maximum resident set (VmHWM). sql_seconds is the sum of the "
            "build and check tasks (run_transformations and run_checks), the marts' parquet export included; "
            "process_seconds adds interpreter start and imports (Airflow, about 5 s, is imported before the "
            "clock starts: an Airflow task process has it loaded before the task runs).",
            "restated_month: AWS re-delivered one billing period with other figures; its load is timed "
            "apart (restated_month_load) from the SQL.",
        ],
    }
    try:
        with ExitStack() as stack:
            # The sample generators build millions of small Python objects, and the cyclic collector's passes over them
            # cost a third of the GCP generator's time (87K rows: 12.1 s, 7.8 s without). This process only generates
            # and waits for the measured children, each a fresh process with the collector on.
            gc.disable()
            print(f"generating {MONTHS} months: AWS {aws_rows:,}/month, GCP {gcp_rows:,}/month, "
                  f"Stripe {customers:,} customers ...", flush=True)
            s3 = stack.enter_context(MotoS3Server())
            s3_client = s3.client()
            s3_client.create_bucket(Bucket=CUR_BUCKET)
            export = Cur2Export(CUR_BUCKET, CUR_PREFIX, CUR_EXPORT)
            for period in months:
                write_cur2_period(s3_client, export, period, generate_cur2_month(period, aws_rows))
            pages = workdir / "gcp_pages.arrows"
            gcp_total = write_gcp_pages(pages, months, gcp_rows)
            stripe_api = StripeApiServer(data=generate_stripe_data(months, customers=customers), port=0,
                                         api_keys=[STRIPE_KEY])
            stack.callback(stripe_api.stop)
            stripe_api.start()
            credentials = s3.credentials()
            env = dict(os.environ, FINOPS_DESTINATION="filesystem", FINOPS_DATA_DIR=str(data_dir),
                       DLT_DATA_DIR=str(data_dir / "dlt_home"), RUNTIME__DLTHUB_TELEMETRY="false",
                       AIRFLOW_CONN_AWS_DEFAULT=json.dumps({
                           "conn_type": "aws", "login": credentials["aws_access_key_id"],
                           "password": credentials["aws_secret_access_key"],
                           "extra": {"endpoint_url": credentials["endpoint_url"],
                                     "region_name": credentials["region_name"]}}),
                       AIRFLOW_CONN_STRIPE_DEFAULT=json.dumps({"conn_type": "generic", "host": stripe_api.url,
                                                               "password": STRIPE_KEY}),
                       AIRFLOW_VAR_AWS_COSTS_CONFIG=json.dumps({"bucket": CUR_BUCKET, "prefix": CUR_PREFIX,
                                                                "export_name": CUR_EXPORT}))

            print("loading (the three load tasks, full refresh) ...", flush=True)
            loaded = run_child("load", env, "--pages", str(pages), "--gcp-rows", str(gcp_total))
            results["load"] = {"process_seconds": loaded["wall_seconds"],
                               "rows": {p: sum(v.values()) for p, v in loaded.items() if isinstance(v, dict)}}
            for scenario in ("full", "nothing_changed"):
                print(f"SQL: {scenario} ...", flush=True)
                results[scenario] = summarize_sql(run_child("sql", env, "--scenario", scenario))
            restated = months[len(months) // 2]
            print(f"AWS re-delivers {restated}; reloading it ...", flush=True)
            write_cur2_period(s3_client, export, restated, generate_cur2_month(restated, aws_rows, seed=43))
            reload = run_child("load", env, "--periods", restated)
            results["restated_month_load"] = {"period": restated, "process_seconds": reload["wall_seconds"],
                                              "rows": reload["aws"]}
            print("SQL: restated_month ...", flush=True)
            results["restated_month"] = summarize_sql(run_child("sql", env, "--scenario", "restated_month"))
        print(f"dashboard queries ({args.repeat} runs each) ...", flush=True)
        dashboards = run_child("dashboards", env, "--data-dir", str(data_dir), "--repeat", str(args.repeat))
        dashboards.pop("wall_seconds")
        dashboards.pop("peak_rss_kib")
        results["dashboards"] = summarize_dashboards(dashboards)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    full = results["full"]["sql_seconds"]
    slowest = max(results["dashboards"].items(), key=lambda item: item[1]["p95_s"])
    results["targets"] = {
        "restated_month_at_most_1_8_of_full": {"measured": round(results["restated_month"]["sql_seconds"] / full, 3),
                                               "target": 0.125},
        "nothing_changed_under_10pct_of_full": {"measured": round(results["nothing_changed"]["sql_seconds"] / full, 3),
                                                "target": 0.10},
        "dashboard_query_p95_under_1s": {"measured": slowest[1]["p95_s"], "query": slowest[0], "target": 1.0},
        "sql_task_peak_rss_under_2gib": {"measured": max(results[s]["peak_rss_mib"] for s in SCENARIOS),
                                         "target": 2048},
    }
    for name, target in results["targets"].items():  # "at most" allows equality, "under" does not
        target["met"] = target["measured"] <= target["target"] if "at_most" in name else target["measured"] < target["target"]
    # the figures this file held before, beside the new ones (same --scale only: other sizes do not compare)
    if args.output.exists():
        before = json.loads(args.output.read_text())
        if before.get("size", {}).get("scale") == args.scale and "targets" in before:
            results["previous_run"] = {"load_average_at_start": before["machine"]["load_average_at_start"],
                                       **{scenario: before[scenario]["sql_seconds"] for scenario in SCENARIOS},
                                       "targets": {k: v["measured"] for k, v in before["targets"].items()}}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_tables(results)
    print(f"\nwritten to {args.output}")
    return 0


def print_tables(results: dict) -> None:
    size = results["size"]
    print(f"\n{len(size['months'])} months, AWS {size['aws_rows_per_month']:,}/month, GCP {size['gcp_rows_per_month']:,}"
          f"/month, Stripe {size['stripe_customers']:,} customers (scale {size['scale']}); load "
          f"{results['load']['process_seconds']} s")
    print(f"\n{'SQL run':<16} | {'SQL s':>8} | {'export s':>8} | {'peak RSS MiB':>12} | parquet written")
    print("-" * 100)
    for scenario in SCENARIOS:
        r = results[scenario]
        print(f"{scenario:<16} | {r['sql_seconds']:>8} | {r['export_seconds']:>8} | {r['peak_rss_mib']:>12} | "
              f"{', '.join(r['export_written']) or '-'}")
    print(f"(restated month {results['restated_month_load']['period']}: AWS reload "
          f"{results['restated_month_load']['process_seconds']} s, not in SQL s)")
    print(f"\n{'engine':<7} | {'metrics view':<18} | {'grain':<5} | {'rows':>6} | {'p50 s':>7} | {'p95 s':>7}")
    print("-" * 68)
    for key, value in results["dashboards"].items():
        engine, view, grain = key.split("|")
        print(f"{engine:<7} | {view:<18} | {grain:<5} | {value['rows']:>6} | {value['p50_s']:>7} | {value['p95_s']:>7}")
    previous = results.get("previous_run", {}).get("targets", {})
    print(f"\n{'target':<38} | {'before':>10} | {'measured':>10} | {'target':>8} | met")
    print("-" * 81)
    for name, target in results["targets"].items():
        print(f"{name:<38} | {previous.get(name, '-'):>10} | {target['measured']:>10} | {target['target']:>8} | {target['met']}")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
