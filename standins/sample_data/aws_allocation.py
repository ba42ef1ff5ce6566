"""Allocation sample data in the generated CUR 2.0 months: customer tags on part of the cost, and a cluster with
EKS / ECS split cost allocation data (CUR 2.0 `split_line_item_*` columns), with figures simple enough to check by
hand: every instance's pods add up to the instance's cost to the cent.

`generate_cur2_month` calls both; a month of fewer than MIN_ROWS rows is left as it is (unit-test sized months).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

MIN_ROWS = 200
CUSTOMER_TAG = "user:customer"
# tag values of the customers the demo maps to Stripe customers (runners/demo_allocation.py)
CUSTOMERS = ("customer-01", "customer-02", "customer-03", "customer-04", "customer-05")
CUSTOMER_TEAMS = ("payments", "search", "web")  # the teams whose resources serve one customer each
SPLIT_COLUMNS = {"split_line_item_parent_resource_id": pa.string(), **{
    f"split_line_item_{name}": pa.float64()
    for name in ("split_usage", "reserved_usage", "actual_usage", "split_usage_ratio", "split_cost", "unused_cost")}}

# (instance id, usage type, account, monthly cost, cluster platform, cluster)
INSTANCES = [
    ("i-0de5e1c500000001", "USE1-BoxUsage:m5.xlarge", "111111111111", 140.16, "eks", "demo-eks"),
    ("i-0de5e1c500000002", "USE1-BoxUsage:m5.xlarge", "111111111111", 140.16, "eks", "demo-eks"),
    ("i-0de5ec5000000001", "USE1-BoxUsage:c6g.xlarge", "333333333333", 99.28, "ecs", "demo-ecs"),
]
# (instance, namespace ('' on ECS), workload / service, resource, split cost, unused cost): per instance the
# split + unused costs add up to its cost (140.16 = 68 + 12 + 46 + 9 + 5.16; 140.16 = 60 + 20 + 40.16 + 20;
# 99.28 = 70 + 29.28)
PODS = [
    ("i-0de5e1c500000001", "checkout", "checkout-api", "vCPU", 60.00, 10.00),
    ("i-0de5e1c500000001", "checkout", "checkout-api", "GB", 8.00, 2.00),
    ("i-0de5e1c500000001", "search", "search-indexer", "vCPU", 40.00, 8.00),
    ("i-0de5e1c500000001", "search", "search-indexer", "GB", 6.00, 1.00),
    ("i-0de5e1c500000001", "monitoring", "prometheus", "vCPU", 5.16, 0.00),
    ("i-0de5e1c500000002", "checkout", "checkout-api", "vCPU", 50.00, 15.00),
    ("i-0de5e1c500000002", "checkout", "checkout-api", "GB", 10.00, 5.00),
    ("i-0de5e1c500000002", "monitoring", "prometheus", "vCPU", 30.00, 15.00),
    ("i-0de5e1c500000002", "monitoring", "prometheus", "GB", 10.16, 5.00),
    ("i-0de5ec5000000001", "", "billing-worker", "vCPU", 70.00, 29.28),
]


def with_customer_tags(tag_keys: list[np.ndarray], tag_values: list[np.ndarray], team: np.ndarray,
                       rows: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """`user:customer` on the rows of the customer-facing teams (one customer per row, round robin): partial
    coverage, the rest of the cost has no customer."""
    if rows < MIN_ROWS:
        return tag_keys, tag_values
    customer = np.array(CUSTOMERS, dtype=object)[np.arange(rows) % len(CUSTOMERS)]
    customer[~np.isin(team.astype(str), CUSTOMER_TEAMS)] = None
    return [*tag_keys, np.full(rows, CUSTOMER_TAG, dtype=object)], [*tag_values, customer]


def with_container_split_rows(table: pa.Table, period: str) -> pa.Table:
    """The first len(INSTANCES) + len(PODS) usage rows become the clusters' instances and their pods' split cost
    allocation records (the month keeps its row count); every row gets the split columns (null off the pods)."""
    replaced = len(INSTANCES) + len(PODS)
    if table.num_rows < MIN_ROWS:
        return table
    template = table.slice(0, 1).to_pylist()[0]
    start = template["bill_billing_period_start_date"]
    # tag keys every row of the month carries (generate_cur2_month's tag_keys_extra) stay on the replaced rows
    every_row = [(k, v) for k, v in template["resource_tags"] or []
                 if k not in ("user:team", "user:environment", CUSTOMER_TAG)]
    def product(code: str) -> dict:
        # a replaced row is wholly the new service's: its product code, service code and product name agree
        # (FOCUS maps ServiceName from the product name, ServiceCategory from the product code)
        others = [(key, value) for key, value in template["product"] or [] if key != "product_name"]
        return {"line_item_product_code": code, "product_servicecode": code, "product": [("product_name", code), *others]}

    rows = []
    for instance_id, usage_type, account, cost, _platform, _cluster in INSTANCES:
        rows.append({**template, "identity_line_item_id": f"split-{period}-{instance_id}", **product("AmazonEC2"),
                     "line_item_usage_type": usage_type,
                     "line_item_operation": "RunInstances", "line_item_resource_id": instance_id,
                     "line_item_usage_account_id": account, "line_item_line_item_type": "Usage",
                     "line_item_usage_start_date": start, "line_item_usage_amount": 730.0,
                     "line_item_unblended_cost": cost, "line_item_net_unblended_cost": cost,
                     "line_item_blended_cost": cost, "pricing_public_on_demand_cost": cost,
                     "resource_tags": [("user:team", "platform"), *every_row],
                     "product_product_family": "Compute Instance"})
    clusters = {instance[0]: instance for instance in INSTANCES}
    for number, (parent, namespace, workload, resource, split, unused) in enumerate(PODS):
        _, _, account, _, platform, cluster = clusters[parent]
        if platform == "eks":
            arn = f"arn:aws:eks:us-east-1:{account}:pod/{cluster}/{namespace}/{workload}-{number % 2}/{number:04d}"
            tags = [("aws:eks:cluster-name", cluster), ("aws:eks:namespace", namespace),
                    ("aws:eks:workload-name", workload), ("aws:eks:workload-type", "deployment")]
        else:
            arn = f"arn:aws:ecs:us-east-1:{account}:task/{cluster}/{number:032x}"
            tags = [("aws:ecs:cluster-name", cluster), ("aws:ecs:service-name", workload)]
        rows.append({**template, "identity_line_item_id": f"split-{period}-{number}",
                     **product("AmazonEKS" if platform == "eks" else "AmazonECS"),
                     "line_item_usage_type": f"USE1-{platform.upper()}-EC2-{resource}-Hours",
                     "line_item_operation": "EKSPod-EC2" if platform == "eks" else "ECSTask-EC2",
                     "line_item_resource_id": arn, "line_item_usage_account_id": account,
                     "line_item_line_item_type": "Usage", "line_item_usage_start_date": start,
                     "line_item_usage_amount": 730.0, "line_item_unblended_cost": 0.0,
                     "line_item_net_unblended_cost": 0.0, "line_item_blended_cost": 0.0,
                     "pricing_public_on_demand_cost": 0.0, "resource_tags": [*tags, *every_row],
                     "split_line_item_parent_resource_id": parent, "split_line_item_split_usage": 730.0,
                     "split_line_item_reserved_usage": 730.0, "split_line_item_actual_usage": 500.0,
                     "split_line_item_split_usage_ratio": 0.25, "split_line_item_split_cost": split,
                     "split_line_item_unused_cost": unused})
    rest = table.slice(replaced)
    for name, type_ in SPLIT_COLUMNS.items():
        rest = rest.append_column(name, pa.nulls(rest.num_rows, type_))
    head = pa.Table.from_pylist(rows, schema=rest.schema)
    return pa.concat_tables([head, rest])

