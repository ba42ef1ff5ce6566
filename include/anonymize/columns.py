"""Which mart columns are money, identifiers, names, free text or tags, and the ClickHouse expression
that anonymizes each. Columns are read from the tables at run time; this mapping names them.

Strings are denied by default: a string column is kept as it is only when it is listed in
PUBLIC_TEXT (categories every provider publishes: services, regions, charge types, currencies) or
MONTH_TEXT; any other string column, e.g. one a later SQL change adds, is pseudonymized. Every
Decimal column is money (scaled) unless listed in NOT_MONEY.

Identifiers and names become `<prefix><16 hex>`: the first 8 bytes of HMAC-SHA256(key, value),
computed in SQL from the key's inner and outer pads passed as query parameters (never in the SQL
text). The token depends on the value only, so the same account id gives the same token in every
table and joins still work; '' stays '' (untagged stays untagged) and NULL stays NULL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ------------------------------------------------------------------------------ the mapping
# Values of a pseudonymized column that are the project's own words, not the user's: kept, so dashboards that
# filter on them (showback's unallocated cost) give the same answer on the anonymized copy.
KEPT_VALUES = {"cost_center": ("unallocated",)}
IDENTIFIERS = {  # column -> token prefix; columns holding the same kind of value share a prefix
    **dict.fromkeys(("payer_account_id", "usage_account_id", "account_id", "billing_account_id", "project_id",
                     "project_number", "BillingAccountId", "SubAccountId"), "acct_"),
    **dict.fromkeys(("payer_account_name", "usage_account_name", "account_name", "project_name",
                     "BillingAccountName", "SubAccountName"), "name_"),
    **dict.fromkeys(("customer", "customer_id"), "cus_"),
    "subscription": "sub_",
    **dict.fromkeys(("resource_id", "ResourceId", "resource_name", "resource_global_name", "ResourceName",
                     "commitment_arn", "CommitmentDiscountId", "CommitmentDiscountName", "committed_use_credit_id",
                     "CapacityReservationId", "capacity_reservation_arn", "commitment_id", "ContractCommitmentId",
                     "ContractId", "parent_resource_id", "split_parent_resource_id", "AllocatedResourceId",
                     "allocated_resource_id", "AllocatedResourceName", "allocated_resource_name"), "res_"),
    **dict.fromkeys(("line_item_id", "x_LineItemId", "row_key", "invoice_id", "InvoiceId", "origin_line_item_id"), "rec_"),
}
FREE_TEXT_PREFIX = "text_"  # descriptions and any string column not listed here
TAG_PREFIX = "tag_"
TAG_MAPS = {"resource_tags", "cost_category", "labels", "project_labels", "system_labels"}  # Map(String, String)
TAG_JSON = {"Tags", "tags_json", "AllocatedTags"}  # JSON objects of tag values
MONEY_JSON = {"x_CreditsByType"}  # JSON objects of amounts
TAG_VALUE = "tag_value"  # long (tag_key, tag_value) rollups
TAG_KEY = "tag_key"
PUBLIC_TEXT = {
    "AvailabilityZone", "BillingAccountType", "BillingCurrency", "CapacityReservationStatus", "ChargeCategory",
    "ChargeClass", "ChargeFrequency", "CommitmentDiscountCategory", "CommitmentDiscountStatus",
    "CommitmentDiscountType", "CommitmentDiscountUnit", "ConsumedUnit", "InvoiceIssuerName", "PricingCategory",
    "PricingCurrency", "PricingUnit", "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceType",
    "ServiceCategory", "ServiceName", "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceDetails", "SkuPriceId",
    "SubAccountType", "x_ChargeType", "x_ExportType", "x_Operation", "x_Provider", "x_UsageType",
    "adjustment_type", "availability_zone", "billing_entity", "charge_category", "charge_type", "commitment_type",
    "cost_type", "country", "currency", "export_type", "invoicing_entity", "legal_entity", "line_item_type",
    "load_id", "location", "movement", "mrr_source", "operation", "price_unit", "pricing_currency", "pricing_term",
    "pricing_unit", "product_code", "product_family", "provider", "publisher_type", "rate_id", "region",
    "reporting_category", "reporting_currency", "seller_name", "service", "service_category",
    "service_description", "service_id", "service_name", "service_subcategory", "sku_description", "sku_id",
    "status", "tag_key", "tax_type", "transaction_type", "type", "usage_pricing_unit", "usage_type",
    "usage_unit", "zone", "missing_fx", "capacity_reservation_status",
    "severity",  # reconciliation_checks: error / warning (the dashboard counts warnings by it)
    "ServiceProviderName", "HostProviderName", "BillingPeriodStatus", "x_CorrectionHandling",  # FOCUS 1.4 (focus, focus_billing_periods)
    # split cost allocation: the method and its ratios / units (no names: the pod is in AllocatedResourceId)
    "AllocatedMethodId", "allocated_method_id", "AllocatedMethodDetails", "allocated_method_details",
}
MONTH_TEXT = {"billing_period", "invoice_month", "month", "x_BillingMonth"}  # 'YYYY-MM' / 'YYYYMM'
NOT_MONEY = {"rate_to_usd", "CommitmentDiscountQuantity", "ConsumedQuantity", "PricingQuantity", "percent_off",
             "period_to_month"}  # Decimal, not money
FLOAT_MONEY = {"stddev_28d", "daily_trend"}  # Float64 columns in money units
# Per-provider factors: which provider a row or column belongs to.
PROVIDER_COLUMNS = ("provider", "x_Provider", "ProviderName")
PROVIDER_VALUES = {"aws": ("aws", "amazon web services"), "gcp": ("gcp", "google cloud"),
                   "azure": ("azure", "microsoft")}
# Models of one provider: staging and intermediate models are named stg_<source>__ / int_<provider>__.
TABLE_PROVIDERS = {"stg_aws__": "aws", "int_aws__": "aws", "stg_gcp__": "gcp", "int_gcp__": "gcp",
                   "stg_azure__": "azure", "int_azure__": "azure",
                   "stg_stripe__": "stripe", "int_stripe__": "stripe", "monthly_revenue": "stripe"}
COLUMN_PROVIDERS = {"aws_": "aws", "gcp_": "gcp", "azure_": "azure", "revenue": "stripe", "cash_revenue": "stripe",
                    "recognised_revenue": "stripe", "stripe_": "stripe"}

DECIMAL = re.compile(r"Decimal")
DATE = re.compile(r"^(Nullable\()?(Date|Date32|DateTime|DateTime64)\b")
FLOAT = re.compile(r"^(Nullable\()?Float(32|64)\)?$")
INTEGER_OR_FLAG = re.compile(r"^(Nullable\()?(Bool|U?Int(8|16|32|64|128|256))\)?$")
STRINGISH = re.compile(r"^(LowCardinality\()?(Nullable\()?(String|FixedString)")


class AnonymizeError(RuntimeError):
    """The copy cannot be made safely; the message names the table and column."""


@dataclass(frozen=True)
class Settings:
    factors: dict[str, str]  # provider -> factor ("all" when one factor scales every provider)
    date_shift_years: int
    keep_tag_values: frozenset[str]  # tag column suffixes and raw keys whose values stay


PARAMS = "unhex({anon_ipad:String})", "unhex({anon_opad:String})"


def token(value_sql: str, prefix: str) -> str:
    ipad, opad = PARAMS
    digest = f"SHA256(concat({opad}, SHA256(concat({ipad}, toString({value_sql})))))"
    return f"if({value_sql} = '', {value_sql}, concat('{prefix}', lower(hex(substring({digest}, 1, 8)))))"


def keep_list(settings: Settings) -> str:
    return "[" + ", ".join("'" + k.replace("\\", "\\\\").replace("'", "\\'") + "'" for k in sorted(settings.keep_tag_values)) + "]"


def map_values(column: str, settings: Settings) -> str:
    return f"mapApply((k, v) -> (k, if(has({keep_list(settings)}, k), v, {token('v', TAG_PREFIX)})), `{column}`)"


def json_values(column: str, inner: str) -> str:
    """A JSON object column rebuilt with `inner` applied to its map; NULL and '' stay."""
    return f"if(ifNull(`{column}`, '') = '', `{column}`, {inner})"


def factor(table: str, column: str, columns: dict[str, str], settings: Settings) -> str:
    """The factor (SQL) of a money column: one literal, or chosen by the row's / table's / column's provider."""
    if "all" in settings.factors:
        return "{anon_factor_all:String}"
    provider_column = next((c for c in PROVIDER_COLUMNS if c in columns), None)
    if provider_column:
        cases = ", ".join(f"lower(`{provider_column}`) IN {tuple(names)}, {{anon_factor_{p}:String}}"
                          for p, names in PROVIDER_VALUES.items())
        # other values cannot occur: copy.py checks the column's values before copying
        return f"multiIf({cases}, '0')"
    for prefix, provider in TABLE_PROVIDERS.items():
        if table.startswith(prefix):
            return f"{{anon_factor_{provider}:String}}"
    for prefix, provider in COLUMN_PROVIDERS.items():
        if column.startswith(prefix):
            return f"{{anon_factor_{provider}:String}}"
    raise AnonymizeError(
        f"{table}.{column} mixes providers: with a factor per provider its anonymized value would not be the sum "
        "of its parts; use one factor (per_provider_factors: false) or leave the table out (tables)")


