"""What a build may skip: the months, views and marts tables nothing changed since the last build.

* `finops.sql_build_state` holds, per provider, the newest completed dlt load each successful full or
  "changed" build has seen; the next "changed" build rebuilds the months of the rows of newer loads.
* `finops.sql_build_log` holds one row per successful build of any target: what it may have changed
  (`changed_periods`: NULL everything, `[]` nothing, else the months; for the marts, the months whose inputs
  changed), its load watermark and the
  fingerprint of its SQL. The marts build reads the provider builds logged since its own last start:
  a marts table none of whose providers changed is not rebuilt, a month-partitioned one
  (`cost_forecast`) rebuilds only the changed months (plus the newest months, whose "month is over"
  status depends on later data), and the dashboards' parquet is only re-checked when something changed.
* `finops.sql_view_state` holds the fingerprint of each view's CREATE statement (its SQL, the columns of
  every model upstream of it and of the raw views it reads): a view whose fingerprint is unchanged and
  that still exists is not created again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from include import settings
from include.sources.period_ledger import ledger_table
from include.transform.config import PERIOD
from include.transform.literals import quote_string
from include.transform.table_engine import SINGLE_NODE, TableEngine

STATE_TABLE = f"{settings.MART_DATABASE}.sql_build_state"
LOG_TABLE = f"{settings.MART_DATABASE}.sql_build_log"
VIEW_STATE_TABLE = f"{settings.MART_DATABASE}.sql_view_state"
MARTS = "marts"
# Per provider: the raw table whose loads change its derived tables, and the month of a raw row.
PROVIDER_SOURCES = {
    "aws": ("aws_costs", "cur_line_items", "billing_period"),
    "azure": ("azure_costs", "focus_costs", "billing_period"),
    "gcp": ("gcp_costs", "billing_export",
            "concat(substring(ifNull(invoice_month, ''), 1, 4), '-', substring(ifNull(invoice_month, ''), 5, 2))"),
    "stripe": ("stripe_revenue", "balance_transactions", "formatDateTime(toDate(created, 'UTC'), '%Y-%m')"),
}
# Other raw tables of a provider's dataset whose loads change its derived tables (same shape).
MORE_PROVIDER_SOURCES = {
    "aws": [("aws_costs", "focus_export", "billing_period")],  # the Data Exports FOCUS 1.2 export
    "gcp": [("gcp_costs", "focus_export", PROVIDER_SOURCES["gcp"][2])],  # Google's FOCUS export table
}


def provider_sources(provider: str) -> list[tuple[str, str, str]]:
    return [PROVIDER_SOURCES[provider], *MORE_PROVIDER_SOURCES.get(provider, [])]


def ensure_state_table(client, engine: TableEngine = SINGLE_NODE) -> None:
    """The bookkeeping tables (build state, build log, view state), created if missing."""
    on, kind = engine.on_cluster, engine.engine
    client.command(
        f"CREATE TABLE IF NOT EXISTS {STATE_TABLE}{on} (provider String, load_id String, built_at DateTime64(3, 'UTC'), "
        f"sql_hash String) ENGINE = {kind} ORDER BY (provider, built_at)"
    )
    # state tables from before the SQL fingerprint was kept: their builds count as other SQL (one full rebuild)
    client.command(f"ALTER TABLE {STATE_TABLE}{on} ADD COLUMN IF NOT EXISTS sql_hash String")
    client.command(
        f"CREATE TABLE IF NOT EXISTS {LOG_TABLE}{on} (target String, changed_periods Nullable(String), "
        f"load_id String, sql_hash String, started_at DateTime64(3, 'UTC'), built_at DateTime64(3, 'UTC')) "
        f"ENGINE = {kind} ORDER BY (target, built_at)"
    )
    client.command(
        f"CREATE TABLE IF NOT EXISTS {VIEW_STATE_TABLE}{on} (view String, sql_hash String, built_at DateTime64(3, 'UTC')) "
        f"ENGINE = {kind} ORDER BY (view, built_at)"
    )


def completed_load_watermark(client, provider: str, columns: dict) -> str | None:
    """The newest completed dlt load of the provider's dataset (None when nothing was loaded)."""
    dataset, _, _ = PROVIDER_SOURCES[provider]
    if "load_id" not in columns.get(f"{dataset}___dlt_loads", {}):
        return None
    rows = client.query(
        f"SELECT max(load_id) FROM {settings.RAW_DATABASE}.{dataset}___dlt_loads WHERE status = 0"
    ).result_rows
    return rows[0][0] or None if rows else None


