"""The allocation sample data of the generated CUR months: a cluster whose pods add up to their instances, and
customer tags on part of the cost."""

from collections import defaultdict
from decimal import Decimal

from standins.sample_data.aws import generate_cur2_month, to_legacy_csv_table
from standins.sample_data.aws_allocation import CUSTOMERS

D = Decimal


def test_every_instance_s_pods_add_up_to_its_cost_and_the_month_keeps_its_size():
    table = generate_cur2_month("2026-09", 1_500)
    assert table.num_rows == 1_500
    rows = table.to_pylist()
    instances = {r["line_item_resource_id"]: D(repr(r["line_item_unblended_cost"])) for r in rows
                 if r["line_item_resource_id"].startswith("i-0de5e")}
    assert instances == {"i-0de5e1c500000001": D("140.16"), "i-0de5e1c500000002": D("140.16"),
                         "i-0de5ec5000000001": D("99.28")}
    pods = defaultdict(Decimal)
    for r in rows:
        if r["split_line_item_parent_resource_id"]:
            assert r["line_item_unblended_cost"] == 0.0  # the bill keeps the cost on the instance
            pods[r["split_line_item_parent_resource_id"]] += (D(repr(r["split_line_item_split_cost"]))
                                                             + D(repr(r["split_line_item_unused_cost"])))
    assert pods == instances
    # part of the cost carries a customer tag, the rest none
    customers = [dict(r["resource_tags"] or []).get("user:customer") for r in rows]
    tagged = [c for c in customers if c]
    assert set(tagged) == set(CUSTOMERS) and 0 < len(tagged) < len(rows)
    # the legacy CUR form has the splitLineItem columns
    legacy, _ = to_legacy_csv_table(table)
    assert "splitLineItem/SplitCost" in legacy.column_names and "resourceTags/user:customer" in legacy.column_names


def test_a_small_month_stays_as_generated():
    table = generate_cur2_month("2026-09", 50)
    assert "split_line_item_split_cost" not in table.column_names
    assert not any(dict(tags or []).get("user:customer") for tags in table["resource_tags"].to_pylist())
