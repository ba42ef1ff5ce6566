"""EKS / ECS split cost allocation data: cost per cluster, namespace and workload, the clusters' unused capacity,
and the reconciliation of the pods' split + unused cost with their parent EC2 instances' cost."""

import json
from decimal import Decimal

import pytest

from include.reconciliation import ReconciliationError, run_checks
from tests.helpers.transform import q, run
from tests.transform.marts.model_contract import assert_yaml_holds
from tests.transform.raw import aws_line, write_aws_period

D = Decimal
PERIOD = "2026-09"


def instance(resource_id: str, cost: float) -> dict:
    return aws_line(PERIOD, "Usage", cost, line_item_resource_id=resource_id, line_item_usage_type="BoxUsage:m5.xlarge",
                    resource_tags="{}")


def pod(parent: str, split: float, unused: float, tags: dict, arn: str, resource: str = "vCPU") -> dict:
    """A split cost allocation usage record: no unblended cost of its own, the instance's cost in split_*."""
    eks = "pod/" in arn
    return aws_line(PERIOD, "Usage", 0.0, line_item_product_code="AmazonEKS" if eks else "AmazonECS",
                    line_item_operation="EKSPod-EC2" if eks else "ECSTask-EC2",
                    line_item_usage_type=f"USE1-{'EKS' if eks else 'ECS'}-EC2-{resource}-Hours",
                    line_item_resource_id=arn, resource_tags=json.dumps(tags),
                    split_line_item_parent_resource_id=parent, split_line_item_split_cost=split,
                    split_line_item_unused_cost=unused, split_line_item_split_usage=1.0,
                    split_line_item_split_usage_ratio=0.25)


def eks(namespace: str, workload: str, legacy: bool = True) -> dict:
    if legacy:
        return {"aws:eks:cluster-name": "prod-eks", "aws:eks:namespace": namespace, "aws:eks:workload-name": workload}
    return {"aws_eks_cluster_name": "prod-eks", "aws_eks_namespace": namespace, "aws_eks_deployment": workload}


POD = "arn:aws:eks:us-east-1:111111111111:pod/prod-eks/{}/{}"
LINES = [
    instance("i-node1", 1.0),
    instance("i-node2", 0.5),
    instance("i-node3", 0.2),
    instance("i-plain", 9.0),  # no pods ran on it: not a split parent
    # i-node1: 1.00 = 0.30 + 0.06 + 0.05 + 0.01 + 0.20 + 0.04 + 0.04 + 0 + 0.25 + 0.05
    pod("i-node1", 0.30, 0.06, eks("shop", "web"), POD.format("shop", "web-1")),
    pod("i-node1", 0.05, 0.01, eks("shop", "web"), POD.format("shop", "web-1"), "GB"),
    pod("i-node1", 0.20, 0.04, eks("shop", "cart"), POD.format("shop", "cart-1")),
    pod("i-node1", 0.04, 0.0, eks("shop", "cart"), POD.format("shop", "cart-1"), "GB"),
    pod("i-node1", 0.25, 0.05, eks("batch", "etl"), POD.format("batch", "etl-1")),
    # i-node2: 0.50 = 0.35 + 0.15, tagged in the CUR 2.0 spelling with a deployment
    pod("i-node2", 0.35, 0.15, eks("shop", "web", legacy=False), POD.format("shop", "web-2")),
    # i-node3: an ECS task, 0.20 = 0.12 + 0.08
    pod("i-node3", 0.12, 0.08, {"aws:ecs:cluster-name": "ecs-main", "aws:ecs:service-name": "api"},
        "arn:aws:ecs:us-east-1:111111111111:task/ecs-main/abc123"),
]


