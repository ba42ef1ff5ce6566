"""The billing export fields Google added on 2025-07-15 for its spend-based CUD model (consumption_model.id and
.description, cost_at_effective_price_default, subscription.instance_id): loaded, and left out of the row key, so
every row keeps the key it had before (README-contract.md, "Exactly-once")."""

import copy
import glob
import re
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench import gcp_billing_rowwise
from bench.gcp_billing_rowwise import row_content_hash
from include.loaders import gcp as gcp_loader
from include.run_intent import request_for
from include.sources.gcp_billing.query import build_query
from include.sources.gcp_billing.raw_table import to_raw_table
from include.sources.gcp_billing.schema import (
    DETAILED,
    STANDARD,
    UNKEYED_COLUMNS,
    arrow_schema,
    export_columns,
    keyed_columns,
)
from standins.sample_data.gcp import (
    DETAILED_TABLE,
    STANDARD_TABLE,
    billing_result_page,
    generate_billing_rows,
    seed_bigquery,
)
from tests.helpers.gcp_billing import dedup_totals, expected_totals, ts

# Spelled out here, not taken from schema.py: the keys must leave out exactly these.
NEW_FIELDS = ("consumption_model_id", "consumption_model_description", "cost_at_effective_price_default",
              "subscription_instance_id")
STANDARD_NEW = NEW_FIELDS[:3]
CUD_MODEL = {"id": "D97B-0795-975B", "description": "Compute Flexible CUD - 3 Year"}


def export_type_of(detailed: bool) -> str:
    return DETAILED if detailed else STANDARD


def test_the_unkeyed_columns_are_the_four_new_fields_after_the_keyed_ones():
    assert UNKEYED_COLUMNS == set(NEW_FIELDS)
    standard = [name for name, *_ in export_columns(STANDARD)]
    detailed = [name for name, *_ in export_columns(DETAILED)]
    assert "subscription_instance_id" not in standard and "subscription_instance_id" in detailed
    for names, export_type in ((standard, STANDARD), (detailed, DETAILED)):
        keyed = [name for name in names if name not in NEW_FIELDS]
        assert [name for name, *_ in keyed_columns(export_type)] == keyed
    # the keyed columns are those of before, in their order: 43 standard ones, then resource.name / global_name
    assert len([n for n in standard if n not in NEW_FIELDS]) == 43
    assert [n for n in detailed if n not in NEW_FIELDS][-3:] == ["price_pricing_unit_quantity", "resource_name",
                                                                "resource_global_name"]
    types = {field.name: field.type for field in arrow_schema(DETAILED)}
    assert types["cost_at_effective_price_default"] == pa.float64() == types["cost_at_list"]
    assert {types[name] for name in NEW_FIELDS if name != "cost_at_effective_price_default"} == {pa.string()}


# ---------------------------------------------------------------------------------------------------
# (a) the row key of a page does not change with the unkeyed columns
# ---------------------------------------------------------------------------------------------------


def _rows_with_new_fields(detailed: bool) -> list[dict]:
    """Generated rows with values in the new fields (some under a CUD of the new model), and copies of one row that
    differ from it only in them."""
    rows = generate_billing_rows(["2026-09"], rows_per_month=150, seed=41, detailed=detailed)
    for number, row in enumerate(rows):
        if row["cost_type"] == "regular" and number % 3 == 0:
            row["consumption_model"] = dict(CUD_MODEL)
            row["cost_at_effective_price_default"] = round(row["cost"] * 1.25, 6)
            if detailed:
                row["subscription"] = {"instance_id": f"sub-{number % 4}"}
    base = next(row for row in rows if row["cost_type"] == "regular" and row["consumption_model"]["id"] != CUD_MODEL["id"]
                and sum(other == row for other in rows) == 1)
    return rows + _twins(base, detailed)


def _twins(base: dict, detailed: bool) -> list[dict]:
    """Copies of `base` that differ from it only in the new fields: under a CUD model with subscriptions sub-b and
    sub-a (the reverse of their order in the query) in the detailed export; one under a CUD model in the standard export
    (no subscription there: the pair differs in consumption_model only)."""
    twins = []
    for subscription in ("sub-b", "sub-a") if detailed else (None,):
        twin = copy.deepcopy(base)
        twin["consumption_model"] = dict(CUD_MODEL)
        if detailed:
            twin["subscription"] = {"instance_id": subscription}
        twins.append(twin)
    return twins


