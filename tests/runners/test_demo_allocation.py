"""The demo's allocation settings are valid, and the showback summary adds up to the bill or says where not."""

from decimal import Decimal

from include.transform.config import sql_config
from runners.demo_allocation import demo_sql_config, showback_summary

D = Decimal


def fake_query(showback: list[tuple], bill: list[tuple]):
    def query(sql: str):
        if "max(month)" in sql:
            return ["m"], [("2026-09",)]
        return (["c", "p", "v"], showback) if "showback_monthly" in sql else (["p", "v"], bill)
    return query


def test_the_demo_settings_validate_and_map_the_sample_customers():
    data = {"stripe": {"customers": [{"id": f"cus_{i}"} for i in range(8)]}, "aws": {"2026-08": None, "2026-09": None}}
    config = sql_config(demo_sql_config(data))
    assert config["customers"] == {"tag": "customer", "mapping": [
        ("customer-01", "cus_0"), ("customer-02", "cus_1"), ("customer-03", "cus_2"), ("customer-04", "cus_3"),
        ("customer-05", "cus_4")]}
    assert [rule["cost_center"] for rule in config["allocation"]["rules"]][:3] == ["checkout", "search", "payments"]
    assert [(b["name"], b["cost_centers"]) for b in config["budgets"]] == [
        ("web 2026-08", ["web"]), ("platform 2026-08", ["platform"]), ("web 2026-09", ["web"]),
        ("platform 2026-09", ["platform"])]


def test_the_summary_lists_cost_centers_with_unallocated_last_and_checks_the_bill():
    showback = [("web", "aws", D("10.004")), ("unallocated", "aws", D("2")), ("web", "gcp", D("1")),
                ("data", "azure", D("3"))]
    table, problems = showback_summary(fake_query(showback, [("aws", D("12.004")), ("gcp", D(1)), ("azure", D(3))]))
    lines = table.splitlines()
    assert lines[0] == "Showback 2026-09 (USD, allocation demo-v1)"
    assert [line.split()[0] for line in lines[2:]] == ["data", "web", "unallocated", "total", "the"]
    assert lines[3].split() == ["web", "10.00", "1.00", "0.00", "11.00"]
    assert lines[5].split() == ["total", "12.00", "1.00", "3.00", "16.00"]
    assert lines[6].split() == ["the", "bill", "12.00", "1.00", "3.00", "16.00"]
    assert problems == []
    _, problems = showback_summary(fake_query(showback, [("aws", D("12.02")), ("gcp", D(1)), ("azure", D(3))]))
    assert problems == ["2026-09 aws: showback 12.004 != bill 12.02"]
