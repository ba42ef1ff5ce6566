"""The ClickHouse client of the transformations: chdb under the data dir, or the server.

Kept apart so that it can be swapped for the official Airflow ClickHouse provider's hook.
"""

from __future__ import annotations

from include import settings


def clickhouse_client(destination: str | None = None, clickhouse_conn_id: str = settings.CLICKHOUSE_CONN_ID):
    """A clickhouse-connect client: chdb under the data dir (filesystem) or the server (clickhouse)."""
    import sys

    plugins = str(settings.PROJECT_ROOT / "plugins")
    if plugins not in sys.path:  # Airflow puts plugins/ on sys.path; scripts and tests may not
        sys.path.append(plugins)
    from finops_clickhouse import ClickHouseHook

    destination = destination or settings.destination_name()
    if destination == "filesystem":
        settings.chdb_dir().mkdir(parents=True, exist_ok=True)
        return embedded_client(ClickHouseHook(embedded_path=str(settings.chdb_dir())))
    return ClickHouseHook(clickhouse_conn_id).get_conn()


def embedded_client(hook):
    """The chdb client of `hook`, holding the folder's lock until `close()`: the embedded engine
    opens a folder in one process at a time (a second one fails with `Error initializing
    EmbeddedServer`), so SQL tasks outside the `finops_sql` pool wait for each other instead."""
    from include.locks import exclusive_lock

    lock = exclusive_lock(settings.data_dir() / "chdb.lock", f"embedded ClickHouse database {settings.chdb_dir()}")
    lock.__enter__()
    try:
        client = hook.get_conn()
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
