"""`make demo`: the whole product on this machine, no cloud credentials.

1. generates realistic billing data for AWS (CUR 2.0 parquet), GCP (billing export rows), Azure (one
   month of the Cost Management FOCUS export, the newest demo month) and Stripe;
2. serves it through local stand-ins that speak the real protocols: S3 (moto server), BigQuery
   (bqemulator, driven by the real google-cloud-bigquery client), Azure Blob Storage (Azurite) and a
   Stripe-API-compatible server;
3. runs the DAGs `aws_costs`, `gcp_costs`, `azure_costs` and `stripe_revenue`, then `finops_marts`, with `airflow dags
   test` (all in one process: runners.airflow_commands) on the default `filesystem` destination (raw parquet under `data/raw`, SQL on embedded ClickHouse);
4. prints cost per provider and month, revenue, margin, and checks them against the generated
   data to the cent; then stops every server it started.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import sys
import time
from collections import defaultdict
from contextlib import ExitStack
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from runners import airflow_commands, demo_alerts, demo_allocation

ROOT = Path(__file__).resolve().parent.parent
# the provider DAGs, then the cross-provider marts (which Airflow schedules on the providers' Assets)
DAG_IDS = ("aws_costs", "gcp_costs", "azure_costs", "stripe_revenue", "finops_marts")
CUR_BUCKET, CUR_PREFIX, CUR_EXPORT = "finops-demo-cur", "cur", "finops-demo"
GCP_PROJECT, GCP_DATASET = "finops-demo", "billing"
AZURE_CONTAINER, AZURE_DIRECTORY, AZURE_EXPORT = "cost-exports", "focus", "finops-demo-focus"
AZURE_CONN_ID = "azure_cost_exports"
STRIPE_KEY = "rk_test_finops_demo_read_only"
CENT = Decimal("0.01")

_started = time.monotonic()


def say(message: str) -> None:
    print(f"[demo {time.monotonic() - _started:6.1f}s] {message}", flush=True)


def demo_months(today: date, count: int = 3) -> list[str]:
    """The `count` complete months before `today`'s month, oldest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        months.append(f"{year:04d}-{month:02d}")
    return months[::-1]


# ----------------------------------------------------------------------------------- sample data
def generate_sample_data(months: list[str], aws_rows: int, gcp_rows: int, stripe_customers: int,
                         azure_rows: int = 2_000) -> dict:
    """Every provider's data for `months`; Azure's FOCUS export for the newest month only."""
    from standins.sample_data.aws import generate_cur2_month
    from standins.sample_data.azure import generate_focus_month
    from standins.sample_data.gcp import generate_billing_rows
    from standins.sample_data.stripe import generate_stripe_data

    return {
        "aws": {period: generate_cur2_month(period, aws_rows, commitments=True) for period in months},
        "gcp": generate_billing_rows(months, rows_per_month=gcp_rows),
        "azure": {months[-1]: generate_focus_month(months[-1], azure_rows)},
        "stripe": generate_stripe_data(months, customers=stripe_customers),
    }


def expected_totals(data: dict) -> dict[str, dict[str, Decimal]]:
    """Per month, from the generated data alone: AWS unblended cost, GCP cost + credits, Azure BilledCost, Stripe net
    (major units), in USD: revenue before fees and the fees. This is the yardstick the SQL layer's numbers must equal to the cent."""
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for period, table in data["aws"].items():
        for cost in table["line_item_unblended_cost"].to_pylist():
            totals[period]["aws"] += Decimal(repr(cost))
    for row in data["gcp"]:
        month = row["invoice"]["month"]
        month = f"{month[:4]}-{month[4:]}"
        totals[month]["gcp"] += Decimal(repr(row["cost"])) + sum(
            (Decimal(repr(c["amount"])) for c in row.get("credits") or []), Decimal(0)
        )
    for month, table in data.get("azure", {}).items():
        for cost in table["BilledCost"].to_pylist():
            totals[month]["azure"] += Decimal(repr(cost))
    for txn in data["stripe"]["balance_transactions"]:
        month = datetime.fromtimestamp(txn["created"], tz=UTC).strftime("%Y-%m")
        assert txn["currency"] == "usd", "the demo's Stripe data is in USD"
        # revenue before fees; Stripe's processing fees and its own fees (category `fee`) are a cost line
        if txn["reporting_category"] == "fee":
            totals[month]["fees"] -= Decimal(txn["amount"]) / 100
        else:
            totals[month]["revenue"] += Decimal(txn["amount"]) / 100
        totals[month]["fees"] += Decimal(txn["fee"]) / 100
    return {month: {k: v.quantize(CENT) for k, v in values.items()} for month, values in totals.items()}