def test_cost_per_cluster_namespace_and_workload_with_the_clusters_unused_capacity(data_dir):
    write_aws_period(data_dir, PERIOD, LINES)
    run("aws")
    rows = q("SELECT platform, cluster_name, namespace, workload, split_cost, unused_cost, total_cost, pods, "
             "cluster_unused_cost, cluster_total_cost, cluster_unused_pct FROM finops.container_cost_monthly "
             f"WHERE month = '{PERIOD}' ORDER BY platform, namespace, workload")
    assert rows == [
        ("ecs", "ecs-main", "", "api", D("0.12"), D("0.08"), D("0.2"), 1, D("0.08"), D("0.2"), 40.0),
        ("eks", "prod-eks", "batch", "etl", D("0.25"), D("0.05"), D("0.3"), 1, D("0.31"), D("1.5"), 20.67),
        ("eks", "prod-eks", "shop", "cart", D("0.24"), D("0.04"), D("0.28"), 1, D("0.31"), D("1.5"), 20.67),
        # web-1 on i-node1 (0.35 + 0.07) and web-2 on i-node2 (0.35 + 0.15)
        ("eks", "prod-eks", "shop", "web", D("0.7"), D("0.22"), D("0.92"), 2, D("0.31"), D("1.5"), 20.67),
    ]
    # the pods carry no billed cost: the bill is the instances' 10.70
    assert q("SELECT sum(net_unblended_cost) FROM finops.int_aws__cost_line_items") == [(D("10.7"),)]
    assert run_checks("aws", run_id="run-split")["failed"] == 0
    assert q("SELECT check_name, expected, actual FROM finops.reconciliation_checks WHERE run_id = 'run-split' "
             "AND check_name LIKE 'split_cost%' ORDER BY check_name") == [
        ("split_cost_instances_off", D(0), D(0)), ("split_cost_vs_parent_instances", D("1.7"), D("1.7"))]
    assert_yaml_holds("int_aws__cost_line_items", "int_aws__container_cost_daily", "container_cost_monthly")


def test_pods_that_do_not_add_up_to_their_instance_fail_the_check_naming_it(data_dir):
    lines = [dict(line) for line in LINES]
    lines[-1]["split_line_item_split_cost"] = 0.11  # the ECS task loses a cent of i-node3's 0.20
    write_aws_period(data_dir, PERIOD, lines)
    run("aws")
    with pytest.raises(ReconciliationError) as failure:
        run_checks("aws", run_id="run-split-off")
    message = str(failure.value)
    assert f"split_cost_vs_parent_instances period {PERIOD} USD: expected 1.7" in message
    assert "difference -0.01" in message
    assert "split_cost_instances_off" in message
    assert q("SELECT actual FROM finops.reconciliation_checks WHERE run_id = 'run-split-off' "
             "AND check_name = 'split_cost_instances_off'") == [(D(1),)]  # i-node3


def test_a_cur_without_split_cost_allocation_data_has_no_container_cost(data_dir):
    write_aws_period(data_dir, PERIOD, [instance("i-node1", 1.0)])
    run("aws")
    assert q("SELECT count() FROM finops.container_cost_monthly") == [(0,)]
    assert q("SELECT split_parent_resource_id, split_cost, split_unused_cost FROM finops.int_aws__cost_line_items") == [
        ("", D(0), D(0))]
    assert run_checks("aws", run_id="run-no-split")["failed"] == 0


def test_allocation_rules_match_clusters_namespaces_and_workloads_and_the_instances_bill_is_re_cut_exactly(data_dir):
    write_aws_period(data_dir, PERIOD, LINES)
    config = {"allocation": {"version": "k8s-v1", "rules": [
        {"name": "shop web", "cost_center": "web", "match": {"namespace": "shop", "workload": "web"}},
        {"name": "shop", "cost_center": "shop", "match": {"cluster": "prod-eks", "namespace": "shop"}},
        {"name": "ecs", "cost_center": "platform", "match": {"cluster": "ecs-main"}},
    ]}}
    run("aws", config=config)
    # i-node1's billed 1.00 by its workloads' split + unused: web 0.42, cart 0.28, etl 0.30; i-node2's 0.50 all web;
    # i-node3's 0.20 the ECS service; i-plain (no pods) stays unallocated with the batch namespace (no rule)
    assert dict(q("SELECT cost_center, total_cost FROM finops.showback_monthly WHERE provider = 'aws'")) == {
        "web": D("0.92"), "shop": D("0.28"), "platform": D("0.2"), "unallocated": D("9.3")}
    assert run_checks("marts", run_id="run-k8s-showback")["failed"] == 0


