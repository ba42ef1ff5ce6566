"""The reconciliation check task: every layer's figures per provider and period, recorded in
finops.reconciliation_checks (one row per check, period and run); a miss fails with the figures."""

import os
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path

import pytest

from include.reconciliation import CHECKS, ReconciliationError, run_checks
from tests.helpers.transform import q, run
from tests.transform.raw import aws_line, gcp_row, write_aws_period, write_gcp_rows, write_stripe

D = Decimal
SP = "arn:aws:savingsplans::999999999999:savingsplan/sp-1"


def small_month(data_dir):
    from datetime import date

    write_aws_period(data_dir, "2026-09", [
        aws_line("2026-09", "Usage", 10.0, line_item_net_unblended_cost=9.5),
        aws_line("2026-09", "Tax", 1.0),
        aws_line("2026-09", "Credit", -2.0),
    ])
    write_gcp_rows(data_dir, [gcp_row("2026-09", 5.0, [("PROMOTION", -1.0)]), gcp_row("2026-08", 2.0)])
    write_stripe(data_dir, [{"id": "txn_1", "amount": 10_000, "fee": 300, "currency": "usd", "created": date(2026, 9, 3)}])
    for provider in ("aws", "gcp", "stripe"):
        run(provider)


def test_checks_pass_and_are_recorded_per_check_period_and_run(data_dir):
    small_month(data_dir)
    for target in ("aws", "gcp", "stripe", "marts"):
        result = run_checks(target, run_id=f"run-{target}")
        # every check ran, except those of an input this data has not (no AWS FOCUS export here)
        always = [c for checks in CHECKS[target].values() for c in checks if c.requires is None]
        assert result["failed"] == 0 and result["checks"] >= len(always)
    # the marts' checks are recorded under the provider they check
    rows = q("SELECT provider, check_name, period, expected, actual, difference, passed FROM finops.reconciliation_checks "
             "WHERE run_id = 'run-marts' AND check_name = 'focus_billed_cost' AND provider = 'aws'")
    assert rows == [("aws", "focus_billed_cost", "2026-09", D("8.5"), D("8.5"), D("0"), 1)]
    assert {r[0] for r in q("SELECT DISTINCT period FROM finops.reconciliation_checks WHERE provider = 'gcp'")} \
        == {"2026-08", "2026-09"}
    # one row per check and period, per run
    assert q("SELECT count() FROM finops.reconciliation_checks WHERE run_id = 'run-gcp'") == \
        q("SELECT count() FROM (SELECT DISTINCT check_name, period FROM finops.reconciliation_checks WHERE run_id = 'run-gcp')")
    run_checks("aws", run_id="run-aws-2")
    assert sorted(q("SELECT DISTINCT run_id FROM finops.reconciliation_checks WHERE provider = 'aws'")) == [
        ("run-aws",), ("run-aws-2",), ("run-marts",)]
    # exported for the local Rill dashboard
    assert (Path(os.environ["FINOPS_DATA_DIR"]) / "marts" / "reconciliation_checks.parquet").exists()


def test_a_derived_table_that_drifts_from_raw_fails_with_period_figures_and_difference(data_dir):
    small_month(data_dir)
    # A line item lost between raw and the derived table (as a broken rebuild would leave it).
    q("ALTER TABLE finops.int_aws__cost_line_items DELETE WHERE line_item_type = 'Tax' SETTINGS mutations_sync = 1")
    with pytest.raises(ReconciliationError) as failure:
        run_checks("aws", run_id="run-broken")
    message = str(failure.value)
    assert "raw_vs_line_items_unblended period 2026-09 USD: expected 9.0000000000, actual 8.0000000000, " \
           "difference -1.0000000000" in message
    assert q("SELECT passed FROM finops.reconciliation_checks WHERE run_id = 'run-broken' "
             "AND check_name = 'raw_vs_line_items_unblended'") == [(0,)]


def test_duplicate_keys_and_unexplained_negative_amortized_cost_are_counted(data_dir):
    write_aws_period(data_dir, "2026-09", [
        aws_line("2026-09", "Usage", 10.0, identity_line_item_id="dup", identity_time_interval="t"),
        aws_line("2026-09", "Usage", 10.0, identity_line_item_id="dup", identity_time_interval="t"),
        # unused commitment that comes out negative while the fee line itself is positive
        aws_line("2026-09", "SavingsPlanRecurringFee", 5.0, savings_plan_savings_plan_a_r_n=SP,
                 savings_plan_total_commitment_to_date=5.0, savings_plan_used_commitment=6.0),
    ])
    run("aws")
    with pytest.raises(ReconciliationError) as failure:
        run_checks("aws", run_id="run-dup")
    message = str(failure.value)
    assert "duplicate_line_item_keys period 2026-09 : expected 0E-10, actual 1.0000000000" in message \
        or "duplicate_line_item_keys period 2026-09 : expected 0, actual 1" in message, message
    assert "negative_amortized_cost period 2026-09" in message


