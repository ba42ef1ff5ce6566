"""Which dimensions earn a chart on a generated page, and which chart: decided from the data.

The rules of the cloud cost analyzer this platform grew from, with every threshold configurable:

1. A dimension is kept when the rows where it is set (non-empty) carry at least `min_spend_share`
   (5 %) of the page's spend, and it has at least `min_distinct_values` (3, i.e. more than 2) set values.
2. Values that own at least `kpi_share` (70 %) of the *remaining* spend are peeled off as KPIs of
   their own, one after the other (the remaining spend shrinks with each one).
3. What remains is charted by how many values it has: a pie (donut) chart up to `pie_max_values`
   (10), a bar chart up to `bar_max_values` (40), a leaderboard above that. Nothing remains: KPIs only.
   Credits make spend negative, which the original rules do not cover: a rest with a negative value
   is a bar chart instead of a pie, and a rest whose spend is not positive (only credits left) a
   leaderboard, so every value stays on the page.

Spend is compared exactly (Decimal), so a value at exactly 5 % or 70 % meets its threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

PIE, BAR, LEADERBOARD = "pie", "bar", "leaderboard"


class ChartRulesError(ValueError):
    """A threshold of the chart rules is invalid."""


@dataclass(frozen=True)
class ChartRules:
    min_spend_share: Decimal = Decimal("0.05")
    min_distinct_values: int = 3
    kpi_share: Decimal = Decimal("0.70")
    pie_max_values: int = 10
    bar_max_values: int = 40

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> ChartRules:
        """Rules from a JSON object (the `chart_rules` of Variable `finops_dashboards_config`)."""
        config = dict(config or {})
        unknown = set(config) - set(cls.__dataclass_fields__)
        if unknown:
            raise ChartRulesError(f"unknown chart rule(s) {sorted(unknown)}; known: {sorted(cls.__dataclass_fields__)}")
        values = {}
        for name in ("min_spend_share", "kpi_share"):
            if name in config:
                try:
                    values[name] = Decimal(str(config[name]))
                except ArithmeticError as exc:
                    raise ChartRulesError(f"chart rule {name}: {config[name]!r} is not a number") from exc
        for name in ("min_distinct_values", "pie_max_values", "bar_max_values"):
            if name in config:
                if not isinstance(config[name], int) or isinstance(config[name], bool):
                    raise ChartRulesError(f"chart rule {name}: {config[name]!r} is not a whole number")
                values[name] = config[name]
        rules = cls(**values)
        rules.validate()
        return rules

    def validate(self) -> None:
        for name in ("min_spend_share", "kpi_share"):
            value = getattr(self, name)
            if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
                raise ChartRulesError(f"chart rule {name} must be a share between 0 and 1, got {value}")
        if self.kpi_share <= Decimal("0.5"):
            # at most one value can own more than half of what remains: below that "dominant" means nothing
            raise ChartRulesError(f"chart rule kpi_share must be above 0.5, got {self.kpi_share}")
        if self.min_distinct_values < 1 or not 1 <= self.pie_max_values <= self.bar_max_values:
            raise ChartRulesError(
                "chart rules need min_distinct_values >= 1 and 1 <= pie_max_values <= bar_max_values, got "
                f"{self.min_distinct_values}, {self.pie_max_values}, {self.bar_max_values}")


@dataclass(frozen=True)
class DimensionChoice:
    """What a page shows for one dimension."""

    dimension: str
    kept: bool
    reason: str  # why it was kept or left out, for the page's notes and the logs
    spend_share: Decimal  # spend on rows where the dimension is set / the page's spend
    distinct_values: int
    kpi_values: tuple[str, ...] = ()  # peeled off, in order, each shown as its own KPI
    chart: str | None = None  # PIE, BAR, LEADERBOARD or None (KPIs only)
    charted_values: int = 0  # values left for the chart
    top_share: Decimal = field(default=Decimal(0))  # the largest value's share of the set spend (page order)


def chart_for(values: int, rules: ChartRules) -> str:
    if values <= rules.pie_max_values:
        return PIE
    if values <= rules.bar_max_values:
        return BAR
    return LEADERBOARD


def choose(dimension: str, spend_by_value: Mapping[str, Decimal], rules: ChartRules = ChartRules()) -> DimensionChoice:
    """The choice for one dimension from its spend per value ('' = not set, counts in the total only)."""
    total = sum(spend_by_value.values(), Decimal(0))
    set_values = {value: spend for value, spend in spend_by_value.items() if value != ""}
    set_spend = sum(set_values.values(), Decimal(0))
    distinct = len(set_values)
    if total <= 0:
        return DimensionChoice(dimension, False, "no positive spend", Decimal(0), distinct)
    share = set_spend / total
    if share < rules.min_spend_share:
        return DimensionChoice(dimension, False, f"set on {share:.1%} of spend (< {float(rules.min_spend_share) * 100:g} %)",
                               share, distinct)
    if distinct < rules.min_distinct_values:
        return DimensionChoice(dimension, False, f"{distinct} distinct values (< {rules.min_distinct_values})",
                               share, distinct)
    # largest first; equal spend in name order, so the output never depends on the engine's row order
    ordered = sorted(set_values.items(), key=lambda item: (-item[1], item[0]))
    top_share = ordered[0][1] / set_spend if set_spend > 0 else Decimal(0)
    remaining = set_spend
    peeled: list[str] = []
    for value, spend in ordered:
        if remaining <= 0 or spend / remaining < rules.kpi_share:
            break
        peeled.append(value)
        remaining -= spend
    rest = distinct - len(peeled)
    chart = None
    if rest > 0:
        chart = chart_for(rest, rules) if remaining > 0 else LEADERBOARD
        if chart == PIE and any(spend < 0 for value, spend in ordered[len(peeled):]):
            chart = BAR  # a pie cannot show a negative slice (credits): bars can
    reason = f"set on {share:.1%} of spend, {distinct} values"
    return DimensionChoice(dimension, True, reason, share, distinct, tuple(peeled), chart, rest if chart else 0,
                           top_share)
