"""The chart-choice rules at each threshold (include/rill_dashboards/chart_rules.py), no data needed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from include.rill_dashboards.chart_rules import BAR, LEADERBOARD, PIE, ChartRules, ChartRulesError, choose
from include.rill_dashboards.render import in_filter, rill_string

D = Decimal


def spend(**values) -> dict[str, Decimal]:
    return {("" if name == "unset" else name): D(str(value)) for name, value in values.items()}


def equal_values(count: int, **extra) -> dict[str, Decimal]:
    return {f"v{i:03d}": D(1) for i in range(count)} | {k: D(str(v)) for k, v in extra.items()}


# ---------------------------------------------------------------------------- 5 % of spend
def test_a_dimension_set_on_exactly_5_percent_of_spend_is_kept():
    choice = choose("tag_team", spend(unset=95, a=2, b=2, c=1))
    assert choice.spend_share == D("0.05") and choice.kept


def test_a_dimension_set_on_just_under_5_percent_of_spend_is_left_out():
    choice = choose("tag_team", spend(unset="95.01", a=2, b=2, c=1))
    assert choice.spend_share < D("0.05") and not choice.kept and "< 5 %" in choice.reason


# --------------------------------------------------------------------- more than 2 values
def test_two_distinct_values_are_left_out_and_three_are_kept():
    assert not choose("d", spend(a=50, b=50)).kept
    three = choose("d", spend(a=40, b=30, c=30))
    assert three.kept and three.distinct_values == 3 and three.chart == PIE


def test_unset_rows_are_not_a_value():
    choice = choose("d", spend(unset=10, a=50, b=40))
    assert choice.distinct_values == 2 and not choice.kept


# --------------------------------------------------------------------------- 70 % peeling
def test_a_value_with_exactly_70_percent_of_the_spend_becomes_a_kpi():
    choice = choose("d", spend(a=70, b=20, c=10))
    assert choice.kpi_values == ("a",)
    assert choice.chart == PIE and choice.charted_values == 2  # b: 20 of the remaining 30 is under 70 %


def test_a_value_just_under_70_percent_stays_in_the_chart():
    choice = choose("d", spend(a="69.99", b="20.01", c=10))
    assert choice.kpi_values == () and choice.chart == PIE and choice.charted_values == 3


def test_peeling_repeats_on_what_remains():
    # a: 70/100; b: 21/30 = 70 %; c: the only one left owns all of the rest
    choice = choose("d", spend(a=70, b=21, c=9))
    assert choice.kpi_values == ("a", "b", "c") and choice.chart is None and choice.charted_values == 0
    # a: 80/100; b: 12/20 = 60 %: stops there
    stops = choose("d", spend(a=80, b=12, c=5, d=3))
    assert stops.kpi_values == ("a",) and stops.charted_values == 3


def test_the_share_is_of_the_set_spend_not_of_unset_rows():
    # a owns 70 % of the tagged spend, only 35 % of all spend
    assert choose("d", spend(unset=100, a=70, b=20, c=10)).kpi_values == ("a",)


def test_credits_never_disappear_from_the_page():
    # usage 94 %, then tax owns more than all that remains (credits are negative): peeled; only the credit is
    # left, with negative spend: a leaderboard (a pie or bar of one negative value shows nothing useful)
    credits = choose("d", spend(usage="3797.77", tax="303.82", credit="-75.96"))
    assert credits.kpi_values == ("usage", "tax") and (credits.chart, credits.charted_values) == (LEADERBOARD, 1)
    # a negative value among values still charted: bars, never a pie
    assert choose("d", spend(a=40, b=40, c=30, d=-5)).chart == BAR
    assert choose("d", spend(a=40, b=40, c=30, d=0)).chart == PIE


# ------------------------------------------------------------------- pie / bar / leaderboard
@pytest.mark.parametrize(("values", "chart"), [(3, PIE), (10, PIE), (11, BAR), (40, BAR), (41, LEADERBOARD)])
def test_the_chart_follows_the_number_of_values_left(values, chart):
    choice = choose("d", equal_values(values))
    assert (choice.chart, choice.charted_values) == (chart, values)


@pytest.mark.parametrize(("values", "chart"), [(10, PIE), (11, BAR), (40, BAR), (41, LEADERBOARD)])
def test_the_chart_counts_the_values_left_after_the_kpis(values, chart):
    # one dominant value (≥ 70 %) is peeled first, then `values` equal ones remain
    choice = choose("d", equal_values(values, zz_big=values * 3))
    assert choice.kpi_values == ("zz_big",) and (choice.chart, choice.charted_values) == (chart, values)


def test_no_positive_spend_is_left_out():
    assert not choose("d", spend(a=-1, b=-2, c=0)).kept
    assert not choose("d", {}).kept


# -------------------------------------------------------------------------- configurable
def test_thresholds_are_configurable():
    rules = ChartRules.from_config({"min_spend_share": 0.5, "min_distinct_values": 2, "kpi_share": "0.9",
                                    "pie_max_values": 2, "bar_max_values": 3})
    assert rules.min_spend_share == D("0.5") and rules.kpi_share == D("0.9")
    assert choose("d", spend(a=50, b=50), rules).chart == PIE
    assert choose("d", spend(unset=51, a=25, b=24), rules).kept is False
    assert choose("d", spend(a=80, b=10, c=10), rules).kpi_values == ()  # 80 % < 90 %
    assert choose("d", equal_values(3), rules).chart == BAR
    assert choose("d", equal_values(4), rules).chart == LEADERBOARD


@pytest.mark.parametrize("bad", [{"min_spend_share": 1.5}, {"kpi_share": 0.4}, {"kpi_share": "lots"},
                                 {"pie_max_values": 50}, {"min_distinct_values": 2.5}, {"max_values": 3}],
                         ids=lambda bad: "-".join(f"{k}={v}" for k, v in bad.items()))
def test_invalid_thresholds_are_refused_with_their_name(bad):
    with pytest.raises(ChartRulesError, match=next(iter(bad))):
        ChartRules.from_config(bad)


# ---------------------------------------------------------------------------- filter text
def test_rill_filters_quote_values():
    assert rill_string("it's a\\b") == "'it\\'s a\\\\b'"
    assert in_filter("tag_team", ["", "a"], negate=True) == "tag_team NOT IN ('', 'a')"
    assert in_filter("tag_team", ["x"]) == "tag_team IN ('x')"


def test_the_thresholds_come_from_the_airflow_variable(monkeypatch):
    from include.rill_dashboards import dashboards_config

    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_DASHBOARDS_CONFIG", '{"chart_rules": {"kpi_share": 0.8, "bar_max_values": 50}}')
    rules = ChartRules.from_config(dashboards_config()["chart_rules"])
    assert (rules.kpi_share, rules.bar_max_values, rules.pie_max_values) == (D("0.8"), 50, 10)
    assert choose("d", equal_values(45), rules).chart == BAR
