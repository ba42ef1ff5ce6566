"""A configured GCP tag key matches the resource label, else a Resource Manager tag of that key (a tag attached to the
resource itself before one it inherits from its project / folder / organization), else the project label, in every
tag cut: the tagged line items, the daily tag rollups, allocation (showback), tag coverage.

Google, "Structure of Detailed data export": `tags` is a repeated record {key, value, inherited, namespace} of the
Resource Manager tags on the resource (`key` the tag key's short name, `inherited` whether the binding comes from an
ancestor, `namespace` the hierarchy that defines the key). The loader lands it as JSON text of that list, with
BigQuery's field names; Google's FOCUS export writes the same records as x_Tags {Key, Value, x_Inherited,
x_Namespace} (standins/sample_data/gcp_focus.py).
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.transform import q, run
from tests.transform.marts.model_contract import assert_yaml_holds
from tests.transform.raw import gcp_row, write_gcp_focus_rows, write_gcp_rows

D = Decimal
ORG, PROJECT = "123456789012", "shop-prod"


def rm_tags(*tags: tuple[str, str, bool, str]) -> str:
    """The billing export's `tags` as the loader lands it: JSON of the repeated record."""
    return json.dumps([{"key": k, "value": v, "inherited": inherited, "namespace": ns} for k, v, inherited, ns in tags])


ROWS = [
    # no resource label; an inherited tag team=search beats the project label team=checkout; app only as a tag
    gcp_row(
        "2026-09",
        10.0,
        labels="{}",
        tags=rm_tags(("team", "search", True, ORG), ("app", "api", False, PROJECT)),
        row_key="a",
    ),
    # the resource label team=web beats the tag; env from the project label
    gcp_row(
        "2026-09", 20.0, labels=json.dumps({"team": "web"}), tags=rm_tags(("team", "search", True, ORG)), row_key="b"
    ),
    # two tags of one short key in two namespaces: the one attached to the resource wins, listed first or not
    gcp_row(
        "2026-09",
        30.0,
        labels="{}",
        project_labels="{}",
        tags=rm_tags(("team", "platform", True, ORG), ("team", "data", False, PROJECT)),
        row_key="c",
    ),
    # nothing at all
    gcp_row("2026-09", 40.0, labels="{}", project_labels="{}", row_key="d"),
]
# per key: value -> cost (hand-worked from ROWS; project labels of a and b: env=prod, team=checkout)
EXPECTED = {
    "team": {"search": D(10), "web": D(20), "data": D(30), "": D(40)},
    "env": {"prod": D(30), "": D(70)},
    "app": {"api": D(10), "": D(90)},
}
ALLOCATION = {
    "allocation": {
        "version": "v1",
        "rules": [
            {"name": "search", "cost_center": "search", "match": {"provider": "gcp", "tags": {"team": "search"}}},
            {"name": "data", "cost_center": "data", "match": {"provider": "gcp", "tags": {"team": "data"}}},
            {"name": "api", "cost_center": "api", "match": {"provider": "gcp", "tags": {"app": "api"}}},
        ],
    }
}


def by_tag(sql: str) -> dict:
    out: dict = {}
    for key, value, cost in q(sql):
        out.setdefault(key, {})[value] = out.get(key, {}).get(value, D(0)) + cost
    return out