@pytest.mark.parametrize("detailed", [False, True], ids=["standard", "detailed"])
def test_row_keys_do_not_change_with_the_unkeyed_columns(detailed):
    export_type = export_type_of(detailed)
    schema = arrow_schema(export_type)
    page = billing_result_page(_rows_with_new_fields(detailed), detailed=detailed)
    new = [name for name in NEW_FIELDS if name in page.schema.names]
    assert new == list(NEW_FIELDS if detailed else STANDARD_NEW)
    blank = page  # the same rows from a table without the new fields: read as CAST(NULL AS ...)
    for name in new:
        blank = blank.set_column(blank.schema.get_field_index(name), name,
                                 pa.nulls(blank.num_rows, page.schema.field(name).type))

    with_values = to_raw_table(page, export_type, schema, None, {}, "p.d.t")
    without = to_raw_table(blank, export_type, schema, None, {}, "p.d.t")
    assert with_values["row_key"].equals(without["row_key"])
    assert len(set(with_values["row_key"].to_pylist())) == with_values.num_rows
    for name in new:  # written as exported
        assert with_values[name].to_pylist() == page.column(name).to_pylist(), name
        assert without[name].null_count == without.num_rows
    assert set(with_values["consumption_model_id"].to_pylist()) == {"7754-699E-0EBF", "D97B-0795-975B", None}

    # the key is the formula over the keyed columns (as before the new fields) and the occurrence
    keyed = [name for name, *_ in export_columns(export_type) if name not in NEW_FIELDS]
    expected = [row_content_hash([record[name] for name in keyed] + [record["row_occurrence"]])[:32]
                for record in with_values.to_pylist()]
    assert with_values["row_key"].to_pylist() == expected
    rowwise = gcp_billing_rowwise.to_raw_table(page, export_type, schema, None, {}, "p.d.t")
    assert rowwise.equals(with_values)

    # the copies that differ only in the new fields: numbered in the order of those values, so other keys
    records = with_values.to_pylist()
    twins = [r for r in records if all(r[name] == records[-1][name] for name in keyed)]
    assert sorted(r["row_occurrence"] for r in twins) == list(range(1, len(twins) + 1)) and len(twins) >= 2
    assert len({r["row_key"] for r in twins}) == len(twins)
    by_occurrence = sorted(twins, key=lambda r: r["row_occurrence"])
    assert [r["consumption_model_id"] for r in by_occurrence][:2] == ["7754-699E-0EBF", "D97B-0795-975B"]
    if detailed:
        assert [r["subscription_instance_id"] for r in by_occurrence] == [None, "sub-a", "sub-b"]


# ---------------------------------------------------------------------------------------------------
# (b) the query: _content without the unkeyed columns, occurrences in their order
# ---------------------------------------------------------------------------------------------------


def _struct_names(sql: str, alias: str) -> list[str]:
    (struct,) = re.findall(rf"TO_JSON_STRING\(STRUCT\((.*?)\)\) AS {alias}\b", sql)
    return re.findall(r" AS (\w+)(?:,|$)", struct)


def _query_before(table, columns, where="TRUE", present=None, export_time="export_time") -> str:
    """build_query as it was before unkeyed columns existed (verbatim)."""
    from include.sources.gcp_billing.schema import NULL_TYPES

    cols = [
        (name, expr if present is None or name in present else f"CAST(NULL AS {NULL_TYPES[type_]})", kind, type_)
        for name, expr, kind, type_ in columns
    ]
    inner = ",\n    ".join(f"{expr} AS {name}" for name, expr, _, _ in cols)
    content = ", ".join(f"{expr} AS {name}" for name, expr, _, _ in cols)
    outer = ", ".join(name for name, _, _, _ in cols)
    return (
        f"SELECT {outer},\n"
        f"  ROW_NUMBER() OVER (PARTITION BY _content) AS row_occurrence,\n"
        f"  COUNT(*) OVER (PARTITION BY {export_time}) AS export_batch_rows\n"
        f"FROM (\n  SELECT\n    {inner},\n    TO_JSON_STRING(STRUCT({content})) AS _content\n"
        f"  FROM `{table}` AS t\n  WHERE {where}\n)"
    )


