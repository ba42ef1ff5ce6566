"""How DAG runs turn into load parameters: run types, manual params, and which backfill run owns a period."""

from enum import Enum
from types import SimpleNamespace

import pendulum
import pytest

from include.run_intent import (
    aws_intent,
    azure_intent,
    backfill_owner,
    from_context,
    gcp_intent,
    request_for,
    run_date,
    run_type,
    stripe_intent,
)


class SdkRunType(str, Enum):  # noqa: UP042 - like the task SDK's generated enum: str() is "SdkRunType.BACKFILL"
    BACKFILL = "backfill"
    SCHEDULED = "scheduled"
    MANUAL = "manual"


def context(kind, start="2026-09-16", end="2026-09-17"):
    return {
        "dag_run": SimpleNamespace(run_type=kind, run_after=pendulum.parse(end), run_id=f"{kind}__{start}"),
        "logical_date": pendulum.parse(start),
        "data_interval_start": pendulum.parse(start),
        "data_interval_end": pendulum.parse(end),
    }


def dag_run(kind, day):
    return SimpleNamespace(run_type=kind, logical_date=pendulum.parse(day), run_id=f"{kind.value}__{day}")


def no_previous(_context):
    return iter(())


def test_run_type_compares_the_enum_value():
    assert str(SdkRunType.BACKFILL) != "backfill"
    assert run_type(context(SdkRunType.BACKFILL)) == "backfill"
    assert run_type(context("manual")) == "manual"
    assert str(run_date(context("manual"))) == "2026-09-16"


def simulate_backfill(intent_of, first_day, last_day, earlier_runs=()):
    """Every daily run of a backfill from first_day to last_day (the backfill creates them all at
    once): the periods each run reloads. `earlier_runs`: DAG runs that existed before it."""
    days = [pendulum.parse(first_day).add(days=i) for i in range((pendulum.parse(last_day) - pendulum.parse(first_day)).days + 1)]
    runs = sorted([*earlier_runs, *(dag_run(SdkRunType.BACKFILL, d.to_date_string()) for d in days)],
                  key=lambda r: r.logical_date)
    reloads, skips = [], []
    for day in days:
        ctx = context(SdkRunType.BACKFILL, day.to_date_string(), day.add(days=1).to_date_string())
        before = [r for r in runs if r.logical_date < day]
        intent = intent_of(ctx, {}, previous=lambda _c, before=before: reversed(before))
        reloads += intent.periods or []
        skips += list(intent.skipped)
    return reloads, skips


def test_a_two_month_backfill_reloads_each_billing_period_once():
    # the case: 61 daily runs, 2026-08-01 .. 2026-09-30, used to reload 122 months
    reloads, skips = simulate_backfill(aws_intent, "2026-08-01", "2026-09-30")
    assert reloads == ["2026-08", "2026-09"]
    assert len(skips) == 59
    # a range starting mid-month still reloads that month, once, at its first run
    reloads, _ = simulate_backfill(aws_intent, "2026-08-20", "2026-10-03")
    assert reloads == ["2026-08", "2026-09", "2026-10"]
    reloads, _ = simulate_backfill(gcp_intent, "2026-08-20", "2026-10-03")
    assert reloads == ["202608", "202609", "202610"]
    reloads, skips = simulate_backfill(azure_intent, "2026-08-01", "2026-09-30")
    assert reloads == ["2026-08", "2026-09"] and len(skips) == 59


def test_scheduled_runs_before_the_range_do_not_take_a_period_from_the_backfill():
    scheduled = [dag_run(SdkRunType.SCHEDULED, "2026-08-14")]
    reloads, _ = simulate_backfill(aws_intent, "2026-08-15", "2026-08-31", scheduled)
    assert reloads == ["2026-08"]


def test_manual_runs_inside_the_range_do_not_make_a_second_owner():
    # a manual run at 10:00 on 2026-08-15 sits between the backfill's runs of the 15th and the 16th
    manual = [SimpleNamespace(run_type=SdkRunType.MANUAL, logical_date=pendulum.parse("2026-08-15T10:00:00"),
                              run_id="manual__2026-08-15T10:00")]
    reloads, skips = simulate_backfill(aws_intent, "2026-08-01", "2026-08-31", manual)
    assert reloads == ["2026-08"] and len(skips) == 30


def test_a_skipped_run_says_which_run_reloads_the_period():
    ctx = context(SdkRunType.BACKFILL, "2026-08-02", "2026-08-03")
    intent = aws_intent(ctx, {}, previous=lambda _c: iter([dag_run(SdkRunType.BACKFILL, "2026-08-01")]))
    assert intent.periods == [] and not intent.force_reload
    assert "backfill__2026-08-01" in intent.skipped["2026-08"]
    assert backfill_owner(ctx, lambda d: d.strftime("%Y-%m"), previous=no_previous) == ("2026-08", None)


def test_manual_periods_are_reloaded_even_when_unchanged():
    intent = aws_intent(context(SdkRunType.MANUAL), {"billing_periods": ["2026-09"]}, previous=no_previous)
    assert intent.periods == ["2026-09"] and intent.force_reload
    scheduled = aws_intent(context(SdkRunType.SCHEDULED), {}, previous=no_previous)
    assert scheduled.periods is None and not scheduled.force_reload


