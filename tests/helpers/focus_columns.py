"""Check a built table against a FOCUS column table (tests/transform/marts/focus-1.2-columns.csv,
include/focus/focus-1.4-columns.csv): every column present with the spec's type, not Nullable and never
null or empty where the spec allows no nulls, only the spec's allowed values, other columns x_ only."""

from __future__ import annotations

from tests.helpers.transform import one, q

CLICKHOUSE_TYPES = {"String": "String", "JSON": "String", "Decimal": "Decimal(38, 10)", "Date/Time": "DateTime('UTC')"}


def assert_spec_columns(table: str, spec: list[dict], known_extras: frozenset[str] = frozenset()) -> None:
    """known_extras: non-x_ columns the caller has pinned as known differences from the spec."""
    types = dict(q(f"SELECT name, type FROM system.columns WHERE database = 'finops' AND table = '{table}'"))
    for column in spec:
        name = column["column_id"]
        assert name in types, f"FOCUS column {name} missing from {table}"
        type_ = types[name]
        base = type_.removeprefix("Nullable(").removesuffix(")") if type_.startswith("Nullable(") else type_
        assert base == CLICKHOUSE_TYPES[column["data_type"]], (name, type_)
        if column["allows_nulls"] == "False":
            assert not type_.startswith("Nullable"), name
            assert one(f"SELECT countIf(isNull({name}) OR toString({name}) = '') FROM finops.{table}") == 0, name
        if column["allowed_values"]:
            allowed = set(column["allowed_values"].split(";"))
            values = {v for (v,) in q(f"SELECT DISTINCT {name} FROM finops.{table} WHERE {name} IS NOT NULL")}
            assert values <= allowed, (name, values - allowed)
    extras = set(types) - {c["column_id"] for c in spec} - known_extras
    assert all(name.startswith("x_") for name in extras), sorted(n for n in extras if not n.startswith("x_"))
