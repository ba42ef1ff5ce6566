"""The validated configuration of the models: Airflow Variable `finops_sql_config`, seeds, periods.

Everything is checked before any SQL runs (SqlConfigError names the setting, file and line).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from include import settings
from include.transform.allocation import allocation_config, customer_config
from include.transform.errors import SqlConfigError
from include.transform.literals import identifier
from include.transform.table_engine import table_engine

SEEDS_DIR = Path(__file__).resolve().parent.parent / "sql" / "seeds"
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
    # Days after a billing period ends until its invoice is final, for the FOCUS BillingPeriodStatus of the
    # providers whose export has no invoice status (finops.focus_billing_periods): set them to your invoice date.
    "billing_period_closing_days": {"gcp": 5, "azure": 5},
    # Showback (include/transform/allocation.py documents the shape): `rules` map cost to cost centers
    # (first match wins), `shared` pools split across them; `version` is recorded on every showback row.
    "allocation": {"version": "unversioned", "rules": [], "shared": []},
    # Budgets per scope and month (include/transform/allocation.py): [{"name", "month", "amount", "currency",
    # "scope": {...}}]; finops.budget_status compares them with the actual and forecast cost.
    "budgets": [],
    # When a billing account's month arrives through two inputs of one provider (AWS CUR and the FOCUS 1.2
    # export; GCP billing export and its FOCUS export table), the one that counts
    # (include/sql/intermediate/int_cloud_cost_inputs.sql); the other is kept but not counted. An account-month
    # only one input has is counted whatever this says.
    "cost_inputs": {"aws": "cur", "gcp": "billing_export"},
    # Cost per customer (include/transform/allocation.py): {"tag": tag column, "mapping": {tag value: customer id}}
    "customers": {"tag": "", "mapping": {}},
    # A cluster (include/transform/table_engine.py): the runner's table engine (MergeTree, ReplicatedMergeTree,
    # SharedMergeTree) and the cluster its DDL runs ON CLUSTER (empty: one server, or a Replicated database).
    "table_engine": "MergeTree",
    "on_cluster": "",
}
# The inputs a provider's cost can come from (the first is the default preference).
COST_INPUTS = {"aws": ("cur", "focus_export"), "gcp": ("billing_export", "focus_export")}

MONTH = re.compile(r"^(\d{4})-?(0[1-9]|1[0-2])$")  # fx months: YYYY-MM or YYYYMM
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")  # periods to rebuild: YYYY-MM only
CURRENCY = re.compile(r"^[A-Za-z]{3}$")
CHANGED = "changed"


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


def normalize_month(value: Any) -> str:
    match = MONTH.match(str(value).strip())
    if not match:
        raise SqlConfigError(f"month {value!r} must be YYYY-MM (or YYYYMM)")
    return f"{match.group(1)}-{match.group(2)}"


def parse_periods(periods: Any) -> list[str] | str | None:
    """What the DAGs pass: None (rebuild everything), "changed", or a list of `YYYY-MM` months
    (returned sorted, without duplicates). Anything else is a SqlConfigError."""
    if periods is None or periods == CHANGED:
        return periods
    if not isinstance(periods, (list, tuple)):
        raise SqlConfigError(f"periods must be None, {CHANGED!r} or a list of YYYY-MM months, got {periods!r}")
    bad = [p for p in periods if not isinstance(p, str) or not PERIOD.match(p)]
    if bad:
        raise SqlConfigError(f"periods must be YYYY-MM months, got {bad!r}")
    return sorted(set(periods))


# finops.fx_rates holds rates as Decimal(38, 18) (macros.jinja FX_RATE_SCALE), and amounts are multiplied by
# them: a rate that rounds to 0 at 18 decimals would turn every amount into 0 (or a division by zero), and one
# above this bound (no currency unit is worth a million USD) would overflow the products. A rate written with
# more decimals is rounded to 18 here, not cut off by ClickHouse's cast.
FX_RATE_SCALE = Decimal("1e-18")
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
    kept = number.quantize(FX_RATE_SCALE, rounding=ROUND_HALF_EVEN)
    if kept == 0:
        raise SqlConfigError(f"{what}: {value!r} rounds to 0 at the 18 decimals rates are kept with (underflow)")
    return kept if number.as_tuple().exponent < -18 else number


def fx_rates(overrides: Iterable[Mapping] = (), seed: Path = SEEDS_DIR / "fx_rates.csv") -> list[tuple[str, str, str]]:
    """(month, CURRENCY, rate_to_usd) rows: the seed file, then the overrides (same month+currency wins)."""
    rates: dict[tuple[str, str], Decimal] = {}

    def add(row: Mapping, where: str) -> None:
        currency = str(row.get("currency", "")).strip()
        if not CURRENCY.match(currency):
            raise SqlConfigError(f"{where}: currency {currency!r} is not an ISO 4217 code")
        month = normalize_month(row.get("month", ""))
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
    return [(month, currency, format(rate, "f")) for (month, currency), rate in sorted(rates.items())]


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


def _closing_days(overrides: Mapping) -> dict[str, int]:
    defaults = DEFAULT_CONFIG["billing_period_closing_days"]
    if unknown := set(overrides) - set(defaults):
        raise SqlConfigError(f"billing_period_closing_days: unknown provider(s) {sorted(unknown)}, known: {sorted(defaults)}")
    days = {**defaults, **overrides}
    for provider, value in days.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 60:
            raise SqlConfigError(f"billing_period_closing_days.{provider}: {value!r} must be a whole number of days, 0 to 60")
    return days


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
    tags = {provider: tag_columns(tag_keys.get(provider) or [], provider) for provider in ("aws", "gcp")}
    preferred = {**DEFAULT_CONFIG["cost_inputs"], **(config.get("cost_inputs") or {})}
    for provider, value in preferred.items():
        if value not in COST_INPUTS.get(provider, ()):
            raise SqlConfigError(f"cost_inputs.{provider} must be one of {list(COST_INPUTS.get(provider, ()))}, got {value!r}")
    # Azure resource tags are plain keys like GCP labels: without `tag_keys.azure` the GCP keys are used
    tags["azure"] = tag_columns(tag_keys["azure"], "azure") if "azure" in tag_keys else tags["gcp"]
    return {
        "cost_inputs": preferred,
        "tags": tags,
        "reporting_currency": currency.upper(),
        "fx_rates": fx_rates(config.get("fx_rates") or []),
        "service_categories": service_categories(),
        "anomaly": {key: _number(anomaly, key, anomaly_defaults) for key in anomaly_defaults},
        "forecast": {key: _number(forecast, key, forecast_defaults) for key in forecast_defaults},
        "billing_period_closing_days": _closing_days(config.get("billing_period_closing_days") or {}),
        "table_engine": table_engine(config.get("table_engine"), config.get("on_cluster")),
        **allocation_config(config.get("allocation") or DEFAULT_CONFIG["allocation"], config.get("budgets") or [],
                            {name for pairs in tags.values() for name, _ in pairs}),
        "customers": customer_config(config.get("customers") or DEFAULT_CONFIG["customers"],
                                     {name for pairs in tags.values() for name, _ in pairs}),
    }
