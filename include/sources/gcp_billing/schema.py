"""The billing export fields read, and the flat raw table they become.

Scalar STRUCT fields become top-level columns (`service.id` -> `service_id`); repeated / nested
values become JSON strings: key/value arrays (`labels`, `system_labels`, `project.labels`) a
key -> value object '{"env":"prod"}', the others (`credits`, `tags`, `project.ancestors`) an array
of objects '[{"name":..,"amount":-1.23,...}]'. Same column types on parquet and ClickHouse.
"""

from __future__ import annotations

STANDARD = "standard"
DETAILED = "detailed"
EXPORT_TYPES = (STANDARD, DETAILED)

# output column, BigQuery expression (alias `t`), kind: scalar | kv (key/value array -> JSON object) |
# array (repeated record -> JSON array), arrow type name
_COLUMNS: list[tuple[str, str, str, str]] = [
    ("billing_account_id", "t.billing_account_id", "scalar", "string"),
    ("service_id", "t.service.id", "scalar", "string"),
    ("service_description", "t.service.description", "scalar", "string"),
    ("sku_id", "t.sku.id", "scalar", "string"),
    ("sku_description", "t.sku.description", "scalar", "string"),
    ("usage_start_time", "t.usage_start_time", "scalar", "timestamp"),
    ("usage_end_time", "t.usage_end_time", "scalar", "timestamp"),
    ("project_id", "t.project.id", "scalar", "string"),
    ("project_number", "t.project.number", "scalar", "string"),
    ("project_name", "t.project.name", "scalar", "string"),
    ("project_labels", "t.project.labels", "kv", "string"),
    ("project_ancestry_numbers", "t.project.ancestry_numbers", "scalar", "string"),
    ("project_ancestors", "t.project.ancestors", "array", "string"),
    ("labels", "t.labels", "kv", "string"),
    ("system_labels", "t.system_labels", "kv", "string"),
    ("location_location", "t.location.location", "scalar", "string"),
    ("location_country", "t.location.country", "scalar", "string"),
    ("location_region", "t.location.region", "scalar", "string"),
    ("location_zone", "t.location.zone", "scalar", "string"),
    ("tags", "t.tags", "array", "string"),
    ("export_time", "t.export_time", "scalar", "timestamp"),
    ("cost", "t.cost", "scalar", "float64"),
    ("currency", "t.currency", "scalar", "string"),
    ("currency_conversion_rate", "t.currency_conversion_rate", "scalar", "float64"),
    ("usage_amount", "t.usage.amount", "scalar", "float64"),
    ("usage_unit", "t.usage.unit", "scalar", "string"),
    ("usage_amount_in_pricing_units", "t.usage.amount_in_pricing_units", "scalar", "float64"),
    ("usage_pricing_unit", "t.usage.pricing_unit", "scalar", "string"),
    ("credits", "t.credits", "array", "string"),
    ("invoice_month", "t.invoice.month", "scalar", "string"),
    ("invoice_publisher_type", "t.invoice.publisher_type", "scalar", "string"),
    ("cost_type", "t.cost_type", "scalar", "string"),
    ("adjustment_info_id", "t.adjustment_info.id", "scalar", "string"),
    ("adjustment_info_description", "t.adjustment_info.description", "scalar", "string"),
    ("adjustment_info_mode", "t.adjustment_info.mode", "scalar", "string"),
    ("adjustment_info_type", "t.adjustment_info.type", "scalar", "string"),
    ("cost_at_list", "t.cost_at_list", "scalar", "float64"),
    ("transaction_type", "t.transaction_type", "scalar", "string"),
    ("seller_name", "t.seller_name", "scalar", "string"),
    ("price_effective_price", "t.price.effective_price", "scalar", "decimal"),
    ("price_tier_start_amount", "t.price.tier_start_amount", "scalar", "decimal"),
    ("price_unit", "t.price.unit", "scalar", "string"),
    ("price_pricing_unit_quantity", "t.price.pricing_unit_quantity", "scalar", "decimal"),
    # added by Google on 2025-07-15 for the spend-based CUD model (UNKEYED_COLUMNS)
    ("consumption_model_id", "t.consumption_model.id", "scalar", "string"),
    ("consumption_model_description", "t.consumption_model.description", "scalar", "string"),
    ("cost_at_effective_price_default", "t.cost_at_effective_price_default", "scalar", "float64"),
]
_DETAILED_COLUMNS: list[tuple[str, str, str, str]] = [
    ("resource_name", "t.resource.name", "scalar", "string"),
    ("resource_global_name", "t.resource.global_name", "scalar", "string"),
    # added by Google on 2025-07-15 for the spend-based CUD model (UNKEYED_COLUMNS)
    ("subscription_instance_id", "t.subscription.instance_id", "scalar", "string"),
]
# Export columns the row key does not cover (README-contract.md, "Exactly-once"): the fields Google added on 2025-07-15
# for its spend-based committed use discount model, after the row key was defined. Raw tables hold keys computed
# without them, and an export batch that grew is appended again and deduplicated on its keys: keying these columns
# would change the key of every row, so re-read rows would no longer match the copies already loaded and would be
# counted twice. They are still read and written to the raw table; the query numbers rows identical in every keyed
# column in the order of these columns' values (query.build_query), so every read gives a key the same values of
# them (README-contract.md says when copies of a key may still differ in them).
UNKEYED_COLUMNS: frozenset[str] = frozenset({
    "consumption_model_id",
    "consumption_model_description",
    "cost_at_effective_price_default",
    "subscription_instance_id",
})
# Columns added by the source (not in the export): total credits of the row, which export it came
# from, and the row key (see README-contract.md).
DERIVED_COLUMNS: list[tuple[str, str]] = [
    ("credits_amount", "float64"),
    ("export_type", "string"),
    ("row_occurrence", "int64"),
    ("row_key", "string"),
]

