"""Budgets per scope and month: actual to date, month-end forecast, status (on track / at risk / over)."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from include.transform import SqlConfigError
from include.transform.config import sql_config
from tests.helpers.transform import q, run
from tests.transform.marts.model_contract import assert_yaml_holds
from tests.transform.raw import aws_line, azure_rows, write_aws_period, write_azure_month

D = Decimal


def whole_day(line_type: str, cost: float, day: int, **columns) -> dict:
    """A whole-day line of 2026-09-<day>: ten such days make the month's as-of exactly 10 elapsed days."""
    start = datetime(2026, 9, day, tzinfo=UTC)
    return aws_line("2026-09", line_type, cost, line_item_usage_start_date=start,
                    line_item_usage_end_date=start + timedelta(days=1), **columns)


def daily(team: str, cost: float, day: int) -> dict:
    return whole_day("Usage", cost, day, resource_tags=json.dumps({"user:team": team}))


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


def aws_budget_row(amount: str) -> tuple:
    """(actual, forecast, status) of a budget of `amount` USD over all of AWS's September."""
    config = {"budgets": [budget("aws", amount, {"provider": "aws"})]}
    run("aws", config=config)
    return q("SELECT actual_cost, forecast_cost, status FROM finops.budget_status WHERE budget_name = 'aws'")[0]


def test_budget_forecast_projects_the_hourly_fee_of_a_fully_used_savings_plan(data_dir):
    """AWS cur-sp.html: the SavingsPlanRecurringFee (product ComputeSavingsPlans) is "added every hour/day of the
    billing period"; fully used, its amortized cost is 0, so the effective forecast has nothing to scale it by. The
    budget projects the billed fee by the billed forecast."""
    sp = "arn:aws:savingsplans::999999999999:savingsplan/abc"
    rows = []
    for day in range(1, 11):
        rows += [
            whole_day("SavingsPlanCoveredUsage", 360.0, day, savings_plan_savings_plan_effective_cost=240.0,
                      pricing_public_on_demand_cost=360.0, savings_plan_savings_plan_a_r_n=sp),
            whole_day("SavingsPlanNegation", -360.0, day, savings_plan_savings_plan_a_r_n=sp),
            whole_day("SavingsPlanRecurringFee", 240.0, day, line_item_product_code="ComputeSavingsPlans",
                      line_item_usage_type="ComputeSP:1yrNoUpfront", line_item_resource_id=sp,
                      savings_plan_savings_plan_a_r_n=sp, savings_plan_total_commitment_to_date=240.0,
                      savings_plan_used_commitment=240.0, savings_plan_recurring_commitment_for_billing_period=7200.0),
        ]
    write_aws_period(data_dir, "2026-09", rows)
    # billed to date: EC2 360 - 360 = 0 a day, the fee 240 a day: 2,400 over 10 of 30 days; month end 240 x 30 =
    # 7,200 > 5,000 (was 2,400, 'on track': the actual kept as it is)
    assert aws_budget_row("5000") == (D(2400), D(7200), "at risk")
    assert q("SELECT service_name, cost_to_date, forecast, billed_cost_to_date, billed_forecast "
             "FROM finops.cost_forecast WHERE service_name = 'ComputeSavingsPlans'") == [
        ("ComputeSavingsPlans", D(0), D(0), D(2400), D(7200))]
    assert_yaml_holds("cost_forecast", "budget_status")


def test_budget_forecast_does_not_scale_a_monthly_ri_fee_by_the_usage_run_rate(data_dir):
    """AWS amortized-reservation.html: the RIFee is billed once for the month (unblended cost); amortized, it is in
    the DiscountedUsage lines (reservation_effective_cost, unblended 0). The billed lump on the 1st counts as it is
    instead of being scaled by the effective forecast / effective to date of the usage that carries it."""
    ri = "arn:aws:ec2:us-east-1:999999999999:reserved-instances/ri-1"
    rows = [aws_line("2026-09", "RIFee", 720.0, line_item_usage_start_date=datetime(2026, 9, 1, tzinfo=UTC),
                     line_item_usage_end_date=datetime(2026, 10, 1, tzinfo=UTC), reservation_reservation_a_r_n=ri,
                     reservation_unused_recurring_fee=0.0,
                     reservation_unused_amortized_upfront_fee_for_billing_period=0.0)]
    for day in range(1, 11):
        rows += [
            whole_day("DiscountedUsage", 0.0, day, reservation_effective_cost=24.0, pricing_public_on_demand_cost=40.0,
                      reservation_reservation_a_r_n=ri),
            whole_day("Usage", 10.0, day, line_item_resource_id="i-ondemand"),
        ]
    write_aws_period(data_dir, "2026-09", rows)
    # billed to date 720 + 10 x 10 = 820; month end 720 (once) + 10 x 30 = 1,020 < 1,500
    # (was 820 x effective forecast 1,020 / effective to date 340 = 2,460, 'at risk')
    assert aws_budget_row("1500") == (D(820), D(1020), "on track")



def test_budget_forecast_counts_an_upfront_fee_paid_mid_month_once(data_dir):
    """AWS cur-sp.html: SavingsPlanUpfrontFee is the one-time fee of a Savings Plan bought with an upfront payment,
    billed on the purchase day (amortized 0). Billed on the 5th, it is a lump sum, not a daily charge to project."""
    sp = "arn:aws:savingsplans::999999999999:savingsplan/upfront"
    rows = [whole_day("Usage", 10.0, day, line_item_resource_id="i-ondemand") for day in range(1, 11)]
    rows.append(whole_day("SavingsPlanUpfrontFee", 1000.0, 5, line_item_product_code="ComputeSavingsPlans",
                          line_item_resource_id=sp, savings_plan_savings_plan_a_r_n=sp))
    write_aws_period(data_dir, "2026-09", rows)
    # billed to date 10 x 10 + 1,000 = 1,100; month end 10 x 30 + 1,000 once = 1,300 < 1,500
    assert aws_budget_row("1500") == (D(1100), D(1300), "on track")



def test_budget_forecast_counts_an_azure_purchase_once_on_its_purchase_day(data_dir):
    """Microsoft (FOCUS cost details): a reservation bought with monthly payments is a Purchase charge billed on the
    purchase day every month (ChargeFrequency Recurring), amortized into usage (EffectiveCost 0): one charge a month."""
    def day(n: int) -> dict:
        return {"ChargePeriodStart": datetime(2026, 9, n), "ChargePeriodEnd": datetime(2026, 9, n) + timedelta(days=1),
                "ServiceName": "Virtual Machines", "SubAccountId": "s-1"}
    rows = [{**day(n), "BilledCost": 10.0} for n in range(1, 11)]
    rows.append({**day(5), "ChargeCategory": "Purchase", "ChargeFrequency": "Recurring", "BilledCost": 1000.0,
                 "EffectiveCost": 0.0})
    write_azure_month(data_dir, "2026-09", azure_rows("2026-09", rows))
    run("azure", config={"budgets": [budget("azure", "1500", {"provider": "azure"})]})
    # billed to date 10 x 10 + 1,000 = 1,100; month end 10 x 30 + 1,000 once = 1,300 < 1,500
    assert q("SELECT actual_cost, forecast_cost, status FROM finops.budget_status WHERE budget_name = 'azure'") == [
        (D(1100), D(1300), "on track")]


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