# ------------------------------------------------------------------------------------ stand-ins
def start_standins(stack: ExitStack, data: dict, workdir: Path, ports: dict[str, int] | None = None,
                   stripe_key: str = STRIPE_KEY) -> dict[str, str]:
    """Start the four stand-ins, load the sample data into them; returns the Airflow env vars that
    point the DAGs at them (connections and Variables, as `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*`).
    `ports` (keys s3, bigquery, azure, stripe) fixes their ports; by default free ones are picked."""
    ports = ports or {}
    from standins.azurite import AzuriteServer
    from standins.bigquery import BigQueryEmulator
    from standins.s3 import MotoS3Server
    from standins.sample_data.aws import Cur2Export, write_cur2_period
    from standins.sample_data.aws_focus import DEMO_FOCUS_EXPORT, deliver_demo_focus_export
    from standins.sample_data.azure import FocusExport, write_focus_run
    from standins.sample_data.gcp import (
        BILLING_ACCOUNT_ID,
        generate_cud_subscription_rows,
        seed_bigquery,
        seed_cud_table,
    )
    from standins.sample_data.gcp_focus import seed_demo_focus_table
    from standins.stripe_api import StripeApiServer

    say("starting S3 stand-in (moto server)")
    s3 = stack.enter_context(MotoS3Server(port=ports.get("s3")))
    client = s3.client()
    client.create_bucket(Bucket=CUR_BUCKET)
    export = Cur2Export(CUR_BUCKET, CUR_PREFIX, CUR_EXPORT)
    for period, table in data["aws"].items():
        write_cur2_period(client, export, period, table)
    say(f"  CUR 2.0 export in s3://{CUR_BUCKET}/{CUR_PREFIX}/{CUR_EXPORT}/ ({len(data['aws'])} billing periods)")
    say("  " + deliver_demo_focus_export(client, CUR_BUCKET, CUR_PREFIX, data["aws"]))

    say("starting BigQuery stand-in (bqemulator)")
    bigquery = BigQueryEmulator(project=GCP_PROJECT, port=ports.get("bigquery"), log_path=workdir / "bqemulator.log")
    stack.callback(bigquery.stop)
    bigquery.start()
    table_name = "gcp_billing_export_v1_" + BILLING_ACCOUNT_ID.replace("-", "_")
    billing_table = seed_bigquery(bigquery.client(), GCP_DATASET, table_name, data["gcp"])
    say(f"  billing export {billing_table} ({len(data['gcp'])} rows)")
    gcp_focus_table = seed_demo_focus_table(bigquery.client(), GCP_DATASET, data["gcp"])  # same bill, not counted
    # Google's CUD metadata export beside the billing export: gcp_costs finds and loads it (cud_table: auto)
    commitments = generate_cud_subscription_rows(sorted({row["invoice"]["month"] for row in data["gcp"]}))
    cud_table = seed_cud_table(bigquery.client(), GCP_DATASET, commitments)
    say(f"  CUD metadata export {cud_table} ({len(commitments)} commitments)")

    say("starting Azure Blob Storage stand-in (Azurite)")
    azurite = stack.enter_context(AzuriteServer(port=ports.get("azure")))
    focus_export = FocusExport(AZURE_CONTAINER, AZURE_DIRECTORY, AZURE_EXPORT)
    for month, table in data["azure"].items():
        write_focus_run(azurite.service_client(), focus_export, month, table)
    say(f"  FOCUS export in az://{AZURE_CONTAINER}/{AZURE_DIRECTORY}/{AZURE_EXPORT}/ ({', '.join(data['azure'])})")

    say("starting Stripe API stand-in")
    stripe_api = StripeApiServer(data=data["stripe"], port=ports.get("stripe", 0), api_keys=[stripe_key])
    stack.callback(stripe_api.stop)
    stripe_api.start()
    say(f"  {len(data['stripe']['balance_transactions'])} balance transactions at {stripe_api.url}")

    credentials = s3.credentials()
    connections = {
        "aws_default": {
            "conn_type": "aws",
            "login": credentials["aws_access_key_id"],
            "password": credentials["aws_secret_access_key"],
            "extra": {"endpoint_url": credentials["endpoint_url"], "region_name": credentials["region_name"]},
        },
        "google_cloud_default": {
            "conn_type": "google_cloud_platform",
            "extra": {"project": GCP_PROJECT, "api_endpoint": bigquery.endpoint},
        },
        "stripe_default": {"conn_type": "generic", "host": stripe_api.url, "password": stripe_key},
        # the Microsoft Azure provider's Blob Storage connection: account name and key, Azurite's endpoint
        AZURE_CONN_ID: {"conn_type": "wasb", "login": azurite.credentials()["azure_storage_account_name"],
                        "password": azurite.credentials()["azure_storage_account_key"], "host": azurite.blob_endpoint},
    }
    variables = {
        "finops_destination": "filesystem",
        "aws_costs_config": {"bucket": CUR_BUCKET, "prefix": CUR_PREFIX,
                             "exports": [{"export_name": CUR_EXPORT}, {"export_name": DEMO_FOCUS_EXPORT}]},
        "gcp_costs_config": {"exports": [{"billing_table": billing_table}, {"billing_table": gcp_focus_table}]},
        "azure_costs_config": {"azure_conn_id": AZURE_CONN_ID, "container": AZURE_CONTAINER,
                               "directory": AZURE_DIRECTORY, "export_name": AZURE_EXPORT},
        "stripe_revenue_config": {"stripe_conn_id": "stripe_default"},
    }
    env = {f"AIRFLOW_CONN_{k.upper()}": json.dumps(v) for k, v in connections.items()}
    env.update({f"AIRFLOW_VAR_{k.upper()}": v if isinstance(v, str) else json.dumps(v) for k, v in variables.items()})
    return env


