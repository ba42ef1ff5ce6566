"""include/clickhouse.py: both destinations through the official provider's hook, told apart only by
their connection; the embedded engine holds its folder's lock while a client is open."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from include.clickhouse import clickhouse_client, dlt_credentials, embedded_folder, hook_for

ROOT = Path(__file__).resolve().parents[2]
TAKE_LOCK = """
import sys
from pathlib import Path
from include.locks import PipelineBusyError, exclusive_lock
try:
    with exclusive_lock(Path(sys.argv[1]), "probe", timeout_seconds=0.2):
        print("taken")
except PipelineBusyError:
    print("busy")
"""


def other_process_takes_lock(path: Path) -> str:
    result = subprocess.run([sys.executable, "-c", TAKE_LOCK, str(path)], capture_output=True, text=True,
                            cwd=ROOT, timeout=60, check=True)
    return result.stdout.strip()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AIRFLOW_CONN_CLICKHOUSE_EMBEDDED", raising=False)
    return tmp_path


def embedded_connection(folder) -> str:
    return json.dumps({"conn_type": "clickhouse", "extra": {"client_kwargs": {"dsn": f"chdb://{folder}"}}})


def test_without_a_connection_the_embedded_engine_lives_under_the_data_folder(data_dir):
    from airflow.providers.clickhousedb.hooks.clickhouse import ClickHouseHook

    hook = hook_for("filesystem")
    assert isinstance(hook, ClickHouseHook) and embedded_folder(hook) == data_dir / "chdb"
    client = clickhouse_client("filesystem")
    try:
        assert type(client).__name__ == "ChdbClient"
        client.command("CREATE DATABASE IF NOT EXISTS probe")
        client.command("CREATE TABLE probe.t (a Int32) ENGINE = MergeTree ORDER BY a")
        client.command("INSERT INTO probe.t VALUES (1), (2)")
        assert client.query("SELECT sum(a) FROM probe.t").result_rows == [(3,)]
        # one process at a time on the folder: the lock is held while the client is open
        assert (data_dir / "chdb.lock").read_text().startswith(f"pid {os.getpid()} ")
        assert other_process_takes_lock(data_dir / "chdb.lock") == "busy"
    finally:
        client.close()
    assert other_process_takes_lock(data_dir / "chdb.lock") == "taken"  # released by close()
    assert (data_dir / "chdb").is_dir()


def test_the_embedded_connection_names_the_folder(data_dir, monkeypatch):
    folder = data_dir / "elsewhere" / "chdb"
    monkeypatch.setenv("AIRFLOW_CONN_CLICKHOUSE_EMBEDDED", embedded_connection(folder))
    client = clickhouse_client("filesystem")
    try:
        assert client.query("SELECT 1").result_rows == [(1,)]
    finally:
        client.close()
    assert folder.is_dir() and not (data_dir / "chdb").exists()


def test_a_dsn_without_a_folder_is_refused(data_dir, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_CLICKHOUSE_EMBEDDED", embedded_connection(""))
    with pytest.raises(ValueError, match="names no folder"):
        clickhouse_client("filesystem")


def test_the_server_destination_uses_clickhouse_default_for_the_hook_and_dlt(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_CLICKHOUSE_DEFAULT", json.dumps({
        "conn_type": "clickhouse", "host": "ch.example.com", "port": 8443, "login": "finops_loader",
        "password": "pw", "schema": "finops_landing", "extra": {"secure": True, "native_port": 9440}}))
    hook = hook_for("clickhouse")
    assert hook.get_conn_id() == "clickhouse_default" and embedded_folder(hook) is None
    kwargs = hook._get_client_kwargs()  # what the provider hands clickhouse_connect.get_client
    assert (kwargs["host"], kwargs["port"], kwargs["database"], kwargs["secure"]) == (
        "ch.example.com", 8443, "finops_landing", True)
    assert dlt_credentials() == {"host": "ch.example.com", "port": 9440, "http_port": 8443, "username": "finops_loader",
                                 "password": "pw", "database": "finops_landing", "secure": 1}
    with pytest.raises(ValueError, match="unknown destination"):
        hook_for("duckdb")
