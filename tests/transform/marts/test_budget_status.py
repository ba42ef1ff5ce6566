"""Budgets per scope and month: actual to date, month-end forecast, status (on track / at risk / over)."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from include.transform import SqlConfigError
from include.transform.config import sql_config
from tests.helpers.transform import q, run
from tests.transform.marts.model_contract import assert_yaml_holds
from tests.transform.raw import aws_line, write_aws_period

D = Decimal


def daily(team: str, cost: float, day: int) -> dict:
    """A whole-day line of 2026-09-<day>: ten such days make the month's as-of exactly 10 elapsed days."""
    start = datetime(2026, 9, day, tzinfo=UTC)
    return aws_line("2026-09", "Usage", cost, resource_tags=json.dumps({"user:team": team}),
                    line_item_usage_start_date=start, line_item_usage_end_date=start + timedelta(days=1))


def budget(name: str, amount: str, scope: dict, currency: str = "USD") -> dict:
    return {"name": name, "month": "2026-09", "amount": amount, "currency": currency, "scope": scope}


CONFIG = {
    "fx_rates": [{"month": "2026-09", "currency": "EUR", "rate_to_usd": "1.25"}],
    "allocation": {"version": "v1", "rules": [{"name": "a", "cost_center": "alpha", "match": {"tags": {"team": "a"}}}]},
    "budgets": [
        budget("team a on track", "400", {"tags": {"team": "a"}}),
        budget("team a at risk", "250", {"tags": {"team": "a"}}),
        budget("team a over", "90", {"tags": {"team": "a"}}),
        budget("alpha", "250", {"cost_center": "alpha", "provider": "aws"}),
        budget("ec2 in EUR", "300", {"provider": "aws", "service": "AmazonEC2"}, currency="EUR"),
        budget("in PLN", "100", {"service": "AmazonEC2"}, currency="PLN"),
        budget("nothing", "10", {"account": "000000000000"}),
    ],
}


def test_budget_status_for_each_status(data_dir):
    # 10 days of team a at 10/day and team b at 5/day: a flat series, forecast 30 days x the daily cost
    write_aws_period(data_dir, "2026-09", [daily("a", 10.0, d) for d in range(1, 11)]
                     + [daily("b", 5.0, d) for d in range(1, 11)])
    run("aws", config=CONFIG)
    assert q("SELECT elapsed_days, forecast FROM finops.cost_forecast WHERE month = '2026-09'") == [(10.0, D(450))]
    rows = {r[0]: r[1:] for r in q(
        "SELECT budget_name, budget_amount, actual_cost, forecast_cost, forecast_pct_of_budget, status, missing_fx "
        "FROM finops.budget_status WHERE month = '2026-09'")}
    assert rows == {
        "team a on track": (D(400), D(100), D(300), 75.0, "on track", []),
        "team a at risk": (D(250), D(100), D(300), 120.0, "at risk", []),
        "team a over": (D(90), D(100), D(300), 333.33, "over", []),
        # the cost center's showback (100) scaled by AWS's forecast / to date (450 / 150)
        "alpha": (D(250), D(100), D(300), 120.0, "at risk", []),
        # 150 USD = 120 EUR to date, 450 USD = 360 EUR forecast
        "ec2 in EUR": (D(300), D(120), D(360), 120.0, "at risk", []),
        # no PLN rate for September: the USD cost is left out and listed, not converted with a wrong rate
        "in PLN": (D(100), D(0), D(0), 0.0, "on track", ["USD"]),
        "nothing": (D(10), D(0), D(0), 0.0, "on track", []),
    }
    assert_yaml_holds("int_cloud_cost_allocated", "budget_status")


@pytest.mark.parametrize(("budgets", "message"), [
    ([budget("b", "100", {"cost_center": "alpha", "service": "AmazonEC2"})],
     "budget 'b' scope: cost_center combines with provider only"),
    ([{**budget("b", "100", {"provider": "aws"}), "month": "2026-13"}], "budget 'b' month: '2026-13' must be YYYY-MM"),
    ([budget("b", "0", {"provider": "aws"})], "budget 'b' amount: '0' must be a positive number"),
    ([budget("b", "100", {"provider": "aws"}, currency="dollars")], "budget 'b' currency: 'dollars' is not an ISO 4217 code"),
    ([budget("b", "100", {"tags": {"owner": "x"}})], "budget 'b' scope.tags: 'owner' is not a configured tag column"),
    ([budget("b", "100", {"provider": "aws"}), budget("b", "200", {"provider": "gcp"})],
     "budget 'b': two budgets of 2026-09 have this name"),
])
def test_budgets_are_validated_naming_the_budget(budgets, message):
    with pytest.raises(SqlConfigError) as error:
        sql_config({"budgets": budgets})
    assert message in str(error.value)
