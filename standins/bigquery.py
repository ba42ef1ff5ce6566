"""Local BigQuery stand-in: the `bqemulator` package (REST + gRPC, DuckDB-backed) as a subprocess.

bqemulator runs `INSTALL spatial; LOAD spatial` in DuckDB at startup and fails without it. The
extension cannot be downloaded here, so before starting the emulator we install the copy shipped in
the pinned `duckdb-extension-spatial` wheel into a private HOME (`$HOME/.duckdb/extensions/...`);
DuckDB's `INSTALL` is then a no-op and `LOAD` finds the file. The best-effort Avro extension (which
would try the network) is switched off with `BQEMU_ENABLE_FORMAT_EXTENSIONS=false`.

    with BigQueryEmulator() as bq:
        client = bq.client()

CLI (foreground until killed, used by `make airflow`):

    python -m standins.bigquery --port 9050 --project finops-demo [--seed]

`--seed` creates dataset `billing_export` with sample standard and detailed Cloud Billing export
tables and the CUD metadata export `cud_subscriptions_export` (standins.sample_data.gcp). The emulator is ephemeral (in memory): data lives as long as the
process.

Known differences from BigQuery that matter here: ingestion-time partitioning is accepted but
`_PARTITIONTIME` / `_PARTITIONDATE` are rewritten to the current time (every row is in "today's"
partition, so partition filters are accepted and are true for past dates); only the bare
pseudo-column is rewritten (`t._PARTITIONTIME` fails, `_PARTITIONTIME` works); query jobs report 0
bytes processed; TO_JSON_STRING of an anonymous STRUCT drops the field names.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from standins.ports import free_port, wait_for_http

DEFAULT_PROJECT = "finops-demo"


def install_spatial_extension(home: str | Path) -> Path:
    """Install DuckDB's spatial extension from the pinned wheel into `<home>/.duckdb/extensions`."""
    import duckdb
    from duckdb_extensions import import_extension

    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"SET home_directory = '{home.as_posix()}'")
        con.execute(f"SET extension_directory = '{(home / '.duckdb' / 'extensions').as_posix()}'")
        import_extension("spatial", con=con)
        con.execute("LOAD spatial")
    finally:
        con.close()
    return home / ".duckdb" / "extensions"


def _bqemulator_command() -> list[str]:
    exe = Path(sys.executable).with_name("bqemulator")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "import sys; from bqemulator.cli import main; sys.exit(main())"]


class BigQueryEmulator:
    """A bqemulator subprocess on 127.0.0.1 with its own temporary HOME (ephemeral, in-memory)."""

    def __init__(
        self,
        project: str = DEFAULT_PROJECT,
        port: int | None = None,
        grpc_port: int | None = None,
        startup_timeout: float = 90.0,
        log_path: str | Path | None = None,
    ):
        self.project = project
        self.port = port
        self.grpc_port = grpc_port
        self.startup_timeout = startup_timeout
        self.log_path = Path(log_path) if log_path else None
        self.process: subprocess.Popen | None = None
        self._home: str | None = None
        self._log_file = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BigQueryEmulator:
        if self.process is not None:
            return self
        self.port = self.port or free_port()
        self.grpc_port = self.grpc_port or free_port()
        self._home = tempfile.mkdtemp(prefix="bqemulator-home-")
        install_spatial_extension(self._home)
        env = dict(os.environ)
        env.update(
            {
                "HOME": self._home,
                "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false",
                "BQEMU_LOG_LEVEL": env.get("BQEMU_LOG_LEVEL", "warning"),
            }
        )
        env.pop("BIGQUERY_EMULATOR_HOST", None)
        log_path = self.log_path or Path(self._home) / "bqemulator.log"
        self._log_file = open(log_path, "ab")
        cmd = _bqemulator_command() + [
            "start",
            "--rest-host",
            "127.0.0.1",
            "--rest-port",
            str(self.port),
            "--grpc-host",
            "127.0.0.1",
            "--grpc-port",
            str(self.grpc_port),
            "--ephemeral",
            "--project",
            self.project,
        ]
        self.process = subprocess.Popen(
            cmd,
            cwd=self._home,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_http(f"{self.endpoint}/healthz", timeout=self.startup_timeout, process=self.process)
            self._wait_ready()
        except Exception as exc:
            tail = self._log_tail(log_path)
            self.stop()
            raise RuntimeError(f"bqemulator did not start: {exc}\n{tail}") from exc
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.endpoint}/readyz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"bqemulator exited with code {self.process.returncode}")
            time.sleep(0.2)
        raise TimeoutError(f"{self.endpoint}/readyz not ready within {self.startup_timeout:.0f}s")

    @staticmethod
    def _log_tail(path: Path, size: int = 4000) -> str:
        try:
            return path.read_bytes()[-size:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

    def client(self):
        """A real google-cloud-bigquery client pointed at the emulator (anonymous credentials)."""
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.endpoint),
        )

    def __enter__(self) -> BigQueryEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def seed_sample_billing(client, months: list[str], rows_per_month: int = 400) -> list[str]:
    """Seed the standard and detailed sample billing export tables and the CUD metadata export beside them;
    returns their table ids."""
    from standins.sample_data import gcp

    ids = []
    for detailed, table in ((False, gcp.STANDARD_TABLE), (True, gcp.DETAILED_TABLE)):
        rows = gcp.generate_billing_rows(months, rows_per_month=rows_per_month, detailed=detailed)
        ids.append(gcp.seed_bigquery(client, gcp.DATASET, table, rows))
        print(f"seeded {len(rows)} rows into {ids[-1]}", flush=True)
    commitments = gcp.generate_cud_subscription_rows(months)
    ids.append(gcp.seed_cud_table(client, gcp.DATASET, commitments))
    print(f"seeded {len(commitments)} commitments into {ids[-1]}", flush=True)
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run bqemulator on 127.0.0.1 until killed.")
    parser.add_argument("--port", type=int, default=9050, help="REST port (default 9050)")
    parser.add_argument("--grpc-port", type=int, default=None, help="gRPC port (default: a free port)")
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    parser.add_argument(
        "--seed",
        action="store_true",
        help="create dataset billing_export with sample standard and detailed billing export tables and a CUD "
        "metadata export",
    )
    parser.add_argument("--seed-months", default="2026-08,2026-09,2026-10", help="months to seed (comma separated)")
    parser.add_argument("--seed-rows", type=int, default=400, help="rows per month to seed")
    args = parser.parse_args(argv)

    emulator = BigQueryEmulator(project=args.project, port=args.port, grpc_port=args.grpc_port)
    stopping = False

    def _stop(signum, frame):  # noqa: ARG001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    emulator.start()
    if args.seed:
        seed_sample_billing(emulator.client(), args.seed_months.split(","), args.seed_rows)
    print(f"bqemulator ready at {emulator.endpoint} (project {emulator.project})", flush=True)
    try:
        while not stopping and emulator.process is not None and emulator.process.poll() is None:
            time.sleep(0.5)
    finally:
        code = emulator.process.returncode if emulator.process is not None else 0
        emulator.stop()
    return 0 if stopping else (code or 1)


if __name__ == "__main__":
    sys.exit(main())