# The export fields the figures need (costs, credits, invoice month, usage and export times, currency,
# project, service, sku): a table without one is refused before any row is read. Every other field is
# optional: Google adds fields to the export over time, and a table without one reads it as NULL.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "service": ("id", "description"),
    "sku": ("id", "description"),
    "usage_start_time": (),
    "usage_end_time": (),
    "project": ("id",),
    "export_time": (),
    "cost": (),
    "currency": (),
    "credits": ("amount", "type"),
    "invoice": ("month",),
}
DETAILED_REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {"resource": ("name", "global_name")}
# BigQuery type of an absent optional column (read as NULL), by arrow type name.
NULL_TYPES = {"string": "STRING", "float64": "FLOAT64", "int64": "INT64", "timestamp": "TIMESTAMP", "decimal": "NUMERIC"}


def detect_export_type(table: str) -> str:
    """`detailed` for gcp_billing_export_resource_v1_*, else `standard`."""
    name = table.rsplit(".", 1)[-1].lower()
    return DETAILED if name.startswith("gcp_billing_export_resource_v1") else STANDARD


def export_columns(export_type: str) -> list[tuple[str, str, str, str]]:
    return _COLUMNS + (_DETAILED_COLUMNS if export_type == DETAILED else [])


def keyed_columns(export_type: str) -> list[tuple[str, str, str, str]]:
    """The export columns the row key covers, in their order: all but UNKEYED_COLUMNS."""
    return [column for column in export_columns(export_type) if column[0] not in UNKEYED_COLUMNS]


def required_fields(export_type: str) -> dict[str, tuple[str, ...]]:
    fields = dict(REQUIRED_FIELDS)
    if export_type == DETAILED:
        fields.update(DETAILED_REQUIRED_FIELDS)
    return fields


def missing_fields(bq_schema: list, export_type: str) -> list[str]:
    """Expected fields (dotted names) absent from a BigQuery table schema."""
    present = {field.name.lower(): field for field in bq_schema}
    missing = []
    for name, subfields in required_fields(export_type).items():
        field = present.get(name)
        if field is None:
            missing.append(name)
            continue
        sub = {f.name.lower() for f in (field.fields or ())}
        missing.extend(f"{name}.{s}" for s in subfields if s not in sub)
    return missing


def present_columns(bq_schema: list, export_type: str) -> set[str]:
    """Output columns whose export field (`t.a` or `t.a.b`) exists in the BigQuery table schema."""
    fields = {field.name.lower(): field for field in bq_schema}
    present = set()
    for name, expression, _, _ in export_columns(export_type):
        path = expression.removeprefix("t.").lower().split(".")
        field = fields.get(path[0])
        for part in path[1:]:
            field = {f.name.lower(): f for f in (field.fields or ())}.get(part) if field is not None else None
        if field is not None:
            present.add(name)
    return present


def arrow_schema(export_type: str):
    """The pyarrow schema of the raw `billing_export` table for `export_type`."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "float64": pa.float64(),
        "int64": pa.int64(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "decimal": pa.decimal128(38, 9),
    }
    fields = [pa.field(name, types[t]) for name, _, _, t in export_columns(export_type)]
    fields += [pa.field(name, types[t]) for name, t in DERIVED_COLUMNS]
    return pa.schema(fields)
