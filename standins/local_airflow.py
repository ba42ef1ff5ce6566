"""`make airflow`: a local Airflow 3 on http://127.0.0.1:8080 wired to the local stand-ins.

Starts the S3, BigQuery and Stripe stand-ins with sample data on the fixed ports that
`airflow_settings.yaml` points at, imports that file's connections, Variables and pools, then runs
the Airflow components (api-server on 127.0.0.1, scheduler, dag-processor, triggerer; log servers
not served) until Ctrl-C, which stops everything.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import yaml

from standins.demo import ROOT, airflow, airflow_env, demo_months, generate_sample_data, say, start_standins

SETTINGS_FILE = ROOT / "airflow_settings.yaml"


def read_settings(path: Path = SETTINGS_FILE) -> dict:
    """airflow_settings.yaml (Astro CLI format) as {connections, variables, pools} for Airflow's importers."""
    settings = yaml.safe_load(path.read_text())["airflow"]
    connections = {}
    for conn in settings.get("connections") or []:
        fields = {
            "conn_type": conn["conn_type"],
            "host": conn.get("conn_host"),
            "schema": conn.get("conn_schema"),
            "login": conn.get("conn_login"),
            "password": conn.get("conn_password"),
            "port": conn.get("conn_port"),
            "extra": json.dumps(conn.get("conn_extra") or {}),
        }
        connections[conn["conn_id"]] = {k: v for k, v in fields.items() if v is not None}
    variables = {v["variable_name"]: v["variable_value"] for v in settings.get("variables") or []}
    pools = {
        p["pool_name"]: {"slots": p["pool_slot"], "description": p.get("pool_description", ""), "include_deferred": False}
        for p in settings.get("pools") or []
    }
    return {"connections": connections, "variables": variables, "pools": pools}


def standin_ports(settings: dict) -> dict[str, int]:
    """The fixed ports the settings' connections point at."""
    conns = settings["connections"]
    return {
        "s3": urlparse(json.loads(conns["aws_default"]["extra"])["endpoint_url"]).port,
        "bigquery": urlparse(json.loads(conns["google_cloud_default"]["extra"])["api_endpoint"]).port,
        "stripe": urlparse(conns["stripe_default"]["host"]).port,
    }


def import_settings(settings: dict, env: dict[str, str], logs: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("connections", "variables", "pools"):
            path = Path(tmp) / f"{kind}.json"
            path.write_text(json.dumps(settings[kind]))
            extra = {"connections": ["--overwrite"], "variables": ["--action-on-existing-key", "overwrite"],
                     "pools": []}[kind]
            airflow([kind, "import", str(path), *extra], env, logs / f"import_{kind}.log")
    say(f"imported {', '.join(f'{len(settings[k])} {k}' for k in ('connections', 'variables', 'pools'))} "
        f"from {SETTINGS_FILE.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / ".airflow", help="AIRFLOW_HOME (kept between runs)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--no-standins", action="store_true", help="use real AWS/GCP/Stripe connections instead")
    args = parser.parse_args(argv)

    home = args.home.resolve()
    logs = home / "logs" / "local"
    logs.mkdir(parents=True, exist_ok=True)
    settings = read_settings()
    env = airflow_env(home, Path(os.environ.get("FINOPS_DATA_DIR", ROOT / "data")).resolve())
    secret_file = home / "jwt_secret"  # all components must sign and verify task tokens alike
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32))
    env.update(
        {
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(args.port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{args.port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{args.port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secret_file.read_text(),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        }
    )

    with ExitStack() as stack:
        if not args.no_standins:
            months = demo_months(date.today())
            say(f"sample data for {', '.join(months)} into the stand-ins")
            start_standins(stack, generate_sample_data(months, 20_000, 400, 120), home,
                           ports=standin_ports(settings),
                           stripe_key=settings["connections"]["stripe_default"]["password"])
        say(f"preparing Airflow in {home}")
        airflow(["db", "migrate"], env, logs / "db_migrate.log")
        import_settings(settings, env, logs)

        commands = {
            "api-server": ["api-server", "-H", "127.0.0.1", "-p", str(args.port)],
            "scheduler": ["scheduler", "--skip-serve-logs"],
            "dag-processor": ["dag-processor"],
            "triggerer": ["triggerer", "--skip-serve-logs"],
        }
        processes = {}
        for name, command in commands.items():
            log = open(logs / f"{name}.log", "a")
            stack.callback(log.close)
            processes[name] = subprocess.Popen([str(Path(sys.executable).parent / "airflow"), *command],
                                               env=env, stdout=log, stderr=subprocess.STDOUT)
            stack.callback(_stop, processes[name])
        say(f"Airflow UI: http://127.0.0.1:{args.port}  (logs: {logs}; Ctrl-C stops everything)")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while all(p.poll() is None for p in processes.values()):
                time.sleep(1)
            failed = [name for name, p in processes.items() if p.poll() is not None]
            say(f"stopped: {', '.join(failed)} exited; see {logs}")
            return 1
        except KeyboardInterrupt:
            say("stopping")
            return 0


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    sys.exit(main())
