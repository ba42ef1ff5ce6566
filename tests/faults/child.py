"""A load or SQL build run in a child process that SIGKILLs itself at a named point.

    python -m tests.faults.child <aws|gcp|stripe|sql-aws> <point>

Points: none, download, extract, normalize, load (the data file half written), rename (a state file of
the package, or with FAULT_RENAME_FOLDER of another folder, written and not yet renamed), commit (jobs done and
`_dlt_loads` written, the package not yet moved to loaded), prune (after the first file removed),
sql (the FAULT_STATEMENT-th SQL statement). `FAULT_PERIOD` limits the AWS points to one billing period.
The kill is the real thing (SIGKILL: no cleanup, no finally blocks), as when a worker is OOM-killed.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import sys
from datetime import date

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

DATA_TABLES = ("cur_line_items", "billing_export", "balance_transactions")
current = {"period": None}


def die(point: str) -> None:
    sys.stderr.write(f"fault: SIGKILL at {point}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def armed() -> bool:
    wanted = os.environ.get("FAULT_PERIOD")
    return not wanted or current["period"] == wanted


def install(point: str) -> None:
    from include.sources.aws_cur import cur2

    original_prepare = cur2.prepare_batch
    seen = {"batches": 0}

    def prepare_batch(batch, billing_period, source_file, *rest):
        current["period"] = billing_period
        if point == "download" and armed():
            seen["batches"] += 1
            if seen["batches"] == 2:  # the second file of the delivery: the first one is already extracted
                die(point)
        return original_prepare(batch, billing_period, source_file, *rest)

    cur2.prepare_batch = prepare_batch

    if point == "extract":
        from dlt.pipeline.pipeline import Pipeline

        original_extract = Pipeline.extract

        def extract(self, *args, **kwargs):
            info = original_extract(self, *args, **kwargs)
            if armed() and args and args[0] is not None:
                die(point)
            return info

        Pipeline.extract = extract
    elif point == "normalize":
        from dlt.normalize.normalize import Normalize

        original_spool = Normalize.spool_files

        def spool_files(self, *args, **kwargs):
            original_spool(self, *args, **kwargs)
            if armed():
                die(point)

        Normalize.spool_files = spool_files
    elif point == "load":
        from dlt.destinations.impl.filesystem.filesystem import FilesystemLoadJob

        original_run = FilesystemLoadJob.run

        def run(self):
            original_run(self)
            remote = self.make_remote_path()
            if armed() and any(f"/{table}/" in remote for table in DATA_TABLES):
                path = pathlib.Path(remote.removeprefix("file://"))
                data = path.read_bytes()
                path.write_bytes(data[: len(data) // 2])  # killed while the file was being written
                die(point)

        FilesystemLoadJob.run = run
    elif point == "rename":
        from dlt.common.storages import file_storage

        original_replace = os.replace

        def replace(source, destination, *args, **kwargs):
            # dlt's atomic save: the temporary file is written at the root of the package folder
            folder = os.environ.get("FAULT_RENAME_FOLDER", "normalized")
            if armed() and pathlib.Path(source).parent.name == folder:
                die(point)
            return original_replace(source, destination, *args, **kwargs)

        file_storage.os.replace = replace
    elif point == "commit":
        from dlt.common.storages.load_storage import LoadStorage

        original_complete = LoadStorage.complete_load_package

        def complete_load_package(self, load_id, aborted):
            if armed() and not aborted:
                die(point)
            return original_complete(self, load_id, aborted)

        LoadStorage.complete_load_package = complete_load_package
    elif point == "prune":
        original_unlink = pathlib.Path.unlink

        def unlink(self, *args, **kwargs):
            original_unlink(self, *args, **kwargs)
            if "cur_line_items" in str(self) and armed():
                die(point)

        pathlib.Path.unlink = unlink
    elif point == "sql":
        from include.transform import statements

        original_execute = statements.execute
        calls = {"n": 0}

        def execute(client, statement, source):
            calls["n"] += 1
            if calls["n"] == int(os.environ.get("FAULT_STATEMENT", "1")):
                die(f"{point} statement {calls['n']} ({source})")
            return original_execute(client, statement, source)

        statements.execute = execute


def main(job: str, point: str) -> None:
    install(point)
    if job == "aws":
        from include.loaders import aws
        from include.run_intent import request_for

        run_date = date.fromisoformat(os.environ.get("FAULT_RUN_DATE", "2026-09-30"))
        result = aws.load(request_for("aws_costs", run_date=run_date)).rows_by_period()
    elif job == "gcp":
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        from include.loaders import gcp
        from include.run_intent import request_for

        client = bigquery.Client(project=os.environ["FAULT_GCP_PROJECT"], credentials=AnonymousCredentials(),
                                 client_options=ClientOptions(api_endpoint=os.environ["FAULT_GCP_ENDPOINT"]))
        result = gcp.load(request_for("gcp_costs"), config={"billing_table": os.environ["FAULT_GCP_TABLE"]},
                          client=client).tables
    elif job == "stripe":
        from include.loaders import stripe
        from include.run_intent import request_for
        from include.sources.stripe_revenue.client import make_client

        client = make_client(os.environ["FAULT_STRIPE_KEY"], base_url=os.environ["FAULT_STRIPE_URL"],
                             max_network_retries=1)
        result = stripe.load(request_for("stripe_revenue"), config={"retry_attempts": 1, "retry_backoff_seconds": 0.01},
                             client=client).tables
    elif job.startswith("sql-"):
        from include.transform import run_transformations

        result = run_transformations(job.removeprefix("sql-"), periods="changed")  # as the DAG task
    else:
        raise SystemExit(f"unknown job {job!r}")
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:3])