def test_container_cost_by_the_pods_configured_tags(data_dir):
    """Kubernetes labels imported as cost allocation tags (here user:team, in the legacy and the CUR 2.0 spelling) cut
    the container cost like any configured tag key: web's pods of team checkout and search are two rows, a pod
    without the label has ''; the workload's total is unchanged (0.42 + 0.50 + 0.28)."""
    web = eks("shop", "web")
    write_aws_period(data_dir, PERIOD, [
        instance("i-node1", 1.0), instance("i-node2", 0.5),
        pod("i-node1", 0.35, 0.07, {**web, "user:team": "checkout", "user:environment": "prod"}, POD.format("shop", "web-1")),
        pod("i-node1", 0.50, 0.08, {**web, "user_team": "search"}, POD.format("shop", "web-3")),
        pod("i-node2", 0.35, 0.15, {**web, "user_team": "checkout"}, POD.format("shop", "web-2")),
        pod("i-node2", 0.0, 0.0, web, POD.format("shop", "web-4")),
    ])
    run("aws")
    rows = q("SELECT workload, tag_team, tag_environment, split_cost, unused_cost, total_cost, pods "
             f"FROM finops.container_cost_monthly WHERE month = '{PERIOD}' ORDER BY tag_team, tag_environment")
    assert rows == [("web", "", "", D(0), D(0), D(0), 1),
                    ("web", "checkout", "", D("0.35"), D("0.15"), D("0.5"), 1),
                    ("web", "checkout", "prod", D("0.35"), D("0.07"), D("0.42"), 1),
                    ("web", "search", "", D("0.5"), D("0.08"), D("0.58"), 1)]
    assert q("SELECT DISTINCT cluster_total_cost FROM finops.container_cost_monthly") == [(D("1.5"),)]
    assert run_checks("aws", run_id="run-labels")["failed"] == 0
    assert_yaml_holds("int_aws__container_cost_daily", "container_cost_monthly")


def test_focus_shows_each_split_instance_line_as_allocated_charges_that_add_up_to_it_exactly(data_dir):
    """FOCUS split cost allocation (1.3+): an EC2 instance line whose pods / tasks split it (the origin charge) becomes
    one allocated charge per pod / task (its split cost) and one for the unused capacity (the unused cost), instead of
    the instance line and the pods' own zero-cost records; every cost and quantity adds up to the origin's exactly."""
    # three equal pods of 0.3333 (AWS's split is within half a cent of the instance's 1.00): a third each, which no
    # 10-digit decimal is
    thirds = [pod("i-node4", 0.3333, 0.0, eks("shop", "web"), POD.format("shop", f"web-{n}")) for n in (7, 8, 9)]
    write_aws_period(data_dir, PERIOD, [*LINES, instance("i-node4", 1.0), *thirds])
    run("aws")
    run("marts")
    allocated = q("SELECT ResourceId, AllocatedResourceName, AllocatedMethodId, BilledCost, EffectiveCost, ConsumedQuantity "
                  "FROM finops.focus WHERE AllocatedMethodId IS NOT NULL ORDER BY ResourceId, AllocatedResourceName NULLS LAST")
    eks_split, ecs_split = "aws-eks-split-cost-allocation", "aws-ecs-split-cost-allocation"
    third, rest = D("0.3333333333"), D("0.3333333334")  # 1 / 3 truncated; the remainder to the first of the tie
    assert allocated == [
        # i-node1's 1.00: web-1 0.30 + 0.05, cart-1 0.20 + 0.04, etl-1 0.25; unused 0.06 + 0.01 + 0.04 + 0.05
        ("i-node1", "cart-1", eks_split, D("0.24"), D("0.24"), D("0.24")),
        ("i-node1", "etl-1", eks_split, D("0.25"), D("0.25"), D("0.25")),
        ("i-node1", "web-1", eks_split, D("0.35"), D("0.35"), D("0.35")),
        ("i-node1", None, eks_split, D("0.16"), D("0.16"), D("0.16")),
        # the instance hour's usage (1 hour) is split in the same proportion: 0.35 of 0.50 is 0.7 of the hour
        ("i-node2", "web-2", eks_split, D("0.35"), D("0.35"), D("0.7")),
        ("i-node2", None, eks_split, D("0.15"), D("0.15"), D("0.3")),
        ("i-node3", "abc123", ecs_split, D("0.12"), D("0.12"), D("0.6")),
        ("i-node3", None, ecs_split, D("0.08"), D("0.08"), D("0.4")),
        ("i-node4", "web-7", eks_split, rest, rest, rest),
        ("i-node4", "web-8", eks_split, third, third, third),
        ("i-node4", "web-9", eks_split, third, third, third),
    ]
    # the instances split are gone as lines of their own, and so are the pods' records: the bill is unchanged
    assert q("SELECT ResourceId, BilledCost FROM finops.focus WHERE x_Provider = 'aws' AND AllocatedMethodId IS NULL") == [
        ("i-plain", D(9))]
    assert q("SELECT sum(BilledCost), sum(EffectiveCost) FROM finops.focus") == [(D("11.7"), D("11.7"))]

    web_1 = q("SELECT AllocatedResourceId, AllocatedMethodDetails, AllocatedTags, Tags, x_LineItemId LIKE '%/' || AllocatedResourceId "
              "FROM finops.focus WHERE AllocatedResourceName = 'web-1'")
    assert web_1 == [(POD.format("shop", "web-1"),
                      '{"Elements":[{"AllocatedRatio":0.05,"UsageUnit":"GB-Hours","UsageQuantity":1},'
                      '{"AllocatedRatio":0.3,"UsageUnit":"vCPU-Hours","UsageQuantity":1}]}',
                      '{"aws:eks:cluster-name":"prod-eks","aws:eks:namespace":"shop","aws:eks:workload-name":"web"}', "{}", 1)]
    # the unallocated portion: no resource, no tags, its ratio only
    assert q("SELECT AllocatedResourceId, AllocatedTags, AllocatedMethodDetails FROM finops.focus "
             "WHERE ResourceId = 'i-node2' AND AllocatedResourceName IS NULL") == [
        (None, None, '{"Elements":[{"AllocatedRatio":0.3}]}')]
    # the ratios of an origin's charges add up to exactly 1 (i-node4: three thirds, the rest of 1 to the first)
    ratios = "arraySum(arrayMap(e -> toDecimal128(JSONExtractRaw(e, 'AllocatedRatio'), 10), " \
             "JSONExtractArrayRaw(assumeNotNull(AllocatedMethodDetails), 'Elements')))"
    assert q(f"SELECT ResourceId, sum({ratios}) FROM finops.focus WHERE AllocatedMethodId IS NOT NULL "
             "GROUP BY ResourceId ORDER BY ResourceId") == [(f"i-node{n}", D(1)) for n in (1, 2, 3, 4)]
    assert run_checks("aws", run_id="run-focus-split")["failed"] == 0
    assert run_checks("marts", run_id="run-focus-split-marts")["failed"] == 0
    assert_yaml_holds("int_aws__allocated_line_items", "focus")


