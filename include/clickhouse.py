"""clickhouse-connect clients for both destinations, through the official Airflow ClickHouse hook
(apache-airflow-providers-clickhousedb, connection type `clickhouse`).

The two destinations differ only in their connection:

* `clickhouse`: a server, connection `clickhouse_default` (host, HTTP port, login, password, schema =
  the database dlt loads into; extra `{"secure": true}` for TLS, `native_port` for dlt's loads);
* `filesystem`: the embedded engine (chdb), connection `clickhouse_embedded`, whose extra
  `{"client_kwargs": {"dsn": "chdb:///<folder>"}}` makes clickhouse-connect open chdb on that folder.
  Without that connection (the demo's tests, scripts) the folder is `<FINOPS_DATA_DIR>/chdb`.

chdb opens a folder in one process at a time (a second one fails with `Error initializing
EmbeddedServer`), so an embedded client holds a file lock on its folder until `close()`: SQL tasks
outside the `finops_sql` pool, and scripts, wait for each other instead.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from include import settings

EMBEDDED_SCHEME = "chdb"


def hook_for(destination: str | None = None, conn_id: str | None = None):
    """The ClickHouse hook of a destination (`filesystem`: embedded, `clickhouse`: the server);
    `conn_id` overrides the destination's connection."""
    from airflow.providers.clickhousedb.hooks.clickhouse import ClickHouseHook

    destination = destination or settings.destination_name()
    if destination not in settings.DESTINATIONS:
        raise ValueError(f"unknown destination {destination!r}; expected one of {settings.DESTINATIONS}")
    if conn_id is None:
        conn_id = settings.EMBEDDED_CLICKHOUSE_CONN_ID if destination == "filesystem" else settings.CLICKHOUSE_CONN_ID
    hook = ClickHouseHook(clickhouse_conn_id=conn_id)
    if destination == "filesystem" and conn_id == settings.EMBEDDED_CLICKHOUSE_CONN_ID and not _defined(conn_id):
        # Not configured in Airflow: the embedded database next to the raw data (settings.chdb_dir()).
        default = default_embedded_connection()
        hook.get_connection = lambda _conn_id: default  # the hook looks its connection up by id
    return hook


def _defined(conn_id: str) -> bool:
    from airflow.sdk.bases.hook import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return False
    return True


def default_embedded_connection():
    """The `clickhouse_embedded` connection used when none is defined: chdb under the data folder."""
    from airflow.sdk import Connection

    return Connection(conn_id=settings.EMBEDDED_CLICKHOUSE_CONN_ID, conn_type="clickhouse",
                      extra=json.dumps({"client_kwargs": {"dsn": f"{EMBEDDED_SCHEME}://{settings.chdb_dir()}"}}))


def embedded_folder(hook) -> Path | None:
    """The chdb folder a hook's connection names (`client_kwargs.dsn` = `chdb:///<folder>`), or None
    when it is not an embedded connection."""
    client_kwargs = hook.get_connection(hook.get_conn_id()).extra_dejson.get("client_kwargs") or {}
    if isinstance(client_kwargs, str):
        client_kwargs = json.loads(client_kwargs)
    dsn = client_kwargs.get("dsn") or ""
    parsed = urlparse(dsn)
    if parsed.scheme != EMBEDDED_SCHEME:
        return None
    folder = (parsed.netloc + parsed.path) if parsed.netloc else parsed.path
    if not folder:
        raise ValueError(f"connection {hook.get_conn_id()!r}: dsn {dsn!r} names no folder (chdb:///<folder>)")
    return Path(folder)


def clickhouse_client(destination: str | None = None, conn_id: str | None = None):
    """A clickhouse-connect client for `destination` (default: the `finops_destination` Variable):
    chdb for `filesystem`, the server for `clickhouse`. An embedded client holds its folder's lock
    until `close()`."""
    hook = hook_for(destination, conn_id)
    folder = embedded_folder(hook)
    if folder is None:
        return hook.get_client()
    folder.mkdir(parents=True, exist_ok=True)
    return _locked_client(hook, folder)


class _HookArgumentsOnChdb(logging.Filter):
    """The provider's hook always passes host, port and user; for a `chdb://` dsn clickhouse-connect
    warns that it ignores them, on every client. They are the hook's, not the user's: drop that one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Ignoring arguments with no chdb meaning")


def _locked_client(hook, folder: Path):
    from include.locks import exclusive_lock

    driver_log = logging.getLogger("clickhouse_connect.driver")
    if not any(isinstance(f, _HookArgumentsOnChdb) for f in driver_log.filters):
        driver_log.addFilter(_HookArgumentsOnChdb())

    lock = exclusive_lock(folder.with_name(folder.name + ".lock"), f"embedded ClickHouse database {folder}")
    lock.__enter__()
    try:
        client = hook.get_client()
    except BaseException:
        lock.__exit__(None, None, None)
        raise
    close, open_ = client.close, [True]

    def close_and_unlock() -> None:
        try:
            close()
        finally:
            if open_:
                open_.clear()
                lock.__exit__(None, None, None)

    client.close = close_and_unlock
    return client


def server_database(conn_id: str = settings.CLICKHOUSE_CONN_ID) -> str:
    """The database of a server connection (its schema): where dlt loads the raw tables."""
    from airflow.providers.clickhousedb.hooks.clickhouse import ClickHouseHook

    return ClickHouseHook.get_connection(conn_id).schema or "default"


def dlt_credentials(conn_id: str = settings.CLICKHOUSE_CONN_ID) -> dict[str, Any]:
    """Credentials for dlt's clickhouse destination, from the server connection. dlt loads over the
    native protocol: its port is extra `native_port` (default 9000, 9440 with TLS)."""
    from airflow.providers.clickhousedb.hooks.clickhouse import ClickHouseHook

    conn = ClickHouseHook.get_connection(conn_id)
    extra = conn.extra_dejson
    secure = bool(extra.get("secure", False))  # as the hook reads it
    return {
        "host": conn.host or "localhost",
        "port": int(extra.get("native_port", 9440 if secure else 9000)),
        "http_port": int(conn.port) if conn.port else 8123,
        "username": conn.login or "default",
        "password": conn.password or "",
        "database": conn.schema or "default",
        "secure": int(secure),
    }
