"""Run the SQL files of `include/sql` on ClickHouse: the server, or chdb over local parquet.

The SQL reads raw data only through views in the `finops_raw` database, named
`<dataset>__<table>` (for example `finops_raw.aws_costs__cur_line_items`). This module creates those
views for the active destination, which is the only place the two modes differ:

* filesystem: `file('<data>/raw/<dataset>/<table>/*.parquet', Parquet)` on chdb;
* clickhouse: the tables dlt loaded (`<database>.<dataset>___<table>`) on the server.

Every other statement is the same ClickHouse SQL in both modes. SQL files are Jinja2 templates
(StrictUndefined) rendered with the configuration of the Airflow Variable `finops_sql_config`, the
periods to rebuild and the columns of the raw views; see include/sql/README.md.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from include import settings

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent / "sql"
SEEDS_DIR = SQL_DIR / "seeds"
DLT_TABLE_SEPARATOR = "___"
RAW_FILE_FORMATS = {".parquet": "Parquet", ".jsonl": "JSONEachRow"}
PROVIDERS = ("aws", "gcp", "stripe")

CONFIG_VARIABLE = settings.SQL_CONFIG_VARIABLE
DEFAULT_CONFIG: dict[str, Any] = {
    # Tag / label keys flattened into `tag_<name>` columns and rolled up per day. A list of raw keys
    # (the column name is the key without a `user:` prefix, non [a-z0-9_] characters as `_`), or an
    # object {column name: raw key}.
    "tag_keys": {
        "aws": ["user:team", "user:environment"],
        "gcp": ["team", "env", "app"],
    },
    # Currency the unit economics are reported in; every amount is converted with finops.fx_rates.
    "reporting_currency": "USD",
    # Rate overrides on top of include/sql/seeds/fx_rates.csv: [{"month": "2026-09", "currency": "EUR",
    # "rate_to_usd": "1.1712"}]; one rate per currency and month (value of one unit in USD).
    "fx_rates": [],
    "anomaly": {
        "min_history_days": 14,  # days of history a series needs before it can be flagged
        "min_pct_change": 0.5,  # actual at least 50 % above the trailing 14-day mean ...
        "min_abs_change": 10,  # ... and at least this much above it (in the row's currency) ...
        "z_score": 3,  # ... and this many standard deviations above the trailing 28-day mean
    },
    "forecast": {"min_trend_days": 5},  # fewer elapsed days: run rate only
}

PERIOD = re.compile(r"^(\d{4})-?(0[1-9]|1[0-2])$")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
CURRENCY = re.compile(r"^[A-Za-z]{3}$")
DDL_COLUMN = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s+(.+?),?\s*$", re.MULTILINE)


class SqlFileError(RuntimeError):
    """A statement of a SQL file failed; the message names the file and the statement."""


class MissingRawDataError(RuntimeError):
    """A provider's SQL ran before its load task had landed any raw data (a first install)."""


class SqlConfigError(ValueError):
    """The SQL configuration (Variable `finops_sql_config`, periods, seeds) is invalid."""


@dataclass(frozen=True)
class RawTable:
    dataset: str
    table: str
    source_sql: str  # a table expression that reads the raw data

    @property
    def view_name(self) -> str:
        return f"{settings.RAW_DATABASE}.{self.dataset}__{self.table}"


def quote_string(value: str) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def identifier(name: str) -> str:
    """`name` if it is a safe lower-case SQL identifier, else SqlConfigError."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise SqlConfigError(f"{name!r} is not a valid column name (lower case letters, digits, _)")
    return name


def sql_literal(value: Any) -> str:
    """A ClickHouse literal for a Python value (strings quoted and escaped, numbers checked)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, Decimal)):
        return str(Decimal(str(value)))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(sql_literal(v) for v in value) + "]"
    return quote_string(str(value))