def test_every_dag_runs_the_check_after_its_sql_build(dag_bag):
    bag = dag_bag  # the session's one parse (tests/fixtures/dag_bag.py)
    for dag_id, build in (("aws_costs", "build_cost_tables"), ("gcp_costs", "build_cost_tables"),
                          ("stripe_revenue", "build_revenue_tables")):
        dag = bag.dags[dag_id]
        assert dag.get_task("check_figures").upstream_task_ids == {build}, dag_id


def test_tag_keys_match_cur2_and_legacy_spelling_and_unmatched_keys_are_reported(data_dir):
    """CUR 2.0 writes `user_team` where legacy CUR writes `user:team`: one configured key finds both."""
    write_aws_period(data_dir, "2026-08", [aws_line("2026-08", "Usage", 4.0, resource_tags='{"user:team": "web"}')])
    write_aws_period(data_dir, "2026-09", [
        aws_line("2026-09", "Usage", 10.0, resource_tags='{"user_team": "web", "user_cost_center": "cc-1"}'),
        aws_line("2026-09", "Usage", 3.0, resource_tags='{}'),
    ])
    config = {"tag_keys": {"aws": ["user:team", "user:cost-center", "user:owner"]}}
    run("aws", config=config)
    assert sorted(q("SELECT billing_period, tag_team, tag_cost_center, unblended_cost FROM finops.int_aws__cost_line_items_tagged")) == [
        ("2026-08", "web", "", D("4")), ("2026-09", "", "", D("3")), ("2026-09", "web", "cc-1", D("10"))]
    assert dict(q("SELECT tag_value, sum(unblended_cost) FROM finops.int_aws__cost_daily_by_tag "
                  "WHERE tag_key = 'team' GROUP BY tag_value")) == {"web": D("14"), "": D("3")}
    result = run_checks("marts", run_id="run-tags")  # warnings do not fail the task ...
    assert result["failed"] == 0
    # ... but every configured key that matches nothing in a month is reported
    assert sorted(q("SELECT period, description FROM finops.reconciliation_checks WHERE run_id = 'run-tags' "
                    "AND severity = 'warning'")) == [
        ("2026-08", "configured tag key 'cost_center' matches none of the 1 line items of the month"),
        ("2026-08", "configured tag key 'owner' matches none of the 1 line items of the month"),
        ("2026-09", "configured tag key 'owner' matches none of the 2 line items of the month"),
    ]


def periods_checked(run_id: str) -> set[str]:
    return {period for (period,) in q(f"SELECT DISTINCT period FROM finops.reconciliation_checks WHERE run_id = '{run_id}'")}


def test_a_changed_check_run_checks_the_months_builds_changed_and_keeps_checking_a_failure(data_dir):
    """periods="changed" (what the DAGs pass): every month at first, then the months the target's builds logged since
    the last check run, and a month whose check failed until it passes again."""
    for period in ("2026-08", "2026-09"):
        write_aws_period(data_dir, period, [aws_line(period, "Usage", 10.0), aws_line(period, "Tax", 1.0)])
    run("aws", "changed")
    assert run_checks("aws", run_id="first", periods="changed")["periods"] is None
    assert run_checks("marts", run_id="first-marts", periods="changed")["periods"] is None
    assert periods_checked("first") == periods_checked("first-marts") == {"2026-08", "2026-09"}

    run("aws", "changed")  # no new load
    assert run_checks("aws", run_id="quiet", periods="changed") == {"checks": 0, "failed": 0, "run_id": "quiet",
                                                                     "periods": []}
    assert run_checks("marts", run_id="quiet-marts", periods="changed")["periods"] == []
    assert periods_checked("quiet") == periods_checked("quiet-marts") == set()

    # AWS restates August: only August is checked again, by the aws and the marts checks
    write_aws_period(data_dir, "2026-08", [aws_line("2026-08", "Usage", 12.0), aws_line("2026-08", "Tax", 1.0)])
    run("aws", "changed")
    assert run_checks("aws", run_id="restated", periods="changed")["periods"] == ["2026-08"]
    assert run_checks("marts", run_id="restated-marts", periods="changed")["periods"] == ["2026-08"]
    assert periods_checked("restated") == periods_checked("restated-marts") == {"2026-08"}
    assert q("SELECT expected, actual FROM finops.reconciliation_checks WHERE run_id = 'restated-marts' "
             "AND check_name = 'focus_billed_cost'") == [(D(13), D(13))]

    # a September line item lost after the build: the failure is found by a full check run, and a "changed" run
    # with no new build checks September again (it does not pass quietly because nothing was rebuilt)
    q("ALTER TABLE finops.int_aws__cost_line_items DELETE WHERE billing_period = '2026-09' AND line_item_type = 'Tax' "
      "SETTINGS mutations_sync = 1")
    with pytest.raises(ReconciliationError, match="raw_vs_line_items_unblended period 2026-09"):
        run_checks("aws", run_id="broken")
    with pytest.raises(ReconciliationError, match="raw_vs_line_items_unblended period 2026-09"):
        run_checks("aws", run_id="still-broken", periods="changed")
    assert periods_checked("still-broken") == {"2026-09"}
    run("aws")  # a full rebuild repairs it: every month checked, all pass
    assert run_checks("aws", run_id="repaired", periods="changed")["periods"] is None
    assert run_checks("aws", run_id="after-repair", periods="changed")["periods"] == []