# -------------------------------------------------------------------------------------- airflow
def airflow_env(airflow_home: Path, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            "FINOPS_DATA_DIR": str(data_dir),
            "DLT_DATA_DIR": str(data_dir / "dlt_home"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            # the embedded ClickHouse in this data folder (airflow_settings.yaml names the image's)
            "AIRFLOW_CONN_CLICKHOUSE_EMBEDDED": json.dumps(
                {"conn_type": "clickhouse", "extra": {"client_kwargs": {"dsn": f"chdb://{data_dir / 'chdb'}"}}}
            ),
        }
    )
    env.pop("FINOPS_DESTINATION", None)  # the Airflow Variable decides
    return env


def rows_loaded(log_path: Path) -> dict[str, int]:
    """Rows per raw table, summed over the `dlt loaded ... {table: rows}` lines of a task log."""
    totals: dict[str, int] = defaultdict(int)
    for line in log_path.read_text().splitlines():
        match = re.search(r"dlt loaded .*?(\{[^{}]*\})", line)
        if match:
            for table, rows in ast.literal_eval(match.group(1)).items():
                totals[table] += rows
    return dict(totals)


def run_dags(env: dict[str, str], logs: Path, run_day: date) -> None:
    """`airflow db migrate`, the pools of airflow_settings.yaml, then `airflow dags test` of every DAG, in one
    process (runners.airflow_commands: Airflow starts once), each command's output in `logs/<name>.log`."""
    # imported here because runners.local_airflow builds on this module
    from runners.local_airflow import read_settings

    (logs / "pools.json").write_text(json.dumps(read_settings()["pools"]))
    say(f"initialising Airflow metadata database in {env['AIRFLOW_HOME']}")

    def started(name: str, log: Path) -> None:
        if name in DAG_IDS:
            say(f"airflow dags test {name} {run_day} (log: {log})")

    def finished(name: str, log: Path, seconds: float) -> None:
        if name in DAG_IDS:
            say(f"  {name} succeeded in {seconds:.0f}s; rows loaded: {rows_loaded(log) or 'none'}")

    commands = [("airflow_db_migrate", ["db", "migrate"]), ("pools", ["pools", "import", str(logs / "pools.json")])]
    commands += [(dag_id, ["dags", "test", dag_id, run_day.isoformat()]) for dag_id in DAG_IDS]
    airflow_commands.run(commands, env, logs, started, finished)


