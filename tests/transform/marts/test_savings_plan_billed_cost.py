"""Savings Plan covered usage in the allocation and tag models: billed 0, as in the focus mart and AWS's FOCUS export.

AWS cur-sp.html: SavingsPlanCoveredUsage lines carry the on-demand cost with the resource and its tags;
"SavingsPlanNegation line items offset the unblended cost of SavingsPlanCoveredUsage, and grouped at the hourly level
by SavingsPlanARN, Operation, Usage Type, and Availability Zone. Therefore, one SavingsPlanNegation line item might
correspond to multiple SavingsPlanCoveredUsage line items": the negation has no resource and no tags. What the month
is invoiced is the plan's fee."""

import json
from decimal import Decimal

from include.reconciliation import run_checks
from include.rill_dashboards import pages
from tests.helpers.transform import q, run
from tests.rill import project as rill
from tests.transform.marts.model_contract import assert_yaml_holds
from tests.transform.raw import aws_line, write_aws_period

D = Decimal
SP = "arn:aws:savingsplans::999999999999:savingsplan/sp-1"
MONTH = "2026-09"
ALLOCATION = {
    "allocation": {
        "version": "v1",
        "rules": [
            {"name": "team a", "cost_center": "a", "match": {"tags": {"team": "a"}}},
            {"name": "team b", "cost_center": "b", "match": {"tags": {"team": "b"}}},
        ],
    }
}


def tags(**values) -> dict:
    return {"resource_tags": json.dumps(values)}


def covered_instance(resource: str, team: str):
    """One hour of an instance covered by the Savings Plan: 10 on demand, 7 effective, tagged team=<team>."""
    return aws_line(
        MONTH,
        "SavingsPlanCoveredUsage",
        10.0,
        line_item_resource_id=resource,
        pricing_public_on_demand_cost=10.0,
        savings_plan_savings_plan_a_r_n=SP,
        savings_plan_savings_plan_effective_cost=7.0,
        **tags(user_team=team),
    )


def negation(amount: float):
    """A SavingsPlanNegation as AWS groups it: no resource, no tags."""
    return aws_line(
        MONTH, "SavingsPlanNegation", amount, line_item_resource_id="", savings_plan_savings_plan_a_r_n=SP, **tags()
    )


def write_two_covered_instances(data_dir) -> None:
    """Two instances (team a, team b) covered by one Savings Plan in the same hour: 10 on demand each (effective 7),
    one negation of -20 without resource or tags, the plan's hourly fee 14 (all of it used)."""
    write_aws_period(
        data_dir,
        MONTH,
        [
            covered_instance("i-a", "a"),
            covered_instance("i-b", "b"),
            negation(-20.0),
            aws_line(
                MONTH,
                "SavingsPlanRecurringFee",
                14.0,
                line_item_resource_id="",
                savings_plan_savings_plan_a_r_n=SP,
                line_item_product_code="ComputeSavingsPlans",
                line_item_usage_type="ComputeSP:1yrNoUpfront",
                savings_plan_total_commitment_to_date=14.0,
                savings_plan_used_commitment=14.0,
                **tags(),
            ),
        ],
    )