def test_every_dag_checks_the_changed_months(dag_bag):
    import inspect

    for dag_id in ("aws_costs", "azure_costs", "gcp_costs", "stripe_revenue", "finops_marts"):
        check = next(t for t in dag_bag.dags[dag_id].tasks if t.task_id.startswith("check_"))
        assert 'periods="changed"' in inspect.getsource(check.python_callable), dag_id


def rows_by_month(target: str) -> dict[str, int]:
    from include.clickhouse import clickhouse_client
    from include.reconciliation.runner import raw_rows_by_month

    client = clickhouse_client("filesystem")
    try:
        return raw_rows_by_month(client, target)
    finally:
        client.close()


def checked(run_id: str) -> list[tuple]:
    return q("SELECT provider, check_name, period, currency, expected, actual, passed FROM finops.reconciliation_checks "
             f"WHERE run_id = '{run_id}' ORDER BY ALL")


def test_an_embedded_check_run_in_month_batches_gives_what_one_query_per_check_gives(data_dir, monkeypatch):
    """The embedded engine checks a few months per query (memory): the same results, a failure in any batch, and
    a month in no batch (raw months are counted as 'YYYY-MM' only) still checked, by the query for the rest."""
    from include.reconciliation import runner

    for period in ("2026-07", "2026-08", "2026-09"):
        write_aws_period(data_dir, period, [aws_line(period, "Usage", 10.0), aws_line(period, "Tax", 1.0)])
    write_gcp_rows(data_dir, [gcp_row("2026-08", 2.0), gcp_row("2026-09", 5.0, [("PROMOTION", -1.0)])])
    run("aws")
    run("gcp")
    q("ALTER TABLE finops.int_aws__cost_line_items DELETE WHERE line_item_type = 'Tax' "
      "AND billing_period IN ('2026-08', '2026-09') SETTINGS mutations_sync = 1")
    counted = runner.raw_rows_by_month
    for target in ("aws", "gcp"):
        assert len(runner.period_batches(rows_by_month(target), None)) == 2  # one batch and the rest
        with monkeypatch.context() as patch:
            patch.setattr(runner, "CHECK_BATCH_ROWS", 1)  # a month per query, September in none
            patch.setattr(runner, "raw_rows_by_month", lambda client, t: {
                month: rows for month, rows in counted(client, t).items() if month != "2026-09"})
            with pytest.raises(ReconciliationError) if target == "aws" else nullcontext():
                run_checks(target, run_id=f"batched-{target}")
        with pytest.raises(ReconciliationError) if target == "aws" else nullcontext():
            run_checks(target, run_id=f"whole-{target}")
        assert checked(f"batched-{target}") == checked(f"whole-{target}")
    failed = {(check, period) for _, check, period, *_, passed in checked("batched-aws") if not passed}
    # the lost Tax lines of August (a batch) and September (the rest)
    assert {("raw_vs_line_items_unblended", "2026-08"), ("raw_vs_line_items_unblended", "2026-09")} <= failed
    assert {period for _, _, period, *_ in checked("batched-aws")} == {"2026-07", "2026-08", "2026-09"}
    assert {period for _, _, period, *_ in checked("batched-gcp")} == {"2026-08", "2026-09"}


def test_month_batches_of_a_check_run_cover_every_period():
    from include.reconciliation.runner import period_batches

    rows = {"2026-07": 900_000, "2026-08": 900_000, "2026-09": 1_500_000, "2026-10": 100}
    assert period_batches(rows, None) == [(["2026-07", "2026-08"], False), (["2026-09", "2026-10"], False),
                                          (["2026-07", "2026-08", "2026-09", "2026-10"], True)]
    # given months: only those, batched; a month without raw rows still checked (the derived side may have it)
    assert period_batches(rows, ["2026-09", "2026-11"]) == [(["2026-09", "2026-11"], False)]
    assert period_batches({}, None) == [([], True)]