@pytest.mark.parametrize("export_type", [STANDARD, DETAILED])
def test_query_keys_rows_on_the_keyed_columns_and_numbers_them_in_the_order_of_the_unkeyed_ones(export_type):
    columns = export_columns(export_type)
    names = [name for name, *_ in columns]
    keyed = [name for name in names if name not in NEW_FIELDS]
    unkeyed = [name for name in names if name in NEW_FIELDS]
    for present in (None, set(keyed)):  # a table with the new fields, and one without them (read as NULL)
        sql = build_query("p.d.t", columns, "t.export_time >= @export_from", present, unkeyed=UNKEYED_COLUMNS)
        assert _struct_names(sql, "_content") == keyed
        assert _struct_names(sql, "_unkeyed") == unkeyed
        assert "ROW_NUMBER() OVER (PARTITION BY _content ORDER BY _unkeyed) AS row_occurrence" in sql
        assert sql.startswith(f"SELECT {', '.join(names)},\n")  # every column is still read and written
        if present is not None:
            assert "CAST(NULL AS STRING) AS subscription_instance_id" in sql or export_type == STANDARD
            assert "CAST(NULL AS FLOAT64) AS cost_at_effective_price_default" in sql
    # nothing else changed: without the ORDER BY and `_unkeyed`, and with every column in `_content`, the SQL of before
    sql = build_query("p.d.t", columns, unkeyed=UNKEYED_COLUMNS)

    def struct(of):
        return ", ".join(f"{expr} AS {name}" for name, expr, *_ in columns if name in of)

    assert (sql.replace(" ORDER BY _unkeyed", "")
            .replace(f",\n    TO_JSON_STRING(STRUCT({struct(unkeyed)})) AS _unkeyed", "")
            .replace(f"STRUCT({struct(keyed)})", f"STRUCT({struct(names)})")) == _query_before("p.d.t", columns)


def test_query_without_unkeyed_columns_is_exactly_as_before():
    two = [("a", "t.a", "scalar", "string"), ("b", "t.x.b", "scalar", "float64")]
    assert build_query("p.d.t", two, unkeyed=UNKEYED_COLUMNS) == (
        "SELECT a, b,\n"
        "  ROW_NUMBER() OVER (PARTITION BY _content) AS row_occurrence,\n"
        "  COUNT(*) OVER (PARTITION BY export_time) AS export_batch_rows\n"
        "FROM (\n  SELECT\n    t.a AS a,\n    t.x.b AS b,\n    TO_JSON_STRING(STRUCT(t.a AS a, t.x.b AS b)) AS _content\n"
        "  FROM `p.d.t` AS t\n  WHERE TRUE\n)")
    for export_type in (STANDARD, DETAILED):
        keyed = keyed_columns(export_type)
        present = {name for name, *_ in keyed} - {"tags", "cost_at_list"}
        for args in ((), ("t.export_time >= @export_from", present), ("TRUE", None, "x_time")):
            before = _query_before("p.d.t", keyed, *args)
            assert build_query("p.d.t", keyed, *args) == before
            assert build_query("p.d.t", keyed, *args, unkeyed=UNKEYED_COLUMNS) == before
    # the FOCUS export's query (its own columns, no unkeyed ones) is unchanged as well
    from include.sources.gcp_billing.focus import query_columns
    from standins.sample_data.gcp_focus import focus_schema

    focus, _ = query_columns(focus_schema())
    present = {name for name, *_ in focus}  # as focus_source passes them
    assert build_query("p.d.f", focus, "TRUE", present, "x_ExportTime") == _query_before(
        "p.d.f", focus, "TRUE", present, "x_ExportTime")


# ---------------------------------------------------------------------------------------------------
# (c) end to end against bqemulator: the new columns land, copies differing only in them keep their keys
# ---------------------------------------------------------------------------------------------------


def _load(client, table_id, **params):
    return gcp_loader.load(request_for("gcp_costs", params), config={"billing_table": table_id}, client=client).tables


def _read_raw(data_dir) -> pa.Table:
    return pq.read_table(sorted(glob.glob(str(data_dir / "raw" / "gcp_costs" / "billing_export" / "*.parquet"))))


def _signature(service_id, sku_id, start, export_time, cost, resource_name, project_id):
    return service_id, sku_id, start, export_time, repr(cost), resource_name, project_id


def _exported(row: dict, detailed: bool) -> tuple:
    """A generated row's signature and its new fields as the raw table should hold them."""
    model = row.get("consumption_model") or {}
    new = (model.get("id"), model.get("description"), row.get("cost_at_effective_price_default"))
    if detailed:
        new += ((row.get("subscription") or {}).get("instance_id"),)
    return _signature(row["service"]["id"], row["sku"]["id"], ts(row["usage_start_time"]), ts(row["export_time"]),
                      row["cost"], (row.get("resource") or {}).get("name"), row["project"]["id"]) + new


