"""Airflow hook for ClickHouse through clickhouse-connect: a server, or the embedded engine (chdb).

The server's address and credentials come from an Airflow connection (default `clickhouse_default`):
host, port (HTTP interface, 8123 or 8443), login, password, schema (database), and extra
`{"secure": true}` for TLS. The embedded engine needs no connection: it keeps its tables under a
local folder and is what the default `filesystem` destination uses.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk.bases.hook import BaseHook


class ClickHouseHook(BaseHook):
    conn_name_attr = "clickhouse_conn_id"
    default_conn_name = "clickhouse_default"
    conn_type = "clickhouse"
    hook_name = "ClickHouse"

    def __init__(self, clickhouse_conn_id: str = default_conn_name, embedded_path: str | None = None):
        super().__init__()
        self.clickhouse_conn_id = clickhouse_conn_id
        self.embedded_path = embedded_path

    def connection_params(self) -> dict[str, Any]:
        """Keyword arguments for clickhouse_connect.get_client, from the Airflow connection."""
        conn = self.get_connection(self.clickhouse_conn_id)
        secure = str(conn.extra_dejson.get("secure", False)).lower() in ("1", "true", "yes")
        return {
            "host": conn.host or "localhost",
            "port": int(conn.port or (8443 if secure else 8123)),
            "username": conn.login or "default",
            "password": conn.password or "",
            "database": conn.schema or "default",
            "secure": secure,
        }

    def dlt_credentials(self) -> dict[str, Any]:
        """Credentials for dlt's clickhouse destination (it loads over the native protocol).

        The native port defaults to 9000 (9440 with TLS); set extra `native_port` to override.
        """
        params = self.connection_params()
        extra = self.get_connection(self.clickhouse_conn_id).extra_dejson
        return {
            "host": params["host"],
            "port": int(extra.get("native_port", 9440 if params["secure"] else 9000)),
            "http_port": params["port"],
            "username": params["username"],
            "password": params["password"],
            "database": params["database"],
            "secure": int(params["secure"]),
        }

    def get_conn(self):
        """A clickhouse-connect client: chdb when `embedded_path` is set, else the server."""
        import clickhouse_connect

        if self.embedded_path:
            return clickhouse_connect.get_client(dsn=f"chdb://{self.embedded_path}")
        return clickhouse_connect.get_client(**self.connection_params())

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": [],
            "relabeling": {"schema": "Database", "port": "HTTP port"},
            "placeholders": {"host": "clickhouse.example.com", "port": "8443", "extra": '{"secure": true}'},
        }