def test_a_resource_manager_tag_counts_after_the_resource_label_and_before_the_project_label(data_dir):
    write_gcp_rows(data_dir, ROWS)
    run("gcp", config=ALLOCATION)
    assert q(
        "SELECT row_key, tag_team, tag_env, tag_app FROM finops.int_gcp__cost_line_items_tagged ORDER BY row_key"
    ) == [("a", "search", "prod", "api"), ("b", "web", "prod", ""), ("c", "data", "", ""), ("d", "", "", "")]
    assert q("SELECT row_key, resource_manager_tags FROM finops.int_gcp__cost_line_items ORDER BY row_key") == [
        ("a", {"team": "search", "app": "api"}),
        ("b", {"team": "search"}),
        ("c", {"team": "data"}),
        ("d", {}),
    ]
    assert by_tag("SELECT tag_key, tag_value, net_cost FROM finops.int_gcp__cost_daily_by_tag") == EXPECTED
    assert (
        by_tag("SELECT tag_key, tag_value, billed_cost FROM finops.int_cloud_cost_daily_by_tag WHERE provider = 'gcp'")
        == EXPECTED
    )
    assert (
        by_tag("SELECT tag_key, tag_value, billed_cost FROM finops.int_cloud_cost_by_tag_key WHERE provider = 'gcp'")
        == EXPECTED
    )
    # app is set only as a Resource Manager tag: matched, not a warning
    assert sorted(
        q(
            "SELECT tag_key, tagged_line_items, total_line_items, tagged_billed_cost, matched "
            "FROM finops.tag_key_coverage WHERE provider = 'gcp'"
        )
    ) == [("app", 1, 4, D(10), 1), ("env", 2, 4, D(30), 1), ("team", 3, 4, D(60), 1)]
    assert sorted(
        q(
            "SELECT tag_key, tagged_cost, untagged_cost, coverage_pct FROM finops.tag_coverage_monthly "
            "WHERE provider = 'gcp'"
        )
    ) == [("app", D(10), D(90), 10.0), ("env", D(30), D(70), 30.0), ("team", D(60), D(40), 60.0)]
    # first matching rule: a (team=search) search, c (team=data) data; b (team=web) and d nothing
    assert sorted(q("SELECT cost_center, total_cost FROM finops.showback_monthly WHERE provider = 'gcp'")) == [
        ("data", D(30)),
        ("search", D(10)),
        ("unallocated", D(60)),
    ]
    # the FOCUS view of the billing export carries them in Tags with the same precedence
    tags = [
        json.loads(t)
        for (t,) in q("SELECT Tags FROM finops.focus_1_2 WHERE ProviderName = 'Google Cloud' ORDER BY x_LineItemId")
    ]
    assert tags == [
        {"team": "search", "env": "prod", "app": "api"},
        {"team": "web", "env": "prod"},
        {"team": "data"},
        {},
    ]
    assert_yaml_holds(
        "int_gcp__cost_line_items",
        "int_gcp__cost_line_items_tagged",
        "int_gcp__cost_daily_by_tag",
        "int_cloud_cost_by_tag_key",
        "tag_coverage_monthly",
        "tag_key_coverage",
    )


def _focus_row(key: str, cost: str, labels: dict, project_labels: dict, tags: list) -> dict:
    start = datetime(2026, 9, 1, 5, tzinfo=UTC)
    return {
        "row_key": key,
        "invoice_month": "202609",
        "BillingAccountId": "01A2B3-C4D5E6-F7A8B9",
        "BillingCurrency": "USD",
        "BillingPeriodStart": datetime(2026, 9, 1, 7, tzinfo=UTC),
        "BillingPeriodEnd": datetime(2026, 10, 1, 7, tzinfo=UTC),
        "ChargePeriodStart": start,
        "ChargePeriodEnd": start.replace(hour=6),
        "ChargeCategory": "Usage",
        "ServiceName": "Compute Engine",
        "SubAccountId": PROJECT,
        "BilledCost": cost,
        "EffectiveCost": cost,
        "ListCost": cost,
        "ContractedCost": cost,
        "x_ExportTime": start.replace(day=2),
        "x_Credits": "[]",
        "x_Labels": json.dumps([{"Key": k, "Value": v} for k, v in labels.items()]),
        "x_ProjectLabels": json.dumps([{"Key": k, "Value": v} for k, v in project_labels.items()]),
        "x_Tags": json.dumps(
            [{"Key": k, "Value": v, "x_Inherited": inherited, "x_Namespace": ns} for k, v, inherited, ns in tags]
        ),
    }


def test_the_focus_export_without_tags_reads_resource_manager_tags_from_x_tags(data_dir):
    """Google's FOCUS table without a Tags column: Tags are built from x_ProjectLabels, x_Tags and x_Labels with the
    billing export's precedence (before, x_Tags was left out and a key set only as a Resource Manager tag was
    untagged)."""
    # the loader always loads the billing export; this account's rows there are another account's
    write_gcp_rows(
        data_dir,
        [
            gcp_row(
                "2026-09",
                1.0,
                billing_account_id="0A0A0A-0B0B0B-0C0C0C",
                row_key="x",
                project_id="other",
                labels="{}",
                project_labels="{}",
            )
        ],
    )
    checkout = {"team": "checkout", "env": "prod"}
    write_gcp_focus_rows(
        data_dir,
        [
            _focus_row("a", "10", {}, checkout, [("team", "search", True, ORG), ("app", "api", False, PROJECT)]),
            _focus_row("b", "20", {"team": "web"}, checkout, [("team", "search", True, ORG)]),
            _focus_row("c", "30", {}, {}, [("team", "platform", True, ORG), ("team", "data", False, PROJECT)]),
            _focus_row("d", "40", {}, {}, []),
        ],
    )
    run("gcp")
    assert (
        by_tag(
            "SELECT tag_key, tag_value, billed_cost FROM finops.int_cloud_cost_by_tag_key "
            "WHERE provider = 'gcp' AND account_id = 'shop-prod'"
        )
        == EXPECTED
    )
    assert (
        by_tag(
            "SELECT tag_key, tag_value, billed_cost FROM finops.int_cloud_cost_daily_by_tag "
            "WHERE provider = 'gcp' AND account_id = 'shop-prod'"
        )
        == EXPECTED
    )