def test_savings_plan_covered_usage_is_not_billed_to_its_resources_tags_or_cost_centers(data_dir):
    """write_two_covered_instances. Invoiced: 14, the fee, which no tag or rule names."""
    write_two_covered_instances(data_dir)
    run("aws", config=ALLOCATION)
    assert q("SELECT sum(net_unblended_cost), sum(net_amortized_cost) FROM finops.int_aws__cost_line_items") == [
        (D(14), D(14))
    ]

    # was a 10, b 10, unallocated -6: the covered instances at on-demand price, the negation unallocated
    assert q("SELECT cost_center, sum(total_cost) FROM finops.showback_monthly GROUP BY 1 ORDER BY 1") == [
        ("a", D(0)),
        ("b", D(0)),
        ("unallocated", D(14)),
    ]
    assert q(
        "SELECT charge_type, sum(billed_cost), sum(line_items) FROM finops.int_cloud_cost_allocated "
        "GROUP BY 1 ORDER BY 1"
    ) == [("SavingsPlanCoveredUsage", D(0), 2), ("SavingsPlanNegation", D(0), 1), ("SavingsPlanRecurringFee", D(14), 1)]

    # was tagged 20, untagged -6, coverage 142.86 %
    (coverage,) = q(
        "SELECT tagged_cost, untagged_cost, total_cost, coverage_pct, tagged_line_items, total_line_items "
        "FROM finops.tag_coverage_monthly WHERE tag_key = 'team'"
    )
    assert coverage == (D(0), D(14), D(14), 0.0, 2, 4)
    assert coverage[3] <= 100
    assert q(
        "SELECT tagged_billed_cost, total_billed_cost, matched FROM finops.tag_key_coverage WHERE tag_key = 'team'"
    ) == [(D(0), D(14), 1)]

    # billed: was a 10, b 10, untagged -6; effective (the plan's cost on the usage it covered) as it was
    assert q(
        "SELECT tag_value, sum(billed_cost), sum(effective_cost), sum(line_items) FROM finops.fct_cost_daily_by_tag "
        "WHERE tag_key = 'team' GROUP BY 1 ORDER BY 1"
    ) == [("", D(14), D(0), 2), ("a", D(0), D(7), 1), ("b", D(0), D(7), 1)]
    # the same cut as the focus mart's
    assert q(
        "SELECT JSONExtractString(Tags, 'user_team') AS team, sum(BilledCost), sum(EffectiveCost) FROM finops.focus "
        "WHERE x_Provider = 'aws' GROUP BY team ORDER BY team"
    ) == [("", D(14), D(0)), ("a", D(0), D(7)), ("b", D(0), D(7))]
    # was empty: the untagged cost (-6) was negative
    assert q("SELECT cost_rank, resource_id, untagged_cost FROM finops.untagged_cost_top WHERE tag_key = 'team'") == [
        (1, "", D(14))
    ]
    assert q(
        "SELECT resource_id, sum(billed_cost) FROM finops.int_cloud_cost_by_tag_key WHERE tag_key = 'team' "
        "GROUP BY 1 ORDER BY 1"
    ) == [("", D(14)), ("i-a", D(0)), ("i-b", D(0))]

    assert run_checks("marts")["failed"] == 0
    assert_yaml_holds(
        "int_cloud_cost_allocated",
        "int_cloud_cost_by_tag_key",
        "int_cloud_cost_daily_by_tag",
        "showback_monthly",
        "tag_coverage_monthly",
        "tag_key_coverage",
        "fct_cost_daily_by_tag",
        "untagged_cost_top",
    )


def test_a_budget_scoped_by_tag_counts_no_covered_usage(data_dir):
    """A budget on team a's cost: the covered instance bills nothing (was its on-demand price, 10)."""
    write_aws_period(
        data_dir,
        MONTH,
        [
            covered_instance("i-a", "a"),
            negation(-10.0),
            aws_line(
                MONTH,
                "SavingsPlanRecurringFee",
                7.0,
                line_item_resource_id="",
                savings_plan_savings_plan_a_r_n=SP,
                line_item_product_code="ComputeSavingsPlans",
                savings_plan_total_commitment_to_date=7.0,
                savings_plan_used_commitment=7.0,
                **tags(),
            ),
            aws_line(MONTH, "Usage", 3.0, line_item_resource_id="i-c", **tags(user_team="a")),
        ],
    )
    budget = {"name": "team a", "month": MONTH, "currency": "USD", "amount": "5", "scope": {"tags": {"team": "a"}}}
    run("aws", config={"budgets": [budget]})
    assert q("SELECT actual_cost FROM finops.budget_status WHERE budget_name = 'team a'") == [(D(3),)]


class _MartEngine(rill.Engine):
    """A Rill model's production SQL (ClickHouse) run on the test's chdb, for the metrics views' measures."""

    name = "clickhouse"

    def rows(self, sql: str) -> list[tuple]:
        return q(sql)

    def table(self, model: str) -> str:
        return f"({rill.model_sql(rill.load_project().models[model], 'prod', {})[1]})"


