"""SQL literals and identifiers: the only way configured values enter the SQL text."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from include.transform.errors import SqlConfigError

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


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
