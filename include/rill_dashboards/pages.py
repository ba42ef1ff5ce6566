"""The data side of the generated dashboards: per provider, which mart and Rill model a page reads,
which of its columns are money and dimensions (read from the table at run time), and the spend per
value of every candidate dimension, queried on ClickHouse (chdb locally, the server in production).

Column names change with the SQL layer, so nothing here assumes one: each role lists the names it
accepts, in order of preference, and the first column the mart has wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from include import settings

TAG_PREFIX = "tag_"
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ProviderSource:
    """Where a provider's page reads from and which columns play which role."""

    provider: str
    title: str
    mart: str  # table or view of database finops
    tag_word: str  # "tag" (AWS) or "label" (GCP), for titles
    timeseries: tuple[str, ...]
    # measure role -> (display name, accepted column names in order of preference)
    money: dict[str, tuple[str, tuple[str, ...]]]
    # candidate dimensions besides the tag columns: (accepted column names, display name)
    dimensions: tuple[tuple[tuple[str, ...], str], ...]


# The small mapping of which columns are money and which are dimensions. `billed` is the spend the
# chart rules compare (what the invoice shows after discounts: FOCUS BilledCost).
PROVIDERS = (
    ProviderSource(
        provider="aws", title="AWS", mart="int_aws__cost_line_items_tagged", tag_word="tag", timeseries=("usage_date",),
        money={
            "billed": ("Billed cost", ("billed_cost", "net_unblended_cost")),
            "effective": ("Effective cost", ("effective_cost", "net_amortized_cost")),
            "list": ("List cost", ("list_cost", "public_on_demand_cost")),
        },
        dimensions=(
            (("usage_account_name", "account_name"), "Account"),
            (("product_code", "service_name"), "Service"),
            (("region",), "Region"),
            (("line_item_type", "charge_type"), "Line item type"),
            (("usage_type",), "Usage type"),
        ),
    ),
    ProviderSource(
        provider="gcp", title="GCP", mart="int_gcp__cost_line_items_tagged", tag_word="label", timeseries=("usage_date",),
        money={
            "billed": ("Billed cost", ("billed_cost", "net_cost")),
            "effective": ("Effective cost", ("effective_cost", "net_cost")),
            "list": ("List cost", ("list_cost", "cost_at_list")),
        },
        dimensions=(
            (("project_name", "account_name"), "Project"),
            (("service_description", "service_name"), "Service"),
            (("region",), "Region"),
            (("cost_type", "charge_type"), "Cost type"),
            (("sku_description",), "SKU"),
        ),
    ),
)


class PageDataError(RuntimeError):
    """A mart or Rill model a generated page needs is missing or unusable."""


@dataclass
class ProviderData:
    """What one provider's pages are generated from."""

    source: ProviderSource
    model: str  # the Rill model (rill/models) that passes the mart through
    timeseries: str
    measures: dict[str, tuple[str, str]]  # role -> (column, display name), only the roles the mart has
    dimensions: list[tuple[str, str, bool]]  # (column, display name, is a tag column), page order
    spend: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # column -> value -> billed spend
    currencies: list[str] = field(default_factory=list)


def rill_model_for(mart: str, rill_dir: Path) -> str:
    """The model of rill/models whose production SQL reads `finops.<mart>` (names are not assumed)."""
    pattern = re.compile(rf"\b{re.escape(settings.MART_DATABASE)}\.{re.escape(mart)}\b")
    found = []
    for path in sorted((rill_dir / "models").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text()) or {}
        if spec.get("type") == "model" and pattern.search(str((spec.get("prod") or {}).get("sql", ""))):
            found.append(spec.get("name") or path.stem)
    if len(found) != 1:
        raise PageDataError(f"expected one Rill model in {rill_dir / 'models'} reading "
                            f"{settings.MART_DATABASE}.{mart}, found {found or 'none'}")
    return found[0]


def mart_columns(client, mart: str) -> dict[str, str]:
    rows = client.query(
        "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position",
        parameters={"db": settings.MART_DATABASE, "t": mart},
    ).result_rows
    return dict(rows)


def first_present(candidates: tuple[str, ...], columns: dict[str, str]) -> str | None:
    return next((name for name in candidates if name in columns), None)


def describe(client, source: ProviderSource, rill_dir: Path, tag_names: dict[str, str]) -> ProviderData | None:
    """The provider's columns by role, or None when its mart does not exist (provider not loaded).

    `tag_names` maps a tag column's suffix to its configured key (`team` -> `user:team`), for titles;
    every `tag_<name>` column of the mart is a candidate, configured or not.
    """
    columns = mart_columns(client, source.mart)
    if not columns:
        return None
    timeseries = first_present(source.timeseries, columns)
    measures = {role: (column, label) for role, (label, candidates) in source.money.items()
                if (column := first_present(candidates, columns))}
    if timeseries is None or "billed" not in measures:
        raise PageDataError(f"{settings.MART_DATABASE}.{source.mart} has no time column {source.timeseries} or no "
                            f"billed cost column {source.money['billed'][1]}; its columns: {sorted(columns)}")
    dimensions: list[tuple[str, str, bool]] = []
    for candidates, label in source.dimensions:
        column = first_present(candidates, columns)
        if column and column not in {d[0] for d in dimensions}:
            dimensions.append((column, label, False))
    for column in columns:
        if column.startswith(TAG_PREFIX) and IDENTIFIER.match(column):
            suffix = column[len(TAG_PREFIX):]
            key = tag_names.get(suffix, suffix)
            dimensions.append((column, f"{source.tag_word.capitalize()}: {key}", True))
    return ProviderData(source, rill_model_for(source.mart, rill_dir), timeseries, measures, dimensions)


def load_spend(client, data: ProviderData) -> None:
    """Billed spend per value of every candidate dimension (one query per dimension, on ClickHouse)."""
    spend_column = data.measures["billed"][0]
    table = f"`{settings.MART_DATABASE}`.`{data.source.mart}`"
    for column, _, _ in data.dimensions:
        rows = client.query(
            f"SELECT toString(ifNull(`{column}`, '')) AS value, sum(`{spend_column}`) FROM {table} GROUP BY value"
        ).result_rows
        data.spend[column] = {value: Decimal(str(spend)) for value, spend in rows}
    if "currency" in mart_columns(client, data.source.mart):
        data.currencies = sorted(
            value for (value,) in client.query(f"SELECT DISTINCT upper(toString(currency)) FROM {table}").result_rows)
