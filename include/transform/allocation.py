"""Validation of the allocation rules and budgets of the Variable `finops_sql_config`.

    "allocation": {
      "version": "2026-11-v3",                      # recorded on every showback row
      "rules": [                                    # direct cost: the first matching rule names the cost center
        {"name": "web team", "cost_center": "web", "match": {"tags": {"team": ["web", "frontend"]}}},
        {"name": "data accounts", "cost_center": "data", "match": {"provider": "aws", "account": ["2222"]}},
        {"name": "checkout pods", "cost_center": "web", "match": {"cluster": "prod-eks", "namespace": "checkout"}}
      ],
      "shared": [                                   # shared pools, matched before the rules (first match wins)
        {"name": "support", "match": {"service": ["AWSSupportBusiness"]}, "split": "proportional"},
        {"name": "tax", "match": {"charge_category": "Tax"}, "split": {"fixed": {"web": 60, "data": 40}}}
      ]
    },
    "budgets": [
      {"name": "web sept", "month": "2026-09", "amount": "1000", "currency": "USD",
       "scope": {"cost_center": "web"}},            # or provider / account / service / charge_type / tags
    ]

A matcher (`match`, a budget's `scope`) ANDs its fields; a field is one value or a list (any of them).
`tags` maps a configured tag column name (tag_keys) to its values, '' meaning "not tagged". Cost that no
rule maps is the cost center `unallocated`; a shared pool with nothing to split across goes there too.

Cost per customer (`customers`): the value of one configured tag column ties a cost to a Stripe customer id,
directly (the tag value is the id) or through the mapping {tag value: customer id} of
include/sql/seeds/customer_mapping.csv and `customers.mapping` (the Variable wins):

    "customers": {"tag": "customer", "mapping": {"acme-prod": "cus_Q1acme"}}
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from include.transform.errors import SqlConfigError

UNALLOCATED = "unallocated"
# cluster / namespace / workload: EKS / ECS split cost allocation data (AWS; '' on every other cost)
MATCH_FIELDS = ("provider", "account", "service", "charge_type", "charge_category", "cluster", "namespace", "workload")
PROVIDERS = ("aws", "gcp", "azure")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
HUNDRED = Decimal(100)


def _strings(value: Any, where: str) -> list[str]:
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values or any(not isinstance(v, str) for v in values):
        raise SqlConfigError(f"{where}: must be a string or a non-empty list of strings, got {value!r}")
    return list(values)


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SqlConfigError(f"{where}: must be a non-empty string, got {value!r}")
    return value.strip()


def matcher(match: Any, where: str, tag_names: set[str], extra: tuple[str, ...] = ()) -> dict:
    """{field: [values]} and {"tags": {column: [values]}}; unknown fields, tags or providers are errors."""
    if not isinstance(match, Mapping) or not match:
        raise SqlConfigError(f"{where}: must be a non-empty object of {', '.join(MATCH_FIELDS + extra)}, tags")
    unknown = set(match) - set(MATCH_FIELDS) - set(extra) - {"tags"}
    if unknown:
        raise SqlConfigError(f"{where}: unknown field(s) {sorted(unknown)}; use {', '.join(MATCH_FIELDS + extra)}, tags")
    result: dict[str, Any] = {field: _strings(match[field], f"{where}.{field}")
                              for field in MATCH_FIELDS + extra if field in match}
    bad = set(result.get("provider", [])) - set(PROVIDERS)
    if bad:
        raise SqlConfigError(f"{where}.provider: unknown provider(s) {sorted(bad)}; use {', '.join(PROVIDERS)}")
    tags = match.get("tags", {})
    if not isinstance(tags, Mapping):
        raise SqlConfigError(f"{where}.tags: must be an object {{tag column: value(s)}}, got {tags!r}")
    for column in tags:
        if column not in tag_names:
            raise SqlConfigError(f"{where}.tags: {column!r} is not a configured tag column (tag_keys give "
                                 f"{sorted(tag_names)})")
    result["tags"] = [(column, _strings(values, f"{where}.tags.{column}")) for column, values in sorted(tags.items())]
    return result


def _amount(value: Any, where: str, positive: bool = True) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise SqlConfigError(f"{where}: {value!r} is not a number") from exc
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise SqlConfigError(f"{where}: {value!r} must be a {'positive' if positive else 'non-negative'} number")
    return number


def _split(split: Any, where: str) -> dict:
    if split == "proportional":
        return {"kind": "proportional", "weights": []}
    if isinstance(split, Mapping) and set(split) == {"fixed"} and isinstance(split["fixed"], Mapping) and split["fixed"]:
        weights = [(_name(center, f"{where}.fixed"), _amount(weight, f"{where}.fixed.{center}"))
                   for center, weight in split["fixed"].items()]
        total = sum(weight for _, weight in weights)
        if total != HUNDRED:
            raise SqlConfigError(f"{where}.fixed: percentages must add up to 100, they add up to {total}")
        return {"kind": "fixed", "weights": [(center, str(weight)) for center, weight in weights]}
    raise SqlConfigError(f"{where}: must be \"proportional\" or {{\"fixed\": {{cost center: percent}}}}, got {split!r}")


def _rules(items: Any, where: str, kind: str, tag_names: set[str]) -> list[dict]:
    if not isinstance(items, (list, tuple)):
        raise SqlConfigError(f"{where}: must be a list of rules, got {items!r}")
    rules, names = [], set()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise SqlConfigError(f"{where} #{number}: a rule must be an object, got {item!r}")
        name = _name(item.get("name"), f"{where} #{number} name")
        label = f"{where} rule {name!r}"
        if name in names:
            raise SqlConfigError(f"{label}: two rules have this name")
        names.add(name)
        rule = {"name": name, "match": matcher(item.get("match"), f"{label} match", tag_names)}
        if kind == "rules":
            rule["cost_center"] = _name(item.get("cost_center"), f"{label} cost_center")
        else:
            rule["split"] = _split(item.get("split", "proportional"), f"{label} split")
        rules.append(rule)
    return rules


def _budgets(items: Any, tag_names: set[str]) -> list[dict]:
    if not isinstance(items, (list, tuple)):
        raise SqlConfigError(f"budgets: must be a list, got {items!r}")
    budgets, names = [], set()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise SqlConfigError(f"budgets #{number}: must be an object, got {item!r}")
        name = _name(item.get("name"), f"budgets #{number} name")
        label = f"budget {name!r}"
        month = str(item.get("month", ""))
        if not MONTH.match(month):
            raise SqlConfigError(f"{label} month: {month!r} must be YYYY-MM")
        if (name, month) in names:
            raise SqlConfigError(f"{label}: two budgets of {month} have this name")
        names.add((name, month))
        currency = str(item.get("currency", "")).upper()
        if not CURRENCY.match(currency):
            raise SqlConfigError(f"{label} currency: {item.get('currency')!r} is not an ISO 4217 code")
        scope = matcher(item.get("scope"), f"{label} scope", tag_names, extra=("cost_center",))
        cost_center = scope.pop("cost_center", None)
        if cost_center and (set(scope) - {"provider", "tags"} or scope["tags"]):
            raise SqlConfigError(f"{label} scope: cost_center combines with provider only (a cost center's "
                                 "showback includes its share of shared costs, which has no account or service)")
        budgets.append({"name": name, "month": month, "currency": currency,
                        "amount": str(_amount(item.get("amount"), f"{label} amount")),
                        "cost_centers": cost_center or [], "providers": scope.get("provider", []) if cost_center else [],
                        "scope": scope})
    return budgets


CUSTOMER_MAPPING_SEED = Path(__file__).resolve().parent.parent / "sql" / "seeds" / "customer_mapping.csv"


def customer_config(customers: Any, tag_names: set[str], seed: Path = CUSTOMER_MAPPING_SEED) -> dict:
    """The validated `customers` section: the tag column ('' = no cost per customer) and the mapping
    [(tag value, Stripe customer id)] of the seed file, overridden by the Variable's `mapping`."""
    if not isinstance(customers, Mapping):
        raise SqlConfigError(f"customers: must be an object with tag, mapping; got {customers!r}")
    unknown = set(customers) - {"tag", "mapping"}
    if unknown:
        raise SqlConfigError(f"customers: unknown field(s) {sorted(unknown)}; use tag, mapping")
    tag = customers.get("tag") or ""
    if tag and tag not in tag_names:
        raise SqlConfigError(f"customers.tag: {tag!r} is not a configured tag column (tag_keys give {sorted(tag_names)})")
    mapping: dict[str, str] = {}
    if seed.exists():
        with seed.open(newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                where = f"{seed.name} line {number}"
                value = _name(row.get("tag_value"), f"{where} tag_value")
                if value in mapping:
                    raise SqlConfigError(f"{where}: tag value {value!r} is mapped twice")
                mapping[value] = _name(row.get("customer_id"), f"{where} customer_id")
    overrides = customers.get("mapping") or {}
    if not isinstance(overrides, Mapping):
        raise SqlConfigError(f"customers.mapping: must be an object {{tag value: customer id}}, got {overrides!r}")
    for value, customer in overrides.items():
        mapping[_name(value, "customers.mapping key")] = _name(customer, f"customers.mapping.{value}")
    return {"tag": tag, "mapping": sorted(mapping.items())}


def allocation_config(allocation: Any, budgets: Any, tag_names: set[str]) -> dict:
    """The validated `allocation` and `budgets` sections (SqlConfigError names the rule at fault)."""
    if not isinstance(allocation, Mapping):
        raise SqlConfigError(f"allocation: must be an object with version, rules, shared; got {allocation!r}")
    unknown = set(allocation) - {"version", "rules", "shared"}
    if unknown:
        raise SqlConfigError(f"allocation: unknown field(s) {sorted(unknown)}; use version, rules, shared")
    version = _name(allocation.get("version"), "allocation.version")
    rules = _rules(allocation.get("rules", []), "allocation.rules", "rules", tag_names)
    shared = _rules(allocation.get("shared", []), "allocation.shared", "shared", tag_names)
    clash = {rule["name"] for rule in rules} & {pool["name"] for pool in shared}
    if clash:
        raise SqlConfigError(f"allocation: {sorted(clash)} name both a rule and a shared pool")
    return {"allocation": {"version": version, "rules": rules, "shared": shared,
                           "proportional_pools": [pool["name"] for pool in shared if pool["split"]["kind"] == "proportional"],
                           "fixed_weights": [(pool["name"], center, weight) for pool in shared
                                             for center, weight in pool["split"]["weights"]]},
            "budgets": _budgets(budgets, tag_names)}