def test_an_hour_whose_pods_have_no_instance_line_is_not_split(data_dir):
    """Pods whose instance has no line in their hour (or whose split and unused cost are all 0) stay as AWS wrote them:
    zero-cost records, not allocated charges; nothing is invented or lost."""
    write_aws_period(data_dir, PERIOD, [instance("i-node1", 1.0),
                                        pod("i-gone", 0.3, 0.1, eks("shop", "web"), POD.format("shop", "web-1")),
                                        pod("i-node1", 0.0, 0.0, eks("shop", "cart"), POD.format("shop", "cart-1"))])
    run("aws")
    run("marts")
    assert q("SELECT ResourceId, BilledCost, AllocatedMethodId FROM finops.focus ORDER BY ResourceId") == [
        (POD.format("shop", "cart-1"), D(0), None), (POD.format("shop", "web-1"), D(0), None), ("i-node1", D(1), None)]


def test_an_allocated_charge_always_has_a_resource_name(data_dir):
    """FOCUS: AllocatedResourceName MUST NOT be null when AllocatedResourceId is not; a pod id that is not an ARN of
    the usual shape names itself."""
    write_aws_period(data_dir, PERIOD, [instance("i-node1", 1.0),
                                        pod("i-node1", 0.6, 0.0, eks("shop", "web"), "pod/short"),
                                        pod("i-node1", 0.4, 0.0, {}, "arn:aws:ecs:us-east-1:111111111111:task/ecs-main/")])
    run("aws")
    run("marts")
    assert q("SELECT AllocatedResourceId, AllocatedResourceName, BilledCost FROM finops.focus ORDER BY BilledCost") == [
        ("arn:aws:ecs:us-east-1:111111111111:task/ecs-main/", "arn:aws:ecs:us-east-1:111111111111:task/ecs-main/", D("0.4")),
        ("pod/short", "short", D("0.6"))]
