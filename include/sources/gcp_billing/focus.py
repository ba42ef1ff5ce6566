"""Google Cloud's FOCUS export (`gcp_billing_export_focus_<BILLING_ACCOUNT_ID>`): its columns, the checks a
table and a result page must pass, and a result page made into the raw table `focus_export`.

What Google documents (docs.cloud.google.com/billing/docs/how-to/export-data-bigquery-tables/focus-export, Preview):
the FOCUS usage cost export is an immutable, Google-managed BigQuery dataset `gcp_billing_immutable_<BILLING_ACCOUNT_ID>
_<Location>` (a linked dataset in the project chosen when the export was enabled) holding the table
`gcp_billing_export_focus_<BILLING_ACCOUNT_ID>`; its columns "generally map to the fields in the Detailed usage cost
export"; the schema can gain columns over time; rows older than two years are deleted (2-year TTL).

Assumptions (the page does not list the columns): the columns are those of a live table's schema as published with
an open-source FOCUS exporter (FOCUS 1.2 names: BilledCost, EffectiveCost, ListCost, ContractedCost NUMERIC;
BillingPeriodStart/End and ChargePeriodStart/End TIMESTAMP; SubAccountId / SubAccountName the project; plus Google's
x_ columns: x_Credits ARRAY<STRUCT<Name, Amount, FullName, Id, Type>>, x_CostType, x_CurrencyConversionRate,
x_ExportTime, x_Location, x_Project STRUCT, x_ServiceId, x_Labels / x_SystemLabels / x_ProjectLabels
ARRAY<STRUCT<Key, Value>>, x_Tags, x_SubscriptionInstanceId and the consumption-model price and cost columns), and
BilledCost = EffectiveCost = cost + credits of the detailed export row, ListCost = cost_at_list, as Google's FOCUS
view over the detailed export computes them. FOCUS columns that table lacks (Tags, ServiceCategory,
CommitmentDiscount*, InvoiceIssuerName, ...) are read when a table has them and are NULL otherwise, like the optional
fields of the detailed export. BillingPeriodStart is the invoice month's start in US Pacific time (like invoice.month);
`invoice_month` (YYYYMM) is taken 12 hours after it, so a start at UTC midnight gives the same month.

Corrections (FOCUS CorrectionHandling Delta): Google appends rows with a later x_ExportTime and never rewrites one, so
the table is read incrementally on x_ExportTime with the detailed export's lookback and batch counts, and every row
keeps a `row_key` (a hash of its values and occurrence) that the SQL reads once.

The raw table keeps the FOCUS names (dlt writes them snake_case: BilledCost -> billed_cost, x_ExportTime ->
x_export_time); repeated and nested values become JSON text as exported (x_Labels '[{"Key":..,"Value":..}]').
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from include.sources.gcp_billing import json_text
from include.sources.gcp_billing.errors import BillingExportError
from include.sources.gcp_billing.raw_table import without_loaded_batches
from include.sources.gcp_billing.row_key import row_keys

RESOURCE_NAME = "focus_export"
FOCUS = "focus"
EXPORT_TIME = "x_ExportTime"
TABLE_PREFIX = "gcp_billing_export_focus_"
# Columns only a FOCUS dataset has: a table with all of them is a FOCUS export.
FOCUS_MARKERS = frozenset({"BilledCost", "EffectiveCost", "ChargePeriodStart", "BillingAccountId"})

_STRING, _MONEY, _TIME, _FLOAT, _JSON = "string", "decimal", "timestamp", "float64", "json"
# (column, type); the order is the raw table's.
_COLUMNS: list[tuple[str, str]] = [
    ("AvailabilityZone", _STRING), ("BilledCost", _MONEY), ("BillingAccountId", _STRING),
    ("BillingAccountName", _STRING), ("BillingAccountType", _STRING), ("BillingCurrency", _STRING),
    ("BillingPeriodStart", _TIME), ("BillingPeriodEnd", _TIME), ("CapacityReservationId", _STRING),
    ("CapacityReservationStatus", _STRING), ("ChargeCategory", _STRING), ("ChargeClass", _STRING),
    ("ChargeDescription", _STRING), ("ChargeFrequency", _STRING), ("ChargePeriodStart", _TIME),
    ("ChargePeriodEnd", _TIME), ("CommitmentDiscountCategory", _STRING), ("CommitmentDiscountId", _STRING),
    ("CommitmentDiscountName", _STRING), ("CommitmentDiscountQuantity", _MONEY), ("CommitmentDiscountStatus", _STRING),
    ("CommitmentDiscountType", _STRING), ("CommitmentDiscountUnit", _STRING), ("ConsumedQuantity", _MONEY),
    ("ConsumedUnit", _STRING), ("ContractedCost", _MONEY), ("ContractedUnitPrice", _MONEY),
    ("EffectiveCost", _MONEY), ("InvoiceId", _STRING), ("InvoiceIssuerName", _STRING), ("ListCost", _MONEY),
    ("ListUnitPrice", _MONEY), ("PricingCategory", _STRING), ("PricingCurrency", _STRING),
    ("PricingCurrencyContractedUnitPrice", _MONEY), ("PricingCurrencyEffectiveCost", _MONEY),
    ("PricingCurrencyListUnitPrice", _MONEY), ("PricingQuantity", _MONEY), ("PricingUnit", _STRING),
    ("ProviderName", _STRING), ("PublisherName", _STRING), ("RegionId", _STRING), ("RegionName", _STRING),
    ("ResourceId", _STRING), ("ResourceName", _STRING), ("ResourceType", _STRING), ("ServiceCategory", _STRING),
    ("ServiceName", _STRING), ("ServiceSubcategory", _STRING), ("SkuId", _STRING), ("SkuMeter", _STRING),
    ("SkuPriceDetails", _JSON), ("SkuPriceId", _STRING), ("SubAccountId", _STRING), ("SubAccountName", _STRING),
    ("SubAccountType", _STRING), ("Tags", _JSON),
    # Google's columns
    ("x_Credits", _JSON), ("x_CostType", _STRING), ("x_CurrencyConversionRate", _FLOAT), (EXPORT_TIME, _TIME),
    ("x_Location", _STRING), ("x_Project", _JSON), ("x_ServiceId", _STRING), ("x_SystemLabels", _JSON),
    ("x_Labels", _JSON), ("x_ProjectLabels", _JSON), ("x_Tags", _JSON), ("x_SubscriptionInstanceId", _STRING),
    ("x_PriceEffectivePriceDefault", _MONEY), ("x_PriceListPriceConsumptionModel", _MONEY),
    ("x_CostAtEffectivePriceDefault", _MONEY), ("x_CostAtListConsumptionModel", _MONEY),
    ("x_ConsumptionModelId", _STRING), ("x_ConsumptionModelDescription", _STRING),
]
# Without these a row cannot be costed, placed in its billing period or read incrementally (FOCUS: none may be null).
REQUIRED = ("BilledCost", "EffectiveCost", "BillingAccountId", "BillingCurrency", "BillingPeriodStart",
            "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory", EXPORT_TIME)
# BigQuery types a column of each kind may have (money is exact: a FLOAT64 cost would not add up to the cent).
_BIGQUERY_TYPES = {_MONEY: {"NUMERIC", "BIGNUMERIC", "INTEGER", "INT64"},
                   _FLOAT: {"NUMERIC", "BIGNUMERIC", "FLOAT", "FLOAT64"}, _TIME: {"TIMESTAMP", "DATETIME"}}
_NULL_TYPES = {_STRING: "STRING", _MONEY: "NUMERIC", _TIME: "TIMESTAMP", _FLOAT: "FLOAT64", _JSON: "STRING"}
_ARROW = {_STRING: pa.string(), _MONEY: pa.decimal128(38, 9), _TIME: pa.timestamp("us", tz="UTC"),
          _FLOAT: pa.float64(), _JSON: pa.string()}
# Added by the source: the invoice month (YYYYMM), which export it came from, and the row key.
DERIVED_COLUMNS = [("invoice_month", pa.string()), ("export_type", pa.string()), ("row_occurrence", pa.int64()),
                   ("row_key", pa.string())]
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_focus(column_names) -> bool:
    return FOCUS_MARKERS <= set(column_names)


def query_columns(bq_schema: list) -> tuple[list[tuple[str, str, str, str]], set[str]]:
    """The columns to SELECT (output name, expression, kind, arrow type name as the query module takes them) and
    the ones the table has; absent optional columns are read as typed NULLs."""
    present = {field.name for field in bq_schema}
    columns = [(name, f"t.`{name}`" if name in present else f"CAST(NULL AS {_NULL_TYPES[kind]})", kind,
                "string" if kind == _JSON else kind) for name, kind in _COLUMNS]
    return columns, present


def check_table(bq_schema: list, table: str) -> None:
    """A FOCUS table has every required column with a usable type; else BillingExportError naming table and column."""
    fields = {field.name: field for field in bq_schema}
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        raise BillingExportError(f"GCP FOCUS export table {table}: required column {', '.join(missing)} is missing")
    for name, kind in _COLUMNS:
        field = fields.get(name)
        allowed = _BIGQUERY_TYPES.get(kind)
        if field is not None and allowed and field.field_type.upper() not in allowed and field.field_type.upper() != "STRING":
            raise BillingExportError(f"GCP FOCUS export table {table}: column {name} has BigQuery type "
                                     f"{field.field_type}, expected one of {sorted(allowed)}")
        if field is not None and not _IDENTIFIER.match(name):  # names are put into the SQL
            raise BillingExportError(f"GCP FOCUS export table {table}: unexpected column name {name!r}")


def arrow_schema() -> pa.Schema:
    """The pyarrow schema of the raw `focus_export` table."""
    return pa.schema([pa.field(name, _ARROW[kind]) for name, kind in _COLUMNS] +
                     [pa.field(name, kind) for name, kind in DERIVED_COLUMNS])


def _row_name(page: pa.RecordBatch, row: int) -> str:
    value = {name: page.column(name)[row].as_py()
             for name in (EXPORT_TIME, "SubAccountId", "ServiceName", "SkuId", "ChargePeriodStart")}
    return (f"x_ExportTime {value[EXPORT_TIME]}, SubAccountId {value['SubAccountId']!r}, "
            f"ServiceName {value['ServiceName']!r}, SkuId {value['SkuId']!r}, "
            f"ChargePeriodStart {value['ChargePeriodStart']}")


def _is_number(data_type: pa.DataType) -> bool:
    return pa.types.is_integer(data_type) or pa.types.is_floating(data_type) or pa.types.is_decimal(data_type)


def check_page(page: pa.RecordBatch, table: str) -> None:
    """Values the figures cannot do without; the first bad row is named (by its export time, project, service,
    SKU and charge period: BigQuery rows have no number) and nothing of the page is written: a required column
    empty, text in a money or quantity column, a non-finite number."""
    for name, kind in _COLUMNS:
        column = page.column(name)
        if kind in (_MONEY, _FLOAT) and not pa.types.is_null(column.type):
            if not _is_number(column.type):
                valid = np.flatnonzero(column.is_valid().to_numpy(zero_copy_only=False))
                if len(valid):
                    row = int(valid[0])
                    raise BillingExportError(
                        f"GCP FOCUS export table {table}: column {name} holds text {column[row].as_py()!r}, not a "
                        f"number, in the row with {_row_name(page, row)}")
            elif pa.types.is_floating(column.type):
                bad = np.flatnonzero(~pc.fill_null(pc.is_finite(column), True).to_numpy(zero_copy_only=False))
                if len(bad):
                    row = int(bad[0])
                    raise BillingExportError(f"GCP FOCUS export table {table}: column {name} is {column[row].as_py()!r}, "
                                             f"not a finite number, in the row with {_row_name(page, row)}")
        if name in REQUIRED:
            empty = column.is_null()
            if pa.types.is_string(column.type):
                empty = pc.or_(empty, pc.fill_null(pc.equal(column, ""), False))
            rows = np.flatnonzero(pc.fill_null(empty, True).to_numpy(zero_copy_only=False))
            if len(rows):
                raise BillingExportError(f"GCP FOCUS export table {table}: required column {name} is empty in the "
                                         f"row with {_row_name(page, int(rows[0]))}")


def invoice_months(billing_period_start: pa.Array) -> pa.Array:
    """YYYYMM of each BillingPeriodStart, read 12 hours after it (a Pacific or a UTC month start: the same month)."""
    start = pc.cast(billing_period_start, pa.timestamp("us", tz="UTC"))
    shifted = pc.add(start, pa.scalar(12 * 3600 * 1_000_000, pa.duration("us")))
    return pc.strftime(shifted, format="%Y%m")


def _json(column: pa.Array) -> pa.Array:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) or pa.types.is_null(column.type):
        return column
    return json_text.value_json(column) if not pa.types.is_list(column.type) else json_text.array_json(column)


def to_raw_table(page: pa.RecordBatch, schema: pa.Schema, skip: dict[str, int] | None, seen: dict[str, int],
                 table: str) -> pa.Table:
    """One result page (the columns of `query_columns`, `row_occurrence`, `export_batch_rows`) as the raw table,
    without the export batches in `skip` that still have the same row count; every batch's count goes in `seen`."""
    check_page(page, table)
    page = without_loaded_batches(page, skip, seen, EXPORT_TIME)
    out: dict[str, pa.Array] = {}
    values = []
    for name, kind in _COLUMNS:
        column = page.column(name)
        if kind == _JSON:
            column = _json(column)
        values.append(column)
        out[name] = pc.cast(column, schema.field(name).type)
    occurrence = pc.cast(page.column("row_occurrence"), pa.int64())
    out["invoice_month"] = invoice_months(page.column("BillingPeriodStart"))
    out["export_type"] = pa.repeat(pa.scalar(FOCUS, pa.string()), page.num_rows)
    out["row_occurrence"] = occurrence
    out["row_key"] = row_keys(values, occurrence)
    return pa.Table.from_pydict(out, schema=schema)