# --------------------------------------------------------------------------------------- report
def margin_report(data_dir: Path) -> tuple[list[str], list[tuple]]:
    os.environ["FINOPS_DATA_DIR"] = str(data_dir)
    from include.transform import query

    return query(
        "SELECT month, currency, aws_billed_cost, gcp_billed_cost, azure_billed_cost, cloud_billed_cost, revenue, stripe_fees, "
        "margin, margin_pct "
        "FROM finops.monthly_margin ORDER BY month, currency",
        destination="filesystem",
    )


def commitments_report(data_dir: Path) -> tuple[list[str], list[tuple]]:
    """The FOCUS 1.4 Contract Commitment rows per provider and status (finops.focus_contract_commitments): AWS
    Savings Plans and RIs from the CUR, GCP CUDs from Google's CUD metadata export."""
    os.environ["FINOPS_DATA_DIR"] = str(data_dir)
    from include.transform import query

    return query(
        "SELECT ServiceProviderName AS provider, ContractCommitmentType AS type, ContractCommitmentLifecycleStatus AS "
        "status, count() AS commitments, sum(ContractCommitmentCost) AS contract_cost, BillingCurrency AS currency, "
        "min(ContractCommitmentPeriodEnd) AS first_end FROM finops.focus_contract_commitments "
        "GROUP BY provider, type, status, currency ORDER BY provider, type, status, currency",
        destination="filesystem",
    )


def mrr_report(data_dir: Path, months: list[str]) -> tuple[list[str], list[tuple]]:
    """MRR and its movements per month of the sample (finops.int_stripe__mrr_monthly)."""
    os.environ["FINOPS_DATA_DIR"] = str(data_dir)
    from include.transform import query

    listed = ", ".join(f"'{m}'" for m in months)
    return query(
        "SELECT month, upper(currency) AS currency, mrr_at_start, new_mrr, expansion_mrr, reactivation_mrr, "
        f"contraction_mrr, churned_mrr, mrr FROM finops.int_stripe__mrr_monthly WHERE month IN ({listed}) "
        "ORDER BY month, currency",
        destination="filesystem",
    )


def mrr_problems(rows: list[tuple]) -> list[str]:
    """Months whose MRR is not the MRR at the start plus its movements (empty when all add up)."""
    return [f"{month} {currency}: {start} + {new} + {up} + {back} - {down} - {lost} != {end}"
            for month, currency, start, new, up, back, down, lost, end in rows
            if start + new + up + back - down - lost != end]


def format_table(columns: list[str], rows: list[tuple]) -> str:
    def cell(value) -> str:
        if isinstance(value, Decimal):
            return f"{value.quantize(CENT):,}"
        return "" if value is None else str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(v.rjust(w) if i >= 2 else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))) for r in cells]
    return "\n".join(lines)


def reconcile(rows: list[tuple], expected: dict[str, dict[str, Decimal]]) -> list[str]:
    """Differences between the report and the generated data, to the cent (empty when they agree)."""
    problems = []
    seen = set()
    for month, _currency, aws_cost, gcp_cost, azure_cost, _cloud, revenue, fees, _margin, _pct in rows:
        seen.add(month)
        want = expected.get(month, {})
        for name, got in (("aws", aws_cost), ("gcp", gcp_cost), ("azure", azure_cost), ("revenue", revenue),
                          ("fees", fees)):
            if got.quantize(CENT) != want.get(name, Decimal("0.00")):
                problems.append(f"{month} {name}: report {got.quantize(CENT)} != generated {want.get(name)}")
    problems += [f"{month}: in the generated data, missing from the report" for month in expected if month not in seen]
    return problems


