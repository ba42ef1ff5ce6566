"""Allocation rules and the showback: direct cost by the first matching rule, shared pools split exactly."""

import json
from decimal import Decimal

import pytest

from include.reconciliation import run_checks
from include.transform import SqlConfigError
from include.transform.config import sql_config
from tests.helpers.transform import q, run
from tests.transform.marts.model_contract import assert_yaml_holds
from tests.transform.raw import aws_line, azure_rows, gcp_row, write_aws_period, write_azure_month, write_gcp_rows

D = Decimal


def team(name: str) -> dict:
    return {"resource_tags": json.dumps({"user:team": name} if name else {})}


ALLOCATION = {"allocation": {
    "version": "2026-09-v1",
    "rules": [
        {"name": "alpha team", "cost_center": "alpha", "match": {"tags": {"team": "a"}}},
        {"name": "beta team", "cost_center": "beta", "match": {"tags": {"team": ["b", "b2"]}}},
        {"name": "gamma team", "cost_center": "gamma", "match": {"tags": {"team": "c"}}},
        # never reached for team a: the first matching rule wins
        {"name": "all of prod", "cost_center": "gamma", "match": {"account": "111111111111", "service": "AmazonEC2"}},
        {"name": "gcp checkout", "cost_center": "alpha", "match": {"provider": "gcp", "tags": {"team": "checkout"}}},
    ],
    "shared": [
        {"name": "support", "match": {"service": "AWSSupportBusiness"}, "split": "proportional"},
        {"name": "tax", "match": {"charge_category": "Tax"}, "split": {"fixed": {"alpha": 50, "beta": 25, "delta": 25}}},
    ],
}}


def showback(provider: str = "aws") -> dict:
    return {(center, version): (direct, shared, total) for center, direct, shared, total, version in q(
        "SELECT cost_center, direct_cost, shared_cost, total_cost, allocation_version FROM finops.showback_monthly "
        f"WHERE month = '2026-09' AND provider = '{provider}' ORDER BY cost_center")}


def test_shared_cost_split_in_thirds_adds_up_to_the_bill(data_dir):
    write_aws_period(data_dir, "2026-09", [
        aws_line("2026-09", "Usage", 10.0, **team("a")),
        aws_line("2026-09", "Usage", 10.0, **team("b")),
        aws_line("2026-09", "Usage", 10.0, **team("c")),
        aws_line("2026-09", "Usage", 7.25, line_item_product_code="AmazonS3", **team("")),  # no rule: unallocated
        aws_line("2026-09", "Usage", 100.0, line_item_product_code="AWSSupportBusiness", **team("")),
        aws_line("2026-09", "Tax", 0.03, **team("")),
    ])
    run("aws", config=ALLOCATION)
    third = D("33.3333333333")
    assert showback() == {
        # 100 / 3 each, truncated; the 0.0000000001 left over goes to the largest share (ties: first by name)
        ("alpha", "2026-09-v1"): (D(10), third + D("0.0000000001") + D("0.015"), D("43.3483333334")),
        ("beta", "2026-09-v1"): (D(10), third + D("0.0075"), D("43.3408333333")),
        ("delta", "2026-09-v1"): (D(0), D("0.0075"), D("0.0075")),
        ("gamma", "2026-09-v1"): (D(10), third, D("43.3333333333")),
        ("unallocated", "2026-09-v1"): (D("7.25"), D(0), D("7.25")),
    }
    assert q("SELECT sum(total_cost) FROM finops.showback_monthly WHERE provider = 'aws'") == [(D("137.28"),)]
    # the marts' reconciliation proves it on every run: showback total = the bill per provider, month, currency
    assert run_checks("marts", run_id="run-showback")["failed"] == 0
    assert q("SELECT provider, period, currency, expected, actual, passed FROM finops.reconciliation_checks "
             "WHERE run_id = 'run-showback' AND check_name = 'showback_total'") == [
        ("aws", "2026-09", "USD", D("137.28"), D("137.28"), 1)]
    assert_yaml_holds("int_cloud_cost_allocated", "showback_monthly")


def test_first_matching_rule_wins_and_rules_see_both_providers(data_dir):
    write_aws_period(data_dir, "2026-09", [
        aws_line("2026-09", "Usage", 5.0, **team("a")),  # matches "alpha team" before "all of prod"
        aws_line("2026-09", "Usage", 6.0, **team("x")),  # only "all of prod"
    ])
    write_gcp_rows(data_dir, [gcp_row("2026-09", 20.0, [("PROMOTION", -2.0)]),  # project label team=checkout
                              gcp_row("2026-09", 4.0, project_labels="{}")])
    run("aws", config=ALLOCATION)
    run("gcp", config=ALLOCATION)
    assert showback("aws") == {("alpha", "2026-09-v1"): (D(5), D(0), D(5)), ("gamma", "2026-09-v1"): (D(6), D(0), D(6))}
    assert showback("gcp") == {("alpha", "2026-09-v1"): (D(18), D(0), D(18)),
                               ("unallocated", "2026-09-v1"): (D(4), D(0), D(4))}