def last_build(client, provider: str) -> tuple[str, str] | None:
    """(load id, SQL fingerprint) of the provider's last successful full or "changed" build."""
    rows = client.query(
        f"SELECT argMax(load_id, built_at), argMax(sql_hash, built_at) FROM {STATE_TABLE} "
        "WHERE provider = {p:String} HAVING count() > 0",
        parameters={"p": provider},
    ).result_rows
    return tuple(rows[0]) if rows else None


def _completed_loads(dataset: str) -> str:
    """The rows of raw `dataset` written by its completed dlt loads (the completed_loads() macro's SQL)."""
    return f"_dlt_load_id IN (SELECT load_id FROM {settings.RAW_DATABASE}.{dataset}___dlt_loads WHERE status = 0)"


def changed_periods(client, provider: str, columns: dict, built: str) -> list[str]:
    """Months of the rows written by completed loads newer than load `built` (the provider's last build), and of
    the period ledger rows (`<table>_period_loads`) they wrote: a delivery with no rows changes its month too."""
    months = set()
    sources = [*provider_sources(provider)]
    sources += [(dataset, ledger_table(table), "billing_period") for dataset, table, _ in sources]
    for dataset, table, month in sources:
        if "_dlt_load_id" not in columns.get(f"{dataset}__{table}", {}):
            continue
        rows = client.query(
            f"SELECT DISTINCT {month} FROM {settings.RAW_DATABASE}.{dataset}__{table} "
            f"WHERE _dlt_load_id > {{built:String}} AND {_completed_loads(dataset)}",
            parameters={"built": built},
        ).result_rows
        months |= {value for (value,) in rows if value and PERIOD.match(value)}
    return sorted(months)


def raw_rows_by_month(client, provider: str, columns: dict) -> dict[str, int]:
    """Rows per month of the provider's raw tables, as its staging reads them (completed loads)."""
    rows: dict[str, int] = {}
    for dataset, table, month in provider_sources(provider):
        if f"{dataset}__{table}" not in columns:
            continue
        completed = (f" WHERE {_completed_loads(dataset)}" if "load_id" in columns.get(f"{dataset}___dlt_loads", {})
                     and "_dlt_load_id" in columns[f"{dataset}__{table}"] else "")
        for value, count in client.query(
                f"SELECT {month}, count() FROM {settings.RAW_DATABASE}.{dataset}__{table}{completed} GROUP BY 1").result_rows:
            if value and PERIOD.match(value):
                rows[value] = rows.get(value, 0) + int(count)
    return rows


def existing_tables(client) -> dict[str, str]:
    """{name: engine} of every table and view of database finops."""
    rows = client.query("SELECT name, engine FROM system.tables WHERE database = {db:String}",
                        parameters={"db": settings.MART_DATABASE}).result_rows
    return dict(rows)


def record_build(client, provider: str, watermark: str, sql_hash: str) -> None:
    client.command(
        f"INSERT INTO {STATE_TABLE} (provider, load_id, built_at, sql_hash) VALUES "
        f"({quote_string(provider)}, {quote_string(watermark)}, now64(3), {quote_string(sql_hash)})"
    )