# ----------------------------------------------------------------------------------------- main
def run_demo(workdir: Path, data_dir: Path, months: list[str], aws_rows: int, gcp_rows: int,
             stripe_customers: int, azure_rows: int = 2_000) -> tuple[list[str], list[tuple], dict]:
    for path in (workdir, data_dir):
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
    logs = workdir / "logs"
    logs.mkdir()
    say(f"generating sample data for {', '.join(months)}")
    data = generate_sample_data(months, aws_rows, gcp_rows, stripe_customers, azure_rows)
    month_in_progress = demo_alerts.add_month_in_progress(data, date.today())
    with ExitStack() as stack:
        env = airflow_env(workdir / "airflow", data_dir)
        env["AIRFLOW_VAR_FINOPS_SQL_CONFIG"] = json.dumps(demo_allocation.demo_sql_config(data))
        env.update(start_standins(stack, data, workdir))
        alerts = demo_alerts.start(stack, env, data, months[-1], month_in_progress, workdir, echo=say)
        run_dags(env, logs, date.today())
        alert_problems = demo_alerts.report(alerts, data_dir)
        say("stopping stand-ins")
    if alert_problems:
        raise SystemExit("ALERTS ARE NOT THE EXPECTED ONES:\n  " + "\n  ".join(alert_problems))
    columns, rows = margin_report(data_dir)
    return columns, rows, expected_totals(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / ".demo", help="Airflow home, logs (wiped)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data", help="raw parquet + embedded ClickHouse (wiped)")
    parser.add_argument("--months", type=int, default=3, help="complete months before this one")
    parser.add_argument("--aws-rows", type=int, default=20_000, help="CUR line items per month")
    parser.add_argument("--gcp-rows", type=int, default=400, help="billing export rows per month")
    parser.add_argument("--azure-rows", type=int, default=2_000, help="Azure FOCUS export rows (newest month)")
    parser.add_argument("--stripe-customers", type=int, default=120)
    args = parser.parse_args(argv)

    months = demo_months(date.today(), args.months)
    columns, rows, expected = run_demo(
        args.workdir.resolve(), args.data_dir.resolve(), months, args.aws_rows, args.gcp_rows, args.stripe_customers,
        args.azure_rows,
    )
    print()
    print("Billed cloud cost vs Stripe revenue per month (AWS: net unblended incl. tax and credits; GCP: cost + credits;")
    print("Azure: FOCUS BilledCost of the Cost Management export;")
    print("revenue: Stripe ledger before fees, net of refunds and disputes; stripe_fees: a cost line;")
    print("margin = revenue - stripe_fees - cloud_billed_cost)")
    print(format_table(columns, rows))
    print()
    problems = reconcile(rows, expected)
    if problems:
        print("RECONCILIATION FAILED:\n  " + "\n  ".join(problems))
        return 1
    print(f"Reconciled with the generated data to the cent ({len(months)} months, 4 providers).")
    print()
    mrr_columns, mrr_rows = mrr_report(args.data_dir.resolve(), months)
    print("MRR movements per month (Stripe subscriptions: the state in effect at each month's end, from stored")
    print("snapshots and subscription events; reconstructed from invoices only before any history)")
    print(format_table(mrr_columns, mrr_rows))
    problems = mrr_problems(mrr_rows)
    if problems or not mrr_rows:
        print("MRR DOES NOT ADD UP:\n  " + "\n  ".join(problems or ["no MRR rows"]))
        return 1
    print("Every month: MRR at start + new + expansion + reactivation - contraction - churned = MRR at end.")
    print()
    commitment_columns, commitment_rows = commitments_report(args.data_dir.resolve())
    print("Contract commitments (FOCUS 1.4 ContractCommitment: AWS from the CUR, GCP from the CUD metadata export)")
    print(format_table(commitment_columns, commitment_rows))
    if not {row[0] for row in commitment_rows} >= {"AWS", "Google Cloud"}:
        print("CONTRACT COMMITMENTS MISSING: expected AWS and Google Cloud rows")
        return 1
    print()
    # the newest complete month: every provider has data there (the month in progress is AWS's only)
    if not demo_allocation.print_showback(args.data_dir.resolve(), months[-1]):
        return 1
    print()
    print(f"Raw parquet: {args.data_dir.resolve() / 'raw'}   Embedded ClickHouse: {args.data_dir.resolve() / 'chdb'}")
    print(f"Dashboards: the derived tables are in {args.data_dir.resolve() / 'marts'}; `cd rill && rill start` shows them.")
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())