def test_a_shared_pool_with_nothing_to_split_across_stays_unallocated(data_dir):
    write_aws_period(data_dir, "2026-09", [
        aws_line("2026-09", "Usage", 3.0, line_item_usage_account_id="222222222222", **team("")),
        aws_line("2026-09", "Usage", 2.0, line_item_product_code="AWSSupportBusiness", **team("")),
    ])
    run("aws", config=ALLOCATION)
    assert showback() == {("unallocated", "2026-09-v1"): (D(3), D(2), D(5))}


def test_a_negative_pool_is_split_exactly(data_dir):
    write_aws_period(data_dir, "2026-09", [
        aws_line("2026-09", "Usage", 1.0, **team("a")),
        aws_line("2026-09", "Usage", 2.0, **team("b")),
        aws_line("2026-09", "Credit", -1.0, line_item_product_code="AWSSupportBusiness", **team("")),
    ])
    run("aws", config=ALLOCATION)
    assert showback() == {("alpha", "2026-09-v1"): (D(1), D("-0.3333333333"), D("0.6666666667")),
                          ("beta", "2026-09-v1"): (D(2), D("-0.6666666667"), D("1.3333333333"))}


def test_azure_cost_is_allocated_by_its_focus_tags_and_adds_up_to_the_bill(data_dir):
    write_azure_month(data_dir, "2026-09", azure_rows("2026-09", [
        {"BilledCost": 12.5, "Tags": json.dumps({"team": "a"})},
        {"BilledCost": 7.5, "Tags": json.dumps({"team": "b2"})},
        {"BilledCost": 3.0, "Tags": json.dumps({"team": "checkout"})},  # "gcp checkout" is for GCP only
        {"BilledCost": 0.25, "Tags": "{}"},
        {"BilledCost": 4.0, "Tags": "{}", "ChargeCategory": "Tax"},  # tax pool: 50 / 25 / 25 %
    ]))
    run("azure", config=ALLOCATION)
    assert showback("azure") == {
        ("alpha", "2026-09-v1"): (D("12.5"), D(2), D("14.5")),
        ("beta", "2026-09-v1"): (D("7.5"), D(1), D("8.5")),
        ("delta", "2026-09-v1"): (D(0), D(1), D(1)),
        ("unallocated", "2026-09-v1"): (D("3.25"), D(0), D("3.25")),
    }
    assert run_checks("marts", run_id="run-azure")["failed"] == 0
    assert q("SELECT provider, period, expected, actual FROM finops.reconciliation_checks "
             "WHERE run_id = 'run-azure' AND check_name = 'showback_total'") == [("azure", "2026-09", D("27.25"), D("27.25"))]
    coverage = q("SELECT tag_key, sum(tagged_cost), sum(untagged_cost) FROM finops.tag_coverage_monthly "
                 "WHERE provider = 'azure' GROUP BY tag_key ORDER BY tag_key")
    assert coverage == [("app", D(0), D("27.25")), ("env", D(0), D("27.25")), ("team", D(23), D("4.25"))]
    assert_yaml_holds("int_cloud_cost_allocated", "int_cloud_cost_by_tag_key", "showback_monthly")


@pytest.mark.parametrize(("allocation", "message"), [
    ({"version": "v1", "rules": [{"name": "r1", "cost_center": "a", "match": {"tags": {"owner": "x"}}}]},
     "allocation.rules rule 'r1' match.tags: 'owner' is not a configured tag column"),
    ({"version": "v1", "rules": [{"name": "r1", "cost_center": "a", "match": {"acount": "1"}}]},
     "allocation.rules rule 'r1' match: unknown field(s) ['acount']"),
    ({"version": "v1", "rules": [{"name": "r1", "match": {"account": "1"}}]},
     "allocation.rules rule 'r1' cost_center: must be a non-empty string"),
    ({"version": "v1", "shared": [{"name": "tax", "match": {"charge_category": "Tax"},
                                   "split": {"fixed": {"a": 50, "b": 40}}}]},
     "allocation.shared rule 'tax' split.fixed: percentages must add up to 100, they add up to 90"),
    ({"version": "v1", "shared": [{"name": "s", "match": {"provider": "oci"}}]},
     "allocation.shared rule 's' match.provider: unknown provider(s) ['oci']"),
    ({"rules": []}, "allocation.version: must be a non-empty string"),
    ({"version": "v1", "rules": [{"name": "r", "cost_center": "a", "match": {"account": "1"}},
                                 {"name": "r", "cost_center": "b", "match": {"account": "2"}}]},
     "allocation.rules rule 'r': two rules have this name"),
    ({"version": "v1", "rules": [{"name": "r", "cost_center": "a", "match": {}}]},
     "allocation.rules rule 'r' match: must be a non-empty object"),
])
def test_allocation_rules_are_validated_naming_the_rule(allocation, message):
    with pytest.raises(SqlConfigError) as error:
        sql_config({"allocation": allocation})
    assert message in str(error.value)
