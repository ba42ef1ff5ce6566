"""The allocation dashboards (showback, tag coverage, budgets, Kubernetes / ECS cost, cost per customer) on the
demo data, on both engines: every headline measure equals the SQL layer's figures to the cent, and the
showback and the customers add up to the bill."""

from __future__ import annotations

from decimal import Decimal

from standins.sample_data.aws_allocation import PODS
from tests.rill import project as rill

CENT = Decimal("0.01")


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def by_month(rows) -> dict:
    return {month: cents(value) for month, value in rows}


def test_showback_per_cost_center_adds_up_to_the_bill_with_unallocated_visible(engine, clickhouse):
    bill = by_month(clickhouse.rows("SELECT month, sum(billed_cost) FROM finops.monthly_cloud_costs GROUP BY month"))
    shown = rill.measure_totals(engine, "showback", "month")
    assert {m: cents(v["showback_cost"]) for m, v in shown.items()} == bill
    unallocated = by_month(clickhouse.rows("SELECT month, sum(total_cost) FROM finops.showback_monthly "
                                           "WHERE cost_center = 'unallocated' GROUP BY month"))
    assert {m: cents(v["unallocated_cost"]) for m, v in shown.items()} == unallocated
    assert all(0 < v["unallocated_share"] < 1 for v in shown.values())  # the demo leaves some cost unmapped
    centers = rill.measure_totals(engine, "showback", "cost_center")
    # the Kubernetes namespaces got their instances' cost (checkout: 140.16 of i-...01 and i-...02 together)
    assert {"checkout", "search", "payments", "web", "data", "platform", "unallocated"} <= set(centers)
    expected = dict(clickhouse.rows("SELECT cost_center, sum(total_cost) FROM finops.showback_monthly GROUP BY cost_center"))
    assert {c: cents(v["showback_cost"]) for c, v in centers.items()} == {c: cents(v) for c, v in expected.items()}


def test_tag_coverage_per_key_equals_the_sql_layer(engine, clickhouse):
    expected = {key: (cents(tagged), cents(untagged)) for key, tagged, untagged in clickhouse.rows(
        "SELECT tag_key, sum(tagged_cost), sum(untagged_cost) FROM finops.tag_coverage_monthly GROUP BY tag_key")}
    shown = rill.measure_totals(engine, "tag_coverage", "tag_key")
    assert {k: (cents(v["tagged_billed_cost"]), cents(v["untagged_billed_cost"])) for k, v in shown.items()} == expected
    assert 0 < shown["customer"]["tag_coverage_share"] < 1  # customer tags on part of the cost


def test_budgets_equal_the_sql_layer(engine, clickhouse):
    expected = {name: (cents(budget), cents(actual), cents(forecast)) for name, budget, actual, forecast in clickhouse.rows(
        "SELECT budget_name, sum(budget_amount), sum(actual_cost), sum(forecast_cost) FROM finops.budget_status "
        "GROUP BY budget_name")}
    shown = rill.measure_totals(engine, "budgets", "budget_name")
    assert {n: (cents(v["budget_total"]), cents(v["budget_actual_cost"]), cents(v["budget_forecast_cost"]))
            for n, v in shown.items()} == expected
    assert len(expected) == 2 * 3  # web and platform, every month of the demo
    over = clickhouse.rows("SELECT count() FROM finops.budget_status WHERE status = 'over'")[0][0]
    assert rill.measure_totals(engine, "budgets")[None]["budgets_over"] == over > 0  # web's 100 is too tight


def test_kubernetes_cost_per_namespace_is_the_hand_computed_split_of_the_instances(engine):
    months = rill.measure_totals(engine, "container_costs", "month")
    per_namespace = rill.measure_totals(engine, "container_costs", "namespace")
    expected = {}
    for _, namespace, _, _, split, unused in PODS:
        total = expected.setdefault(namespace, [Decimal(0), Decimal(0)])
        total[0] += Decimal(str(split))
        total[1] += Decimal(str(unused))
    count = len(months)  # the same cluster every month
    assert {ns: (cents(v["container_split_cost"]), cents(v["container_unused_cost"])) for ns, v in per_namespace.items()} == {
        ns: (cents(split * count), cents(unused * count)) for ns, (split, unused) in expected.items()}
    # the instances' 140.16 + 140.16 + 99.28 a month, re-cut
    assert {m: cents(v["container_cost"]) for m, v in months.items()} == dict.fromkeys(months, Decimal("379.60"))


def test_cost_per_customer_adds_up_to_the_bill_and_equals_the_sql_layer(engine, clickhouse):
    bill = by_month(clickhouse.rows("SELECT month, sum(cloud_billed_cost) FROM finops.unit_economics_monthly GROUP BY month"))
    shown = rill.measure_totals(engine, "customer_margin", "month")
    assert {m: cents(v["customer_cost"]) for m, v in shown.items() if m in bill} == bill
    expected = {c: (cents(r), cents(a), cents(g)) for c, r, a, g in clickhouse.rows(
        "SELECT customer_id, sum(revenue), sum(allocated_cost), sum(gross_margin) FROM finops.customer_margin_monthly "
        "GROUP BY customer_id")}
    customers = rill.measure_totals(engine, "customer_margin", "customer_id")
    assert {c: (cents(v["customer_revenue"]), cents(v["customer_cost"]), cents(v["customer_gross_margin"]))
            for c, v in customers.items()} == expected
    mapped = [c for c in customers if c]
    assert len(mapped) >= 5 and customers[""]["customer_revenue"] == 0  # five tagged customers, unmapped cost
    assert cents(rill.measure_totals(engine, "customer_margin")[None]["unmapped_cost"]) == expected[""][1]