def test_periods_in_a_backfills_conf_are_reloaded_by_its_first_run_only():
    # every run of the backfill gets the conf: 61 runs must not reload 202601 61 times
    def intent_of(ctx, params, previous):
        return gcp_intent(ctx, {"invoice_months": ["202601"], **params}, previous=previous)

    reloads, skips = simulate_backfill(intent_of, "2026-08-01", "2026-09-30")
    assert reloads == ["202601"] and len(skips) == 60
    reloads, skips = simulate_backfill(lambda c, p, previous: aws_intent(c, {"full_refresh": True}, previous=previous),
                                       "2026-08-01", "2026-08-05")
    assert len(skips) == 4


@pytest.mark.parametrize("start,end,first,last", [
    ("2026-09-16", "2026-09-17", "2026-09-16", "2026-09-16"),  # a daily run: its own day
    ("2026-08-01", "2026-09-01", "2026-08-01", "2026-08-31"),  # a monthly interval
])
def test_stripe_backfill_runs_reload_their_data_interval(start, end, first, last):
    intent, params = stripe_intent(context(SdkRunType.BACKFILL, start, end), {"full_refresh": False})
    assert (params["start_date"], params["end_date"]) == (first, last)
    assert intent.force_reload


def test_stripe_explicit_params_win_and_other_runs_are_incremental():
    _, params = stripe_intent(context(SdkRunType.BACKFILL), {"start_date": "2026-01-01"})
    assert params == {"start_date": "2026-01-01"}
    intent, params = stripe_intent(context(SdkRunType.SCHEDULED), {})
    assert params == {} and intent.periods is None


def test_the_load_request_is_resolved_once_from_the_context():
    ctx = {**context(SdkRunType.BACKFILL, "2026-08-02", "2026-08-03"), "params": {"billing_periods": [],
                                                                                 "full_refresh": False}}
    later = from_context(ctx, "aws_costs", previous=lambda _c: iter([dag_run(SdkRunType.BACKFILL, "2026-08-01")]))
    assert later.nothing_to_load and later.unit == "billing period" and str(later.run_date) == "2026-08-02"
    first = from_context(ctx, "aws_costs", previous=no_previous)
    assert first.intent.periods == ["2026-08"] and not first.nothing_to_load
    stripe = from_context({**ctx, "params": {"full_refresh": False}}, "stripe_revenue", previous=no_previous)
    assert (stripe.params["start_date"], stripe.params["end_date"]) == ("2026-08-02", "2026-08-02")
    azure = from_context(ctx, "azure_costs", previous=no_previous)
    assert azure.intent.periods == ["2026-08"] and azure.unit == "billing period"
    with pytest.raises(ValueError, match="no load request for dataset 'oracle_costs'"):
        from_context(ctx, "oracle_costs")


@pytest.mark.parametrize("dataset,params,run_type,periods,force", [
    ("aws_costs", {}, "scheduled", None, False),
    ("aws_costs", {"billing_periods": ["2026-07"]}, "manual", ["2026-07"], True),
    ("aws_costs", {}, "backfill", ["2026-08"], True),
    ("azure_costs", {}, "scheduled", None, False),
    ("azure_costs", {"billing_periods": ["2026-07"]}, "manual", ["2026-07"], True),
    ("azure_costs", {}, "backfill", ["2026-08"], True),
    ("gcp_costs", {"invoice_months": ["202607"]}, "manual", ["202607"], True),
    ("stripe_revenue", {"full_refresh": True}, "manual", None, True),
], ids=["aws-scheduled", "aws-manual-periods", "aws-backfill-owner", "azure-scheduled", "azure-manual-periods",
        "azure-backfill-owner", "gcp-manual-months", "stripe-full-refresh"])
def test_a_request_outside_airflow_resolves_like_a_dag_run(dataset, params, run_type, periods, force):
    request = request_for(dataset, params, run_date=pendulum.date(2026, 8, 10), run_type=run_type)
    assert (request.intent.run_type, request.intent.periods, request.intent.force_reload) == (run_type, periods, force)


@pytest.mark.parametrize("kind,params,periods", [
    (SdkRunType.MANUAL, {"invoice_months": ["202603", "202512"], "full_refresh": False}, ["2025-12", "2026-03"]),
    (SdkRunType.BACKFILL, {"invoice_months": [], "full_refresh": False}, ["2026-09"]),  # the month's owner
    (SdkRunType.SCHEDULED, {"invoice_months": [], "full_refresh": False}, "changed"),
    (SdkRunType.MANUAL, {"invoice_months": ["202603"], "full_refresh": True}, None),
], ids=["manual-months", "backfill-owner", "scheduled", "full-refresh"])
def test_gcp_builds_the_invoice_months_its_load_reloaded(dag_bag, monkeypatch, kind, params, periods):
    """gcp_costs' build task, run on a DAG run's context: the invoice months the load reloaded (YYYYMM) reach
    the SQL build as the YYYY-MM months it takes (it refused YYYYMM: every reload's build failed, and a
    month that came back empty kept its old figures)."""
    import include.transform
    from include.transform.config import parse_periods

    build = dag_bag.dags["gcp_costs"].get_task("build_cost_tables").python_callable
    ctx = {**context(kind), "params": params}
    monkeypatch.setitem(build.__globals__, "get_current_context", lambda: ctx)
    asked = []
    monkeypatch.setattr(include.transform, "run_transformations",
                        lambda target, periods=None: asked.append((target, parse_periods(periods))) or {})
    build()
    assert asked == [("gcp", periods)]
