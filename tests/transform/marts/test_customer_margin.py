"""Cost per customer: tagged cost (mapped or the Stripe id itself), an exact share of the shared pools, MRR as
revenue, gross margin; cost without a customer is its own row, so the customers add up to the bill."""

import json
from datetime import date
from decimal import Decimal

import pytest

from include.reconciliation import run_checks
from include.transform import SqlConfigError
from include.transform.config import sql_config
from tests.helpers.transform import q, run
from tests.transform.marts.model_contract import assert_yaml_holds
from tests.transform.raw import aws_line, write_aws_period, write_stripe

D = Decimal
CONFIG = {
    "tag_keys": {"aws": ["user:team", "user:customer"]},
    "customers": {"tag": "customer", "mapping": {"acme": "cus_A"}},
    "allocation": {"version": "v1", "shared": [{"name": "support", "match": {"service": "AWSSupportBusiness"}}]},
    "fx_rates": [{"month": "2026-09", "currency": "EUR", "rate_to_usd": "1.25"}],
}


def customer(value: str) -> dict:
    return {"resource_tags": json.dumps({"user:customer": value} if value else {})}


def test_cost_revenue_and_margin_per_customer_add_up_to_the_bill(data_dir):
    write_aws_period(data_dir, "2026-09", [
        aws_line("2026-09", "Usage", 20.0, **customer("acme")),  # mapped to cus_A
        aws_line("2026-09", "Usage", 10.0, **customer("cus_B")),  # the tag value is the Stripe id
        aws_line("2026-09", "Usage", 5.0, **customer("")),  # no customer: the unmapped row
        aws_line("2026-09", "Usage", 1.0, line_item_product_code="AWSSupportBusiness", **customer("")),  # shared
    ])
    write_stripe(data_dir, [{"id": "txn_1", "amount": 100, "currency": "usd", "created": date(2026, 9, 3)}], [
        {"id": "sub_A", "customer": "cus_A", "currency": "usd", "start": date(2026, 8, 1), "ended": None, "amount": 10_000},
        {"id": "sub_B", "customer": "cus_B", "currency": "eur", "start": date(2026, 8, 1), "ended": None, "amount": 4_000},
        {"id": "sub_C", "customer": "cus_C", "currency": "usd", "start": date(2026, 8, 1), "ended": None, "amount": 2_500},
    ])
    run("aws", config=CONFIG)
    run("stripe", config=CONFIG)
    rows = q("SELECT customer_id, mapped, revenue, direct_cost, shared_cost, allocated_cost, gross_margin, margin_pct "
             "FROM finops.customer_margin_monthly WHERE month = '2026-09' ORDER BY customer_id")
    # support 1.00 split 20:10: 0.6666666666 + the 0.0000000001 remainder (largest share), 0.3333333333
    assert rows == [
        ("", 0, D(0), D(5), D(0), D(5), D(-5), None),
        ("cus_A", 1, D(100), D(20), D("0.6666666667"), D("20.6666666667"), D("79.3333333333"), 79.33),
        ("cus_B", 1, D(50), D(10), D("0.3333333333"), D("10.3333333333"), D("39.6666666667"), 79.33),  # 40 EUR
        ("cus_C", 1, D(25), D(0), D(0), D(0), D(25), 100.0),
    ]
    assert run_checks("marts", run_id="run-customers")["failed"] == 0
    assert q("SELECT provider, expected, actual FROM finops.reconciliation_checks WHERE run_id = 'run-customers' "
             "AND check_name = 'customer_cost_total' AND period = '2026-09'") == [("customers", D(36), D(36))]
    assert_yaml_holds("int_cloud_cost_allocated", "customer_margin_monthly")


def test_without_a_customer_tag_all_cost_is_unmapped(data_dir):
    write_aws_period(data_dir, "2026-09", [aws_line("2026-09", "Usage", 7.0, **customer("acme"))])
    run("aws")
    assert q("SELECT customer_id, allocated_cost FROM finops.customer_margin_monthly") == [("", D(7))]


@pytest.mark.parametrize(("customers", "message"), [
    ({"tag": "owner"}, "customers.tag: 'owner' is not a configured tag column"),
    ({"tag": "team", "mapping": ["acme"]}, "customers.mapping: must be an object"),
    ({"tag": "team", "mapping": {"acme": ""}}, "customers.mapping.acme: must be a non-empty string"),
    ({"tagg": "team"}, "customers: unknown field(s) ['tagg']"),
])
def test_the_customer_settings_are_validated(customers, message):
    with pytest.raises(SqlConfigError) as error:
        sql_config({"customers": customers})
    assert message in str(error.value)
