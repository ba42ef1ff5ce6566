"""Tag coverage per tag key, account and month, and the largest untagged costs."""

import json
from decimal import Decimal

from include.reconciliation import run_checks
from tests.helpers.transform import q, run
from tests.transform.marts.model_contract import assert_yaml_holds
from tests.transform.raw import aws_line, azure_rows, gcp_row, write_aws_period, write_azure_month, write_gcp_rows

D = Decimal


def tags(**values) -> dict:
    return {"resource_tags": json.dumps(values)}


def test_coverage_per_key_and_account_matches_both_spellings(data_dir):
    write_aws_period(data_dir, "2026-09", [
        aws_line("2026-09", "Usage", 30.0, **tags(**{"user:team": "web"})),  # legacy CUR spelling
        aws_line("2026-09", "Usage", 10.0, **tags(user_team="data", user_environment="prod")),  # CUR 2.0 spelling
        aws_line("2026-09", "Usage", 60.0, line_item_resource_id="i-big", **tags()),
        aws_line("2026-09", "Usage", 25.0, line_item_resource_id="i-mid", line_item_usage_account_id="222222222222",
                 **tags(user_environment="dev")),
        aws_line("2026-09", "Tax", 5.0, line_item_resource_id="", **tags()),
    ])
    write_gcp_rows(data_dir, [
        gcp_row("2026-09", 8.0, labels=json.dumps({"team": "search"})),  # project labels env=prod, team=checkout
        gcp_row("2026-09", 2.0, project_labels="{}", labels="{}", resource_name="vm-1"),
    ])
    run("aws")
    run("gcp")
    coverage = {r[:3]: r[3:] for r in q(
        "SELECT provider, tag_key, account_id, tagged_cost, untagged_cost, total_cost, coverage_pct, tagged_line_items, "
        "total_line_items FROM finops.tag_coverage_monthly WHERE month = '2026-09'")}
    assert coverage == {
        ("aws", "team", "111111111111"): (D(40), D(65), D(105), 38.1, 2, 4),
        ("aws", "environment", "111111111111"): (D(10), D(95), D(105), 9.52, 1, 4),
        ("aws", "team", "222222222222"): (D(0), D(25), D(25), 0.0, 0, 1),
        ("aws", "environment", "222222222222"): (D(25), D(0), D(25), 100.0, 1, 1),
        ("gcp", "team", "shop-prod"): (D(8), D(2), D(10), 80.0, 1, 2),
        ("gcp", "env", "shop-prod"): (D(8), D(2), D(10), 80.0, 1, 2),  # from the project label env=prod
        ("gcp", "app", "shop-prod"): (D(0), D(10), D(10), 0.0, 0, 2),
    }
    top = q("SELECT cost_rank, account_id, resource_id, untagged_cost FROM finops.untagged_cost_top "
            "WHERE provider = 'aws' AND month = '2026-09' AND tag_key = 'team' ORDER BY cost_rank")
    assert top == [(1, "111111111111", "i-big", D(60)), (2, "222222222222", "i-mid", D(25)),
                   (3, "111111111111", "", D(5))]
    assert_yaml_holds("int_cloud_cost_by_tag_key", "tag_coverage_monthly", "untagged_cost_top")


def test_tag_coverage_does_not_add_billing_currencies_together(data_dir):
    """Microsoft: a billing profile "groups costs across invoices in a singular billing currency" (an MCA billing
    account can hold profiles in USD and JPY: one export, two BillingCurrency values). Coverage, its key totals and
    the untagged ranking are per currency; an unmatched key is still one warning for the month."""
    write_azure_month(data_dir, "2026-09", azure_rows("2026-09", [
        {"BilledCost": 100.0, "BillingCurrency": "USD", "PricingCurrency": "USD", "Tags": json.dumps({}),
         "ResourceId": "/subscriptions/s-usd/vm-usd", "SubAccountId": "s-usd"},
        {"BilledCost": 15000.0, "BillingCurrency": "JPY", "PricingCurrency": "JPY", "Tags": json.dumps({}),
         "ResourceId": "/subscriptions/s-jpy/vm-jpy", "SubAccountId": "s-jpy"},
    ]))
    run("azure")
    # was one row per key: total_billed_cost 15,100 (JPY 15,000 + USD 100), and vm-jpy (about USD 99) ranked first
    assert sorted(q("SELECT currency, total_billed_cost FROM finops.tag_key_coverage "
                    "WHERE provider = 'azure' AND tag_key = 'team'")) == [("JPY", D(15000)), ("USD", D(100))]
    assert sorted(q("SELECT currency, account_id, untagged_cost, total_cost FROM finops.tag_coverage_monthly "
                    "WHERE provider = 'azure' AND tag_key = 'team'")) == [
        ("JPY", "s-jpy", D(15000), D(15000)), ("USD", "s-usd", D(100), D(100))]
    assert sorted(q("SELECT currency, cost_rank, resource_id, untagged_cost FROM finops.untagged_cost_top "
                    "WHERE provider = 'azure' AND tag_key = 'team'")) == [
        ("JPY", 1, "/subscriptions/s-jpy/vm-jpy", D(15000)), ("USD", 1, "/subscriptions/s-usd/vm-usd", D(100))]
    assert_yaml_holds("int_cloud_cost_by_tag_key", "tag_coverage_monthly", "untagged_cost_top", "tag_key_coverage")
    run_checks("marts", run_id="run-currencies")
    assert q("SELECT description FROM finops.reconciliation_checks WHERE run_id = 'run-currencies' "
             "AND severity = 'warning' AND description LIKE '%''team''%'") == [
        ("configured tag key 'team' matches none of the 2 line items of the month",)]