def expression(table: str, column: str, type_: str, columns: dict[str, str], settings: Settings) -> tuple[str, str]:
    """(SQL expression, kind) that anonymizes one column; the expression keeps the column's type."""
    quoted = f"`{column}`"
    if column in IDENTIFIERS:
        return token(quoted, IDENTIFIERS[column]), "identifier"
    if type_.startswith("Map(") and "Decimal" in type_:
        f = factor(table, column, columns, settings)
        return f"mapApply((k, v) -> (k, v * toDecimal64({f}, 6)), {quoted})", "money"
    if DECIMAL.search(type_) and column not in NOT_MONEY:
        return f"{quoted} * toDecimal64({factor(table, column, columns, settings)}, 6)", "money"
    if FLOAT.match(type_) and column in FLOAT_MONEY:
        return f"{quoted} * toFloat64({factor(table, column, columns, settings)})", "money"
    if column in MONEY_JSON:
        f = factor(table, column, columns, settings)
        inner = (f"toJSONString(mapApply((k, v) -> (k, v * toFloat64({f})), "
                 f"CAST(JSONExtractKeysAndValues(ifNull({quoted}, ''), 'Float64'), 'Map(String, Float64)')))")
        return json_values(column, inner), "money"
    if DATE.match(type_):
        return (f"addYears({quoted}, {settings.date_shift_years})" if settings.date_shift_years else quoted), "date"
    if column in MONTH_TEXT:
        if not settings.date_shift_years:
            return quoted, "month"
        year = f"toString(toInt32(substring({quoted}, 1, 4)) + {settings.date_shift_years})"
        return f"if(match({quoted}, '^[0-9]{{4}}-?[0-9]{{2}}$'), concat({year}, substring({quoted}, 5)), {quoted})", "month"
    if column in PUBLIC_TEXT:
        return quoted, "public"
    if column.startswith(TAG_PREFIX) and STRINGISH.match(type_):
        name = column[len(TAG_PREFIX):]
        return (quoted, "tag kept") if name in settings.keep_tag_values else (token(quoted, TAG_PREFIX), "tag")
    if column == TAG_VALUE and TAG_KEY in columns:
        return f"if(has({keep_list(settings)}, `{TAG_KEY}`), {quoted}, {token(quoted, TAG_PREFIX)})", "tag"
    if column in TAG_MAPS or type_ == "Map(String, String)":
        return map_values(column, settings), "tag map"
    if column in TAG_JSON:
        inner = (f"toJSONString({map_values('__tags', settings)})".replace(
            "`__tags`", f"CAST(JSONExtractKeysAndValues(ifNull({quoted}, ''), 'String'), 'Map(String, String)')"))
        return json_values(column, inner), "tag json"
    if column in KEPT_VALUES and STRINGISH.match(type_):
        kept = ", ".join("'" + value + "'" for value in KEPT_VALUES[column])
        return f"if({quoted} IN ({kept}), {quoted}, {token(quoted, FREE_TEXT_PREFIX)})", "free text"
    if STRINGISH.match(type_):
        return token(quoted, FREE_TEXT_PREFIX), "free text"
    if type_.startswith("Array("):
        element = type_[len("Array("):-1]
        if INTEGER_OR_FLAG.match(element):
            return quoted, "kept"  # flags and counts per element
        if DECIMAL.search(element):
            if column in NOT_MONEY:
                return quoted, "kept"  # percentages, ratios
            return f"arrayMap(x -> x * toDecimal64({factor(table, column, columns, settings)}, 6), {quoted})", "money"
        if STRINGISH.match(element):
            return f"arrayMap(x -> {token('x', FREE_TEXT_PREFIX)}, {quoted})", "free text"
        if DATE.match(element):
            shifted = f"arrayMap(x -> addYears(x, {settings.date_shift_years}), {quoted})"
            return (shifted if settings.date_shift_years else quoted), "date"
    if type_.startswith(("Map(", "Array(", "Tuple(", "Nested(")):
        raise AnonymizeError(f"{table}.{column} ({type_}): no rule for this type; add the column to include/anonymize/columns.py")
    return quoted, "kept"  # counts, flags, ratios (shares and percentages stay true)