# ------------------------------------------------------------------------------------ raw views
def discover_raw_tables_on_filesystem(raw_dir: Path) -> list[RawTable]:
    """Tables dlt wrote as files: `<raw>/<dataset>/<table>/[<partition>/]*.<ext>`."""
    tables = []
    for dataset_dir in sorted(p for p in raw_dir.glob("*") if p.is_dir()):
        for table_dir in sorted(p for p in dataset_dir.glob("*") if p.is_dir()):
            for extension, file_format in RAW_FILE_FORMATS.items():
                if any(table_dir.rglob(f"*{extension}")):
                    # `**/` matches any depth (zero included) in ClickHouse globs: every partition folder.
                    pattern = quote_string(str(table_dir / "**" / f"*{extension}"))
                    source = f"file({pattern}, {file_format})"
                    tables.append(RawTable(dataset_dir.name, table_dir.name, source))
                    break
    return tables


def discover_raw_tables_on_server(client, database: str) -> list[RawTable]:
    """Tables dlt loaded into `database` as `<dataset>___<table>`."""
    rows = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE {pattern:String}",
        parameters={"db": database, "pattern": f"%{DLT_TABLE_SEPARATOR}%"},
    ).result_rows
    tables = []
    for (name,) in rows:
        dataset, _, table = name.partition(DLT_TABLE_SEPARATOR)
        tables.append(RawTable(dataset, table, f"`{database}`.`{name}`"))
    return tables


def attach_raw_views(client, raw_tables: Iterable[RawTable]) -> list[str]:
    """(Re)create one view per raw table in `finops_raw`; returns the view names."""
    client.command(f"CREATE DATABASE IF NOT EXISTS {settings.RAW_DATABASE}")
    names = []
    for raw in raw_tables:
        # Files written across schema changes (a new column in a later month) are read as the
        # union of their schemas; missing columns read as NULL/default.
        statement = (
            f"CREATE OR REPLACE VIEW {raw.view_name} AS SELECT * FROM {raw.source_sql}"
            + (" SETTINGS schema_inference_mode = 'union'" if raw.source_sql.startswith("file(") else "")
        )
        execute(client, statement, source="raw views")
        names.append(raw.view_name)
    return names


def raw_columns(client) -> dict[str, dict[str, str]]:
    """Columns (name -> type) of every view in `finops_raw`, keyed `<dataset>__<table>`."""
    rows = client.query(
        "SELECT table, name, type FROM system.columns WHERE database = {db:String} ORDER BY table, position",
        parameters={"db": settings.RAW_DATABASE},
    ).result_rows
    columns: dict[str, dict[str, str]] = {}
    for table, name, type_ in rows:
        columns.setdefault(table, {})[name] = type_
    return columns


# --------------------------------------------------------------------------------- configuration
def tag_columns(keys: Any, provider: str) -> list[tuple[str, str]]:
    """[(column suffix, raw key)] from the configured keys of a provider (list or object)."""
    if isinstance(keys, Mapping):
        pairs = [(str(name), str(key)) for name, key in keys.items()]
    elif isinstance(keys, (list, tuple)):
        pairs = []
        for key in keys:
            name = re.sub(r"[^a-z0-9_]", "_", re.sub(r"^user:", "", str(key)).lower()).strip("_")
            pairs.append((name, str(key)))
    else:
        raise SqlConfigError(f"tag_keys.{provider} must be a list of keys or an object, got {keys!r}")
    names = [identifier(name) for name, _ in pairs]
    if len(set(names)) != len(names):
        raise SqlConfigError(f"tag_keys.{provider} gives two keys the same column name: {names}")
    return pairs


def normalize_period(value: Any) -> str:
    match = PERIOD.match(str(value).strip())
    if not match:
        raise SqlConfigError(f"period {value!r} must be YYYY-MM (or YYYYMM)")
    return f"{match.group(1)}-{match.group(2)}"


def normalize_periods(periods: Any) -> list[str] | None:
    """None (rebuild everything) or the sorted months (`YYYY-MM`) to rebuild.

    Accepts a list of `YYYY-MM` / `YYYYMM` strings, a comma separated string, or the AWS load task's
    return value {billing_period: rows loaded} (periods with 0 rows were unchanged and are skipped).
    """
    if periods is None:
        return None
    if isinstance(periods, Mapping):
        periods = [period for period, rows in periods.items() if rows]
    elif isinstance(periods, str):
        periods = [p for p in periods.split(",") if p.strip()]
    return sorted({normalize_period(p) for p in periods})


