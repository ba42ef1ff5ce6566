"""What a provider's models rebuild: the months that completed loads changed since its last build.

`finops.sql_build_state` holds, per provider, the newest completed dlt load each successful full or
"changed" build has seen; the next "changed" build rebuilds the months of the rows of newer loads.
"""

from __future__ import annotations

from include import settings
from include.transform.config import PERIOD
from include.transform.literals import quote_string

STATE_TABLE = f"{settings.MART_DATABASE}.sql_build_state"
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
}


def provider_sources(provider: str) -> list[tuple[str, str, str]]:
    return [PROVIDER_SOURCES[provider], *MORE_PROVIDER_SOURCES.get(provider, [])]


def ensure_state_table(client) -> None:
    client.command(
        f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (provider String, load_id String, built_at DateTime64(3, 'UTC')) "
        "ENGINE = MergeTree ORDER BY (provider, built_at)"
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


def last_built_load(client, provider: str) -> str | None:
    rows = client.query(
        f"SELECT argMax(load_id, built_at) FROM {STATE_TABLE} WHERE provider = {{p:String}} HAVING count() > 0",
        parameters={"p": provider},
    ).result_rows
    return rows[0][0] if rows else None


def changed_periods(client, provider: str, columns: dict) -> list[str] | None:
    """Months of the rows written by completed loads newer than the last successful build of the
    provider (None, a full rebuild, when there is no such build yet)."""
    built = last_built_load(client, provider)
    if built is None:
        return None
    months = set()
    for dataset, table, month in provider_sources(provider):
        if "_dlt_load_id" not in columns.get(f"{dataset}__{table}", {}):
            continue
        rows = client.query(
            f"SELECT DISTINCT {month} FROM {settings.RAW_DATABASE}.{dataset}__{table} "
            f"WHERE _dlt_load_id > {{built:String}} AND _dlt_load_id IN "
            f"(SELECT load_id FROM {settings.RAW_DATABASE}.{dataset}___dlt_loads WHERE status = 0)",
            parameters={"built": built},
        ).result_rows
        months |= {value for (value,) in rows if value and PERIOD.match(value)}
    return sorted(months)


def empty_tables(client, tables: list[str]) -> list[str]:
    """The tables (of database finops) without data (new tables, a new data folder)."""
    rows = client.query(
        "SELECT table FROM system.parts WHERE database = {db:String} AND active AND rows > 0 "
        "AND has({tables:Array(String)}, table) GROUP BY table",
        parameters={"db": settings.MART_DATABASE, "tables": list(tables)},
    ).result_rows
    filled = {table for (table,) in rows}
    return [table for table in tables if table not in filled]


def record_build(client, provider: str, watermark: str) -> None:
    client.command(
        f"INSERT INTO {STATE_TABLE} (provider, load_id, built_at) VALUES "
        f"({quote_string(provider)}, {quote_string(watermark)}, now64(3))"
    )
