"""Stripe objects flattened into fixed-schema Arrow tables.

Rule shared by all raw tables of the platform: a column has the same type on the filesystem (parquet)
and ClickHouse destinations. So every table has an explicit Arrow schema; nested values (metadata,
fee_details, items, lines...) are JSON strings; timestamps are UTC `timestamp[us, tz=UTC]`; amounts are
int64 in the currency's minor unit, as Stripe gives them, next to `currency` (lowercase ISO code) and
`currency_exponent` (how many decimals the minor unit has, see include/sources/stripe_revenue/currency.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # heavy imports stay inside functions
    import pyarrow as pa

BATCH_ROWS = 2000  # rows per Arrow table yielded to dlt


def to_epoch(value: Any) -> int | None:
    """Seconds since the epoch for an int, ISO date/datetime string, date or datetime (naive = UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError("not a timestamp: bool")
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        value = value.strip()
        if value.lstrip("-").isdigit():
            return int(value)
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    # pendulum / Airflow DateTime are datetime subclasses; anything else is an error
    raise TypeError(f"not a timestamp: {value!r}")


def _ts(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(int(value), UTC)


def decimal_text(value: Any) -> str:
    """A JSON number as exact decimal text (50 -> "50", 12.5 -> "12.5"), never a float's binary expansion."""
    from decimal import Decimal

    return format(Decimal(str(value)).normalize(), "f")


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def object_id(value: Any) -> str | None:
    """An expandable field: its id whether Stripe gave the id or the expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def get_path(obj: dict, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


# Column kinds -> Arrow type and value conversion
def _arrow_type(kind: str) -> pa.DataType:
    import pyarrow as pa

    return {
        "str": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "ts": pa.timestamp("us", tz="UTC"),
        "json": pa.string(),
    }[kind]


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "str": lambda v: None if v is None else (v if isinstance(v, str) else object_id(v) if isinstance(v, dict) else str(v)),
    "int": lambda v: None if v is None else int(v),
    "float": lambda v: None if v is None else float(v),
    "bool": lambda v: None if v is None else bool(v),
    "ts": _ts,
    "json": _json,
}

# A column: (name, kind, how to get the value: a dotted path into the object or a function of it)
Column = tuple[str, str, "str | Callable[[dict], Any]"]


def table_schema(columns: list[Column]) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(name, _arrow_type(kind)) for name, kind, _ in columns])


def flatten(obj: dict, columns: list[Column], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, kind, source in columns:
        if extra and name in extra:
            value = extra[name]
        elif callable(source):
            value = source(obj)
        else:
            value = get_path(obj, source)
        row[name] = _CONVERT[kind](value)
    return row


def to_arrow(rows: list[dict], columns: list[Column]) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=table_schema(columns))


def batched_tables(
    objects: Iterator[dict], columns: list[Column], extra: dict[str, Any] | None = None, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.Table]:
    """Flatten objects into fixed-schema Arrow tables of up to `batch_rows` rows."""
    rows: list[dict] = []
    for obj in objects:
        rows.append(flatten(obj, columns, extra))
        if len(rows) >= batch_rows:
            yield to_arrow(rows, columns)
            rows = []
    if rows:
        yield to_arrow(rows, columns)