def _loaded(record: dict, detailed: bool) -> tuple:
    names = NEW_FIELDS if detailed else STANDARD_NEW
    return _signature(record["service_id"], record["sku_id"], record["usage_start_time"], record["export_time"],
                      record["cost"], record.get("resource_name"), record["project_id"]) + tuple(
        record[name] for name in names)


@pytest.mark.parametrize("detailed", [False, True], ids=["standard", "detailed"])
def test_new_fields_load_and_rows_differing_only_in_them_keep_one_key_each(bigquery_client, billing_dataset,
                                                                           local_data, detailed):
    table_name = DETAILED_TABLE if detailed else STANDARD_TABLE
    rows = generate_billing_rows(["2026-09"], rows_per_month=60, seed=43, detailed=detailed)
    base = next(r for r in rows if r["cost_type"] == "regular" and sum(x == r for x in rows) == 1)
    twins = _twins(base, detailed)
    rows += twins
    table_id = seed_bigquery(bigquery_client, billing_dataset, table_name, rows)

    queries = []
    original = bigquery_client.query

    def recording_query(sql, *args, **kwargs):
        queries.append(sql)
        return original(sql, *args, **kwargs)

    bigquery_client.query = recording_query
    try:
        assert _load(bigquery_client, table_id) == {"billing_export": len(rows)}
    finally:
        del bigquery_client.query
    assert any("PARTITION BY _content ORDER BY _unkeyed" in sql for sql in queries)
    first = _read_raw(local_data)
    names = NEW_FIELDS if detailed else STANDARD_NEW
    assert [name for name in names if name not in first.column_names] == []
    if not detailed:
        assert "subscription_instance_id" not in first.column_names
    assert first.schema.field("cost_at_effective_price_default").type == pa.float64()

    # the new columns hold the export's values, row by row
    records = first.to_pylist()
    assert Counter(_loaded(r, detailed) for r in records) == Counter(_exported(r, detailed) for r in rows)
    usage = [r for r in records if r["cost_type"] == "regular" and r["consumption_model_id"] == "7754-699E-0EBF"]
    assert len(usage) > 20 and all(r["cost_at_effective_price_default"] == r["cost"] for r in usage)
    assert all(r["consumption_model_id"] is None for r in records if r["cost_type"] != "regular")

    # the row and its copies differing only in the new fields: all kept, each its own key, numbered in the order of
    # the new fields' values (the Default model sorts before D97B-..., sub-a before sub-b)
    keyed = [name for name, *_ in export_columns(export_type_of(detailed)) if name not in NEW_FIELDS]
    group = sorted((r for r in records if all(r[name] == _pick(records, base, detailed)[name] for name in keyed)),
                   key=lambda r: r["row_occurrence"])
    assert len(group) == 1 + len(twins)
    assert [r["row_occurrence"] for r in group] == list(range(1, len(group) + 1))
    assert len({r["row_key"] for r in group}) == len(group)
    assert [r["consumption_model_id"] for r in group] == ["7754-699E-0EBF"] + ["D97B-0795-975B"] * len(twins)
    if detailed:
        assert [r["subscription_instance_id"] for r in group] == [None, "sub-a", "sub-b"]
    # every key is the one of before: the keyed columns and the occurrence
    for record in records:
        assert record["row_key"] == row_content_hash([record[name] for name in keyed] + [record["row_occurrence"]])[:32]
    assert len(set(first["row_key"].to_pylist())) == first.num_rows
    assert dedup_totals() == expected_totals(rows)

    def by_key(table: pa.Table) -> dict:
        return {r["row_key"]: tuple(r[name] for name in names) + (r["row_occurrence"],) for r in table.to_pylist()}

    # a second read numbers them the same way: the same key, the same subscription and consumption model
    assert _load(bigquery_client, table_id, full_refresh=True) == {"billing_export": len(rows)}
    assert by_key(_read_raw(local_data)) == by_key(first)
    # ... whatever order the table returns them in
    reversed_id = seed_bigquery(bigquery_client, billing_dataset, table_name.rsplit("_", 3)[0] + "_REVERSED",
                                rows[::-1])
    assert _load(bigquery_client, reversed_id) == {"billing_export": len(rows)}
    assert by_key(_read_raw(local_data)) == by_key(first)


def _pick(records: list[dict], base: dict, detailed: bool) -> dict:
    """The raw record of the generated row `base`."""
    (record,) = [r for r in records if _loaded(r, detailed) == _exported(base, detailed)]
    return record
