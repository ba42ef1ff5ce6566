"""Set up a ClickHouse server for the platform: `make clickhouse-setup` (or `python -m include.clickhouse_admin`).

Applies `include/clickhouse_admin/sql/*.sql` in name order: the databases (the landing database dlt loads into,
`finops_raw`, `finops`), a least-privilege role and user for the loaders (`finops_loader`) and a
read-only role and user for dashboards (`finops_dashboard`). Every statement is idempotent, so it
can run again at any time (it also resets both passwords to the current values).

It needs an account allowed to create databases, roles and users, taken from (first found):

* `CLICKHOUSE_HOST`, `CLICKHOUSE_PORT` (HTTP, default 8123), `CLICKHOUSE_USER`, `CLICKHOUSE_PASSWORD`,
  `CLICKHOUSE_SECURE` (`true` for TLS) environment variables;
* otherwise the Airflow connection `--conn-id` (default `clickhouse_default`), which must then be an
  administrator's, not the loader's.

Passwords never live in git: the SQL holds `{{loader_password}}` and `{{dashboard_password}}`, filled
in from `FINOPS_LOADER_PASSWORD` and `FINOPS_DASHBOARD_PASSWORD` (refused when empty). The landing
database is `--landing-database`, else `FINOPS_LANDING_DATABASE`, else `finops_landing`.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from include import settings

log = logging.getLogger(__name__)

SETUP_DIR = Path(__file__).resolve().parent / "sql"
DEFAULT_LANDING_DATABASE = "finops_landing"
LOADER_USER, DASHBOARD_USER = "finops_loader", "finops_dashboard"
PASSWORD_VARIABLES = {"loader_password": "FINOPS_LOADER_PASSWORD", "dashboard_password": "FINOPS_DASHBOARD_PASSWORD"}
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class SetupError(RuntimeError):
    """The setup cannot run or a statement failed (messages never contain a password)."""


@dataclass(frozen=True)
class Statement:
    source: str  # file and statement number
    template: str  # as written in the file: safe to print
    sql: str  # with the values filled in: may hold a password


def setup_values(env: Mapping[str, str] | None = None, landing_database: str | None = None) -> dict[str, str]:
    """The placeholders' values: passwords from the environment, the landing database name."""
    env = os.environ if env is None else env
    values = {}
    for name, variable in PASSWORD_VARIABLES.items():
        value = env.get(variable, "")
        if not value.strip():
            raise SetupError(f"set {variable} to the password of the ClickHouse user it is for (it must not be empty)")
        values[name] = value
    database = landing_database or env.get("FINOPS_LANDING_DATABASE") or DEFAULT_LANDING_DATABASE
    if not IDENTIFIER.match(database):
        raise SetupError(f"landing database {database!r} is not a plain identifier (letters, digits, underscore)")
    values["landing_database"] = database
    return values


def _sql_string_body(value: str) -> str:
    """`value` escaped for use between single quotes in ClickHouse SQL."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill in `{{name}}` placeholders. Passwords are escaped for string literals; names were validated."""

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise SetupError(f"no value for placeholder {{{{{name}}}}}")
        value = values[name]
        return _sql_string_body(value) if name in PASSWORD_VARIABLES else value

    return PLACEHOLDER.sub(substitute, template)


def setup_files(directory: Path = SETUP_DIR) -> list[Path]:
    files = sorted(directory.glob("*.sql"))
    if not files:
        raise SetupError(f"no setup SQL files in {directory}")
    return files


def split_statements(text: str) -> list[str]:
    """The statements of a SQL file, comments and trailing semicolons removed (as the SQL runner)."""
    from include.transform.statements import split_statements as split

    return split(text)


def statements(values: Mapping[str, str], directory: Path = SETUP_DIR) -> list[Statement]:
    """Every statement of the setup files, in order, split before rendering (comments dropped)."""
    result = []
    for path in setup_files(directory):
        for number, template in enumerate(split_statements(path.read_text()), start=1):
            result.append(Statement(f"{path.name} statement {number}", template, render(template, values)))
    return result


def _redact(text: str, values: Mapping[str, str]) -> str:
    for name in PASSWORD_VARIABLES:
        secret = values.get(name)
        if secret:
            text = text.replace(_sql_string_body(secret), "[hidden]").replace(secret, "[hidden]")
    return text


def apply(client, values: Mapping[str, str], directory: Path = SETUP_DIR) -> int:
    """Run the setup on `client` (clickhouse-connect); stop at the first failure. Returns statements run."""
    todo = statements(values, directory)
    for statement in todo:
        try:
            client.command(statement.sql)
        except Exception as exc:  # clickhouse-connect raises several types; report them alike
            message = _redact(f"{type(exc).__name__}: {exc}", values)
            # `from None`: the original exception's text could echo the statement with its password
            raise SetupError(f"{statement.source} failed: {message}\n--- statement ---\n{statement.template}") from None
        log.info("ran %s", statement.source)
    return len(todo)


def admin_client(env: Mapping[str, str] | None = None, conn_id: str = settings.CLICKHOUSE_CONN_ID):
    """(a clickhouse-connect client, "host:port") for the account that runs the setup (see the module
    docstring), on the database `default`: the landing database may not exist yet."""
    env = os.environ if env is None else env
    if env.get("CLICKHOUSE_HOST"):
        import clickhouse_connect

        secure = env.get("CLICKHOUSE_SECURE", "").strip().lower() in ("1", "true", "yes")
        port = int(env.get("CLICKHOUSE_PORT") or (8443 if secure else 8123))
        client = clickhouse_connect.get_client(host=env["CLICKHOUSE_HOST"], port=port,
                                               username=env.get("CLICKHOUSE_USER") or "default",
                                               password=env.get("CLICKHOUSE_PASSWORD", ""), secure=secure)
        return client, f"{env['CLICKHOUSE_HOST']}:{port}"
    from airflow.providers.clickhousedb.hooks.clickhouse import ClickHouseHook

    hook = ClickHouseHook(clickhouse_conn_id=conn_id, database="default")
    conn = hook.get_connection(conn_id)
    return hook.get_client(), f"{conn.host}:{conn.port or 8123}"


def run(landing_database: str | None = None, conn_id: str = settings.CLICKHOUSE_CONN_ID,
        env: Mapping[str, str] | None = None) -> int:
    """Validate the values, connect, apply. Returns the number of statements run."""
    values = setup_values(env, landing_database)  # fail on missing passwords before connecting
    client, server = admin_client(env, conn_id)
    try:
        count = apply(client, values)
    finally:
        client.close()
    log.info(
        "ClickHouse %s set up: databases %s, finops_raw, finops; users %s, %s (%d statements)",
        server, values["landing_database"], LOADER_USER, DASHBOARD_USER, count,
    )
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing-database", help="database dlt loads into (default: $FINOPS_LANDING_DATABASE "
                                                   f"or {DEFAULT_LANDING_DATABASE})")
    parser.add_argument("--conn-id", default=settings.CLICKHOUSE_CONN_ID,
                        help="Airflow connection of an administrator, used when CLICKHOUSE_HOST is not set")
    parser.add_argument("--print", action="store_true", help="print the statements (passwords hidden), run nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.print:
            values = setup_values(landing_database=args.landing_database)
            for statement in statements(values):
                print(f"-- {statement.source}\n{_redact(statement.sql, values)};")
            return 0
        run(args.landing_database, args.conn_id)
    except SetupError as exc:
        print(f"clickhouse setup failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