def fingerprint(parts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def unchanged_views(client, database: str = settings.MART_DATABASE) -> dict[str, str]:
    """{view: fingerprint of what created it} for the views of `database` that exist: finops's by name, others'
    (the raw views) by database-qualified name."""
    prefix = "" if database == settings.MART_DATABASE else f"{database}."
    rows = client.query(
        f"SELECT view, argMax(sql_hash, built_at) FROM {VIEW_STATE_TABLE} WHERE view IN "
        "(SELECT concat({prefix:String}, name) FROM system.tables WHERE database = {db:String} AND engine = 'View') "
        "GROUP BY view",
        parameters={"db": database, "prefix": prefix},
    ).result_rows
    return dict(rows)


def record_views(client, hashes: dict[str, str]) -> None:
    if hashes:
        values = ", ".join(f"({quote_string(view)}, {quote_string(h)}, now64(3))" for view, h in sorted(hashes.items()))
        client.command(f"INSERT INTO {VIEW_STATE_TABLE} (view, sql_hash, built_at) VALUES {values}")


def _last_logged(client, target: str):
    rows = client.query(
        f"SELECT argMax(load_id, built_at), argMax(sql_hash, built_at), argMax(started_at, built_at) FROM {LOG_TABLE} "
        "WHERE target = {t:String} HAVING count() > 0",
        parameters={"t": target},
    ).result_rows
    return rows[0] if rows else None


def provider_changes(client, provider: str, rebuilt: list[str] | None, watermark: str | None, sql_hash: str,
                     only_partitioned: bool) -> list[str] | None:
    """What a provider build may have changed for the marts: None (anything), or the months it rebuilt.

    Months only when its SQL and loads are those of its last logged build, or when all its tables are
    month-partitioned (then the rebuilt months are all that moved); else None: unpartitioned tables
    (Stripe's) are rebuilt in full from every load, and a view whose SQL changed changes every month."""
    if rebuilt is None:
        return None
    last = _last_logged(client, provider)
    if last is None or last[1] != sql_hash:
        return None
    if last[0] != (watermark or "") and not only_partitioned:
        return None
    return rebuilt


def log_build(client, target: str, changed: list[str] | None, watermark: str | None, sql_hash: str,
              started_at: float) -> None:
    changed_sql = "NULL" if changed is None else quote_string(json.dumps(sorted(changed)))
    client.command(
        f"INSERT INTO {LOG_TABLE} (target, changed_periods, load_id, sql_hash, started_at, built_at) VALUES "
        f"({quote_string(target)}, {changed_sql}, {quote_string(watermark or '')}, {quote_string(sql_hash)}, "
        f"fromUnixTimestamp64Milli({int(started_at * 1000)}, 'UTC'), now64(3))"
    )


def provider_changes_since_marts(client, marts_hash: str) -> dict[str, list[str] | None] | None:
    """{provider: months changed (None: anything)} over the provider builds logged since the last marts
    build started; None (rebuild everything) when there is no marts build yet or its SQL changed."""
    last = _last_logged(client, MARTS)
    if last is None or last[1] != marts_hash:
        return None
    rows = client.query(
        f"SELECT target, changed_periods FROM {LOG_TABLE} WHERE target != {{m:String}} AND built_at >= {{since:DateTime64(3, 'UTC')}} "
        "ORDER BY built_at",
        parameters={"m": MARTS, "since": last[2]},
    ).result_rows
    changes: dict[str, list[str] | None] = {}
    for provider, changed in rows:
        if changed is None or changes.get(provider, []) is None:
            changes[provider] = None
        elif months := json.loads(changed):
            changes[provider] = sorted({*changes.get(provider, []), *months})
    return changes


def newest_partitions(client, tables: list[str], count: int) -> set[str]:
    """The `count` newest partitions (months) holding data of each table of database finops."""
    rows = client.query(
        "SELECT table, arraySlice(arrayReverseSort(groupUniqArray(partition)), 1, {n:UInt32}) FROM system.parts "
        "WHERE database = {db:String} AND active AND rows > 0 AND has({tables:Array(String)}, table) GROUP BY table",
        parameters={"db": settings.MART_DATABASE, "tables": list(tables), "n": count},
    ).result_rows
    return {p.strip("'") for _, partitions in rows for p in partitions if PERIOD.match(p.strip("'"))}