def test_aws_tag_cuts_of_unblended_cost_do_not_bill_covered_usage(data_dir):
    """The AWS-native tag models and the AWS dashboard on write_two_covered_instances (default tag keys team,
    environment). Unblended = net unblended cost (no discounts here), per team:
        covered usage  a 10, b 10;  negation '' -20;  fee '' 14
        was            a 10, b 10, '' -6   (the covered instances at on-demand price, untagged negative)
        now            a 0,  b 0,  '' 14   (covered usage and negation 0: the fee is what is billed)
    Total 14 either way. Amortized (the plan's effective cost on the usage it covered) unchanged: a 7, b 7, '' 0 (the
    fee is fully used, the negation amortizes to 0); on-demand a 10, b 10, '' 0."""
    write_two_covered_instances(data_dir)
    run("aws")

    # was '' -6 / -6, a 10 / 10, b 10 / 10
    assert q(
        "SELECT tag_value, sum(unblended_cost), sum(net_unblended_cost), sum(amortized_cost), "
        "sum(net_amortized_cost), sum(line_items) FROM finops.int_aws__cost_daily_by_tag WHERE tag_key = 'team' "
        "GROUP BY 1 ORDER BY 1"
    ) == [("", D(14), D(14), D(0), D(0), 2), ("a", D(0), D(0), D(7), D(7), 1), ("b", D(0), D(0), D(7), D(7), 1)]
    assert q(
        "SELECT tag_value, sum(unblended_cost), sum(line_items) FROM finops.int_aws__cost_daily_by_tag "
        "WHERE tag_key = 'environment' GROUP BY 1"
    ) == [("", D(14), 4)]

    # the AWS dashboard's rows: per tag as above; per line item type the FOCUS BilledCost of each
    assert q(
        "SELECT tag_team, sum(unblended_cost), sum(net_unblended_cost), sum(net_amortized_cost), "
        "sum(public_on_demand_cost), sum(line_item_count) FROM finops.int_aws__cost_daily_tagged "
        "GROUP BY 1 ORDER BY 1"
    ) == [("", D(14), D(14), D(0), D(0), 2), ("a", D(0), D(0), D(7), D(10), 1), ("b", D(0), D(0), D(7), D(10), 1)]
    assert q(
        "SELECT line_item_type, sum(unblended_cost) FROM finops.int_aws__cost_daily_tag_values GROUP BY 1 ORDER BY 1"
    ) == [("SavingsPlanCoveredUsage", D(0)), ("SavingsPlanNegation", D(0)), ("SavingsPlanRecurringFee", D(14))]
    # its metrics view (rill/metrics/aws_costs.yaml), the measures as Rill runs them
    by_team = rill.measure_totals(_MartEngine(), "aws_costs", "tag_team")
    assert {
        team: (m["total_unblended_cost"], m["total_net_unblended_cost"], m["total_net_amortized_cost"])
        for team, m in by_team.items()
    } == {"": (D(14), D(14), D(0)), "a": (D(0), D(0), D(7)), "b": (D(0), D(0), D(7))}
    assert by_team["a"]["total_savings_plan_savings"] == D(3)

    # line items: the CUR's own unblended cost per line, and its billed cost, which the generated pages chart
    assert q(
        "SELECT tag_team, sum(unblended_cost), sum(billed_cost), sum(net_amortized_cost) "
        "FROM finops.int_aws__cost_line_items_tagged GROUP BY 1 ORDER BY 1"
    ) == [("", D(-6), D(14), D(0)), ("a", D(10), D(0), D(7)), ("b", D(10), D(0), D(7))]
    columns = dict(
        q(
            "SELECT name, type FROM system.columns WHERE database = 'finops' "
            "AND table = 'int_aws__cost_line_items_tagged'"
        )
    )
    assert pages.first_present(pages.PROVIDERS[0].money["billed"][1], columns) == "billed_cost"

    # the same as the cross-cloud tag model and the focus mart
    assert q(
        "SELECT tag_value, sum(billed_cost) FROM finops.fct_cost_daily_by_tag WHERE tag_key = 'team' "
        "GROUP BY 1 ORDER BY 1"
    ) == [("", D(14)), ("a", D(0)), ("b", D(0))]
    assert run_checks("aws")["failed"] == 0 and run_checks("marts")["failed"] == 0
    assert_yaml_holds(
        "int_aws__cost_daily_by_tag",
        "int_aws__cost_daily_tag_values",
        "int_aws__cost_daily_tagged",
        "int_aws__cost_line_items_tagged",
    )