# finops.fx_rates holds rates as Decimal(38, 10), and amounts are multiplied by them: a rate that
# rounds to 0 at 10 decimals would turn every amount into 0 (or a division by zero), and one above
# this bound (no currency unit is worth a million USD) would overflow the products.
FX_RATE_SCALE = Decimal("1e-10")
FX_RATE_MAX = Decimal("1e6")


def _decimal(value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise SqlConfigError(f"{what}: {value!r} is not a number") from exc
    if not number.is_finite() or number <= 0:
        raise SqlConfigError(f"{what}: {value!r} must be a positive number")
    if number > FX_RATE_MAX:
        raise SqlConfigError(f"{what}: {value!r} is above {FX_RATE_MAX:,f} USD per unit and would overflow amounts")
    if number.quantize(FX_RATE_SCALE) == 0:
        raise SqlConfigError(f"{what}: {value!r} rounds to 0 at the 10 decimals rates are kept with (underflow)")
    return number


def fx_rates(overrides: Iterable[Mapping] = (), seed: Path = SEEDS_DIR / "fx_rates.csv") -> list[tuple[str, str, str]]:
    """(month, CURRENCY, rate_to_usd) rows: the seed file, then the overrides (same month+currency wins)."""
    rates: dict[tuple[str, str], Decimal] = {}

    def add(row: Mapping, where: str) -> None:
        currency = str(row.get("currency", "")).strip()
        if not CURRENCY.match(currency):
            raise SqlConfigError(f"{where}: currency {currency!r} is not an ISO 4217 code")
        month = normalize_period(row.get("month", ""))
        rates[(month, currency.upper())] = _decimal(row.get("rate_to_usd"), f"{where} {month} {currency}")

    if seed.exists():
        with seed.open(newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                add(row, f"{seed.name} line {number}")
    for row in overrides or ():
        if not isinstance(row, Mapping):
            raise SqlConfigError(f"fx_rates overrides must be objects, got {row!r}")
        add(row, f"Variable {CONFIG_VARIABLE} fx_rates")
    rates.setdefault(("1970-01", "USD"), Decimal(1))
    return [(month, currency, str(rate)) for (month, currency), rate in sorted(rates.items())]


def service_categories(seed: Path = SEEDS_DIR / "service_categories.csv") -> list[tuple[str, str, str, str]]:
    """(provider, service, ServiceCategory, ServiceSubcategory) rows of the seed file."""
    with seed.open(newline="") as handle:
        return [(r["provider"], r["service"], r["service_category"], r["service_subcategory"])
                for r in csv.DictReader(handle)]


def _number(section: Mapping, key: str, defaults: Mapping) -> float:
    value = section.get(key, defaults[key])
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise SqlConfigError(f"{key}: {value!r} is not a number") from exc
    if number < 0:
        raise SqlConfigError(f"{key}: {value!r} must not be negative")
    return number


def sql_config(overrides: Mapping | None = None) -> dict:
    """The validated SQL configuration: defaults, the Airflow Variable, then `overrides` (tests)."""
    if overrides is None:
        config = settings.variable_json(CONFIG_VARIABLE, DEFAULT_CONFIG)
    else:
        config = {**DEFAULT_CONFIG, **overrides}
    tag_keys = {**DEFAULT_CONFIG["tag_keys"], **(config.get("tag_keys") or {})}
    currency = str(config.get("reporting_currency") or "USD")
    if not CURRENCY.match(currency):
        raise SqlConfigError(f"reporting_currency {currency!r} is not an ISO 4217 code")
    anomaly_defaults, forecast_defaults = DEFAULT_CONFIG["anomaly"], DEFAULT_CONFIG["forecast"]
    anomaly = {**anomaly_defaults, **(config.get("anomaly") or {})}
    forecast = {**forecast_defaults, **(config.get("forecast") or {})}
    return {
        "tags": {provider: tag_columns(tag_keys.get(provider) or [], provider) for provider in ("aws", "gcp")},
        "reporting_currency": currency.upper(),
        "fx_rates": fx_rates(config.get("fx_rates") or []),
        "service_categories": service_categories(),
        "anomaly": {key: _number(anomaly, key, anomaly_defaults) for key in anomaly_defaults},
        "forecast": {key: _number(forecast, key, forecast_defaults) for key in forecast_defaults},
    }


# ------------------------------------------------------------------------------------- templates
def template_environment(context: dict):
    """A Jinja2 environment over include/sql with the helpers and the macros of `macros.jinja`."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(SQL_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    columns = context["raw_columns"]

    def has_column(view: str, column: str) -> bool:
        return column in columns.get(view, {})

    def column_or(view: str, column: str, default: str) -> str:
        """The raw column when the view has it, else `default` (SQL text): optional CUR/export columns."""
        return f"`{column}`" if has_column(view, column) else default

    def in_periods(expression: str) -> str:
        periods = context["periods"]
        if periods is None:
            return "1 = 1"
        return f"{expression} IN ({', '.join(quote_string(p) for p in periods)})" if periods else "1 = 0"

    env.globals.update(
        lit=sql_literal,
        ident=identifier,
        has_column=has_column,
        column_or=column_or,
        in_periods=in_periods,
        **context,
    )
    env.globals.update(
        {name: getattr(env.get_template("macros.jinja").module, name)
         for name in ("rebuild", "money", "mul_money", "div_money", "mul_div", "focus_unit", "tag_map", "tag_key_norm", "aws_tag_value", "aws_charge_category", "gcp_charge_category",
                      "stripe_current", "monthly")}
    )
    ddl = env.get_template("ddl.jinja").module
    env.globals["ddl"] = ddl

    def ddl_columns(name: str) -> list[tuple[str, str]]:
        """[(column, type)] of a table in ddl.jinja (one column per line inside the parentheses)."""
        body = str(getattr(ddl, name)())
        inside = body[body.index("(") + 1: body.rindex(")\nENGINE")]
        return [(m.group(1), m.group(2)) for m in DDL_COLUMN.finditer(inside)]

    env.globals["ddl_columns"] = ddl_columns
    return env


def render(env, path: Path) -> str:
    relative = path.relative_to(SQL_DIR).as_posix()
    try:
        return env.get_template(relative).render()
    except Exception as exc:  # template errors name the file like SQL errors do
        raise SqlFileError(f"include/sql/{relative}: template error: {type(exc).__name__}: {exc}") from exc


def sql_files(*folders: str) -> list[Path]:
    """The `.sql` files of each folder of include/sql, in name order, folders in the order given."""
    files = []
    for folder in folders:
        directory = SQL_DIR / folder
        if not directory.is_dir():
            raise FileNotFoundError(f"no SQL folder {directory}")
        files.extend(sorted(directory.glob("*.sql")))
    return files


def split_statements(text: str) -> list[str]:
    import sqlparse

    statements = []
    for statement in sqlparse.split(text):
        body = sqlparse.format(statement, strip_comments=True).strip().rstrip(";").strip()
        if body:
            statements.append(body)
    return statements


def execute(client, statement: str, source: str) -> None:
    try:
        client.command(statement)
    except Exception as exc:  # clickhouse-connect raises several types; all are reported the same way
        raise SqlFileError(f"{source}: {type(exc).__name__}: {exc}\n--- statement ---\n{statement}") from exc


def run_sql_files(client, files: Iterable[Path], env=None) -> int:
    """Render (when `env` is given) and run every statement of every file in order; stop at the first
    failure. Returns the number of statements run."""
    count = 0
    for path in files:
        relative = path.relative_to(SQL_DIR.parent.parent) if path.is_relative_to(SQL_DIR.parent.parent) else path
        text = render(env, path) if env is not None else path.read_text()
        statements = split_statements(text)
        log.info("running %s (%d statements)", relative, len(statements))
        for number, statement in enumerate(statements, start=1):
            execute(client, statement, source=f"{relative} statement {number}")
            count += 1
    return count


# One client factory for every module: include/clickhouse.py (the official provider's hook).
from include.clickhouse import clickhouse_client  # noqa: E402,F401 - callers import it from here


def refresh_raw_views(client, destination: str, clickhouse_conn_id: str = settings.CLICKHOUSE_CONN_ID) -> list[str]:
    if destination == "filesystem":
        raw_tables = discover_raw_tables_on_filesystem(settings.raw_dir())
    else:
        from include.clickhouse import server_database

        database = server_database(clickhouse_conn_id)
        raw_tables = discover_raw_tables_on_server(client, database)
    return attach_raw_views(client, raw_tables)


def server_supports(client, setting: str) -> bool:
    rows = client.query("SELECT count() FROM system.settings WHERE name = {name:String}",
                        parameters={"name": setting}).result_rows
    return bool(rows and rows[0][0])


# ------------------------------------------------------------------------------ what to rebuild
CHANGED = "changed"
STATE_TABLE = f"{settings.MART_DATABASE}.sql_build_state"
# Per provider: the raw table whose loads change its derived tables, and the month of a raw row.
PROVIDER_SOURCES = {
    "aws": ("aws_costs", "cur_line_items", "billing_period"),
    "gcp": ("gcp_costs", "billing_export",
            "concat(substring(ifNull(invoice_month, ''), 1, 4), '-', substring(ifNull(invoice_month, ''), 5, 2))"),
    "stripe": ("stripe_revenue", "balance_transactions", "formatDateTime(toDate(created, 'UTC'), '%Y-%m')"),
}
# The month-partitioned tables each provider's SQL rebuilds.
PROVIDER_TABLES = {
    "aws": ("aws_cost_line_items", "aws_cost_daily", "aws_cost_daily_by_tag"),
    "gcp": ("gcp_cost_line_items", "gcp_cost_daily", "gcp_cost_daily_by_tag"),
    "stripe": ("stripe_balance_daily",),
}


def completed_load_watermark(client, provider: str, columns: dict) -> str | None:
    """The newest completed dlt load of the provider's dataset (None when nothing was loaded)."""
    dataset, _, _ = PROVIDER_SOURCES[provider]
    if "load_id" not in columns.get(f"{dataset}___dlt_loads", {}):
        return None
    rows = client.query(
        f"SELECT max(load_id) FROM {settings.RAW_DATABASE}.{dataset}___dlt_loads WHERE status = 0"
    ).result_rows
    return rows[0][0] or None if rows else None


def last_built_load(client, provider: str) -> str | None:
    rows = client.query(
        f"SELECT argMax(load_id, built_at) FROM {STATE_TABLE} WHERE provider = {{p:String}} HAVING count() > 0",
        parameters={"p": provider},
    ).result_rows
    return rows[0][0] if rows else None


def changed_periods(client, provider: str, columns: dict) -> list[str] | None:
    """Months of the rows written by completed loads newer than the last successful SQL run of the
    provider (None, a full rebuild, when there is no such run yet)."""
    built = last_built_load(client, provider)
    if built is None:
        return None
    dataset, table, month = PROVIDER_SOURCES[provider]
    if "_dlt_load_id" not in columns.get(f"{dataset}__{table}", {}):
        return []
    rows = client.query(
        f"SELECT DISTINCT {month} FROM {settings.RAW_DATABASE}.{dataset}__{table} "
        f"WHERE _dlt_load_id > {{built:String}} AND _dlt_load_id IN "
        f"(SELECT load_id FROM {settings.RAW_DATABASE}.{dataset}___dlt_loads WHERE status = 0)",
        parameters={"built": built},
    ).result_rows
    return sorted({normalize_period(value) for (value,) in rows if value and PERIOD.match(value)})


def empty_tables(client, provider: str) -> list[str]:
    """The provider's partitioned tables without data (new tables, a new data folder)."""
    tables = PROVIDER_TABLES[provider]
    rows = client.query(
        "SELECT table FROM system.parts WHERE database = {db:String} AND active AND rows > 0 "
        "AND has({tables:Array(String)}, table) GROUP BY table",
        parameters={"db": settings.MART_DATABASE, "tables": list(tables)},
    ).result_rows
    filled = {table for (table,) in rows}
    return [table for table in tables if table not in filled]


def run_transformations(
    provider: str,
    destination: str | None = None,
    periods: Any = None,
    config: Mapping | None = None,
) -> dict:
    """The SQL task of a provider DAG: raw views, shared schema, the provider's SQL, then the marts.

    `periods` chooses what the provider's month-partitioned tables rebuild:
    * None: everything (a full rebuild, each table rebuilt in `<table>__next` and swapped in);
    * "changed": the months of the rows written by completed loads newer than the last successful
      run of this function with None or "changed" (the first such run rebuilds everything);
    * the months themselves, `YYYY-MM` or `YYYYMM` (a list, a comma separated string, or the AWS
      load task's {billing_period: rows}, where periods with 0 rows are skipped).
    Each listed month is rebuilt in `<table>__stage` and swapped in with `ALTER TABLE ... REPLACE
    PARTITION`; a month no longer in the raw data is emptied. When a provider table has no data yet
    every month is rebuilt. The marts (views, and small tables over the daily rollups) are always
    rebuilt. `config` replaces the Airflow Variable `finops_sql_config` (tests).
    """
    if provider not in PROVIDERS:
        raise ValueError(f"provider must be one of {PROVIDERS}, got {provider!r}")
    destination = destination or settings.destination_name()
    auto = isinstance(periods, str) and periods.strip().lower() == CHANGED
    selected = None if auto else normalize_periods(periods)
    cfg = sql_config(config)
    client = clickhouse_client(destination)
    try:
        views = refresh_raw_views(client, destination)
        columns = raw_columns(client)
        context = {
            "provider": provider,
            "periods": None,
            "config": cfg,
            "raw_columns": columns,
            # ClickHouse >= 25.x refuses REPLACE PARTITION from an empty source unless this is set;
            # older servers do it without the setting (and do not know it).
            "replace_empty_setting": server_supports(client, "allow_replace_partition_from_empty_source"),
        }
        dataset, table, _ = PROVIDER_SOURCES[provider]
        if f"{dataset}__{table}" not in columns:
            raise MissingRawDataError(
                f"{provider}: no raw data yet ({settings.RAW_DATABASE}.{dataset}__{table} does not exist): the "
                f"{dataset} load task has loaded nothing so far (for AWS: no billing period has a delivered "
                "manifest yet). Run the SQL again after the first load that brings data."
            )
        statements = run_sql_files(client, sql_files("schema"), template_environment(context))
        watermark = completed_load_watermark(client, provider, columns)
        if auto:
            selected = changed_periods(client, provider, columns)
        if selected is not None and empty_tables(client, provider):
            log.info("%s tables %s have no data yet: rebuilding every month", provider, empty_tables(client, provider))
            selected = None
        context["periods"] = selected
        statements += run_sql_files(client, sql_files(provider, "marts"), template_environment(context))
        if (auto or selected is None) and watermark is not None:
            client.command(
                f"INSERT INTO {STATE_TABLE} (provider, load_id, built_at) VALUES "
                f"({quote_string(provider)}, {quote_string(watermark)}, now64(3))"
            )
        marts = {}
        if destination == "filesystem":
            # Local dashboards (Rill on DuckDB) read the derived tables as parquet: data/marts/<table>.parquet.
            from include.mart_export import export_marts

            marts = export_marts(client, settings.data_dir())
    finally:
        client.close()
    log.info("%s SQL on %s (periods %s): %d raw views, %d statements, %d marts exported", provider, destination,
             "all" if selected is None else selected, len(views), statements, len(marts))
    return {"raw_views": views, "statements": statements, "periods": selected, "marts": marts}


def query(sql: str, destination: str | None = None, parameters: dict | None = None):
    """Run a read query on the active destination; returns (column names, rows)."""
    client = clickhouse_client(destination)
    try:
        result = client.query(sql, parameters=parameters)
        return list(result.column_names), result.result_rows
    finally:
        client.close()
