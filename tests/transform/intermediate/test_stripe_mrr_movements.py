"""MRR history and movements (new, expansion, contraction, churn, reactivation) on a hand-computed case.

Stripe's subscriptions are current state only, so the history comes from invoice lines: a mid-period
upgrade with prorations, a downgrade at renewal, an annual plan cancelled early, a trial, a metered
item, a customer who leaves and comes back, a second subscription of an existing customer, a void
invoice, an incomplete subscription, JPY. Every expected figure below is worked out by hand in the
comments (USD 100.00 = 10000 minor units).
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

LOADED_AT = datetime(2026, 11, 20, 6, tzinfo=UTC)


def ts(day: str) -> int:
    return int(datetime.fromisoformat(day + "T00:00:00+00:00").timestamp())


def price(price_id, amount, interval="month", usage_type="licensed", currency="usd"):
    return {"id": price_id, "object": "price", "active": True, "currency": currency, "unit_amount": amount,
            "type": "recurring", "billing_scheme": "per_unit", "created": ts("2026-01-01"),
            "recurring": {"interval": interval, "interval_count": 1, "usage_type": usage_type}}


PRICES = {
    "basic": price("price_basic", 10_000),
    "pro": price("price_pro", 30_000),
    "annual": price("price_annual", 120_000, "year"),
    "metered": price("price_metered", 5, usage_type="metered"),
    "jpy": price("price_jpy", 1_000, currency="jpy"),
}


def subscription(sub_id, customer, items, start, period_start, period_end, *, ended=None, trial_end=None,
                 status=None, currency="usd"):
    """items: [(price key, quantity)], the subscription's items now."""
    return {
        "id": sub_id, "object": "subscription", "customer": customer, "currency": currency,
        "status": status or ("canceled" if ended else "active"), "start_date": ts(start), "created": ts(start),
        "ended_at": ts(ended) if ended else None, "canceled_at": ts(ended) if ended else None,
        "trial_end": ts(trial_end) if trial_end else None,
        "items": {"object": "list", "data": [
            {"id": f"si_{sub_id}_{n}", "object": "subscription_item", "subscription": sub_id, "quantity": qty,
             "price": PRICES[key], "current_period_start": ts(period_start), "current_period_end": ts(period_end)}
            for n, (key, qty) in enumerate(items)]},
    }


def line(sub_id, key, qty, start, end, amount=None, proration=False):
    """An invoice line in the current API's shape (`parent`, `pricing`)."""
    amount = PRICES[key]["unit_amount"] * qty if amount is None else amount
    parent = ({"type": "invoice_item_details",
               "invoice_item_details": {"invoice_item": "ii_x", "proration": True, "subscription": sub_id}}
              if proration else
              {"type": "subscription_item_details",
               "subscription_item_details": {"proration": False, "subscription": sub_id,
                                             "subscription_item": f"si_{sub_id}_0"}})
    return {"object": "line_item", "amount": amount, "quantity": qty, "parent": parent,
            "period": {"start": ts(start), "end": ts(end)},
            "pricing": {"type": "price_details", "price_details": {"price": PRICES[key]["id"]}}}


def legacy_line(sub_id, key, qty, start, end):
    """An invoice line in the shape of API versions before 2025-03-31 (`type`, expanded `price`)."""
    return {"object": "line_item", "type": "subscription", "proration": False, "subscription": sub_id,
            "amount": PRICES[key]["unit_amount"] * qty, "quantity": qty, "price": PRICES[key],
            "period": {"start": ts(start), "end": ts(end)}}


_invoice_numbers = iter(range(1, 1000))


def invoice(sub_id, customer, lines, status="paid", currency="usd"):
    return {"id": f"in_{next(_invoice_numbers):03d}", "object": "invoice", "customer": customer,
            "currency": currency, "status": status, "created": min(x["period"]["start"] for x in lines),
            "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub_id}},
            "lines": {"object": "list", "data": lines, "has_more": False}}


def stripe_account():
    subs, invoices = [], []

    # cus_up: basic 100 from Jun 10; upgraded to pro 300 on Aug 20, prorations billed on Sep 10;
    # adds a second subscription (basic 100) on Oct 5.
    subs.append(subscription("sub_up", "cus_up", [("pro", 1)], "2026-06-10", "2026-11-10", "2026-12-10"))
    invoices += [
        invoice("sub_up", "cus_up", [line("sub_up", "basic", 1, "2026-06-10", "2026-07-10")]),
        invoice("sub_up", "cus_up", [line("sub_up", "basic", 1, "2026-07-10", "2026-08-10")]),
        invoice("sub_up", "cus_up", [line("sub_up", "basic", 1, "2026-08-10", "2026-09-10")]),
        invoice("sub_up", "cus_up", [
            line("sub_up", "basic", 1, "2026-08-20", "2026-09-10", amount=-6_774, proration=True),
            line("sub_up", "pro", 1, "2026-08-20", "2026-09-10", amount=20_323, proration=True),
            line("sub_up", "pro", 1, "2026-09-10", "2026-10-10"),
        ]),
        invoice("sub_up", "cus_up", [line("sub_up", "pro", 1, "2026-10-10", "2026-11-10")]),
        invoice("sub_up", "cus_up", [line("sub_up", "pro", 1, "2026-11-10", "2026-12-10")]),
    ]
    subs.append(subscription("sub_addon", "cus_up", [("basic", 1)], "2026-10-05", "2026-11-05", "2026-12-05"))
    invoices += [invoice("sub_addon", "cus_up", [line("sub_addon", "basic", 1, "2026-10-05", "2026-11-05")]),
                 invoice("sub_addon", "cus_up", [line("sub_addon", "basic", 1, "2026-11-05", "2026-12-05")])]

    # cus_down: 2 x pro = 600 from Jul 1 (legacy line shape); 1 x pro = 300 from the Oct 1 renewal.
    # A void invoice over October must not count.
    subs.append(subscription("sub_down", "cus_down", [("pro", 1)], "2026-07-01", "2026-11-01", "2026-12-01"))
    invoices += [invoice("sub_down", "cus_down", [legacy_line("sub_down", "pro", q_, s, e)])
                 for q_, s, e in [(2, "2026-07-01", "2026-08-01"), (2, "2026-08-01", "2026-09-01"),
                                  (2, "2026-09-01", "2026-10-01"), (1, "2026-10-01", "2026-11-01"),
                                  (1, "2026-11-01", "2026-12-01")]]
    invoices.append(invoice("sub_down", "cus_down", [line("sub_down", "pro", 33, "2026-10-01", "2026-11-01")],
                            status="void"))

    # cus_annual: 1200 a year (100 a month) from Mar 5, cancelled on Sep 20.
    subs.append(subscription("sub_annual", "cus_annual", [("annual", 1)], "2026-03-05", "2026-03-05", "2027-03-05",
                             ended="2026-09-20"))
    invoices.append(invoice("sub_annual", "cus_annual", [line("sub_annual", "annual", 1, "2026-03-05", "2027-03-05")]))

    # cus_trial: trial Sep 1-15 (a 0.00 invoice), then basic 100 plus a metered item (not MRR).
    subs.append(subscription("sub_trial", "cus_trial", [("basic", 1), ("metered", 1)], "2026-09-01", "2026-11-15",
                             "2026-12-15", trial_end="2026-09-15"))
    invoices += [
        invoice("sub_trial", "cus_trial", [line("sub_trial", "basic", 1, "2026-09-01", "2026-09-15", amount=0)]),
        invoice("sub_trial", "cus_trial", [line("sub_trial", "basic", 1, "2026-09-15", "2026-10-15"),
                                           line("sub_trial", "metered", 1, "2026-09-15", "2026-10-15", amount=1_234)]),
        invoice("sub_trial", "cus_trial", [line("sub_trial", "basic", 1, "2026-10-15", "2026-11-15")]),
        invoice("sub_trial", "cus_trial", [line("sub_trial", "basic", 1, "2026-11-15", "2026-12-15")]),
    ]

    # cus_back: basic 100 Apr 1 - May 15, gone, back with a new subscription on Aug 3.
    subs.append(subscription("sub_old", "cus_back", [("basic", 1)], "2026-04-01", "2026-05-01", "2026-06-01",
                             ended="2026-05-15"))
    invoices += [invoice("sub_old", "cus_back", [line("sub_old", "basic", 1, "2026-04-01", "2026-05-01")]),
                 invoice("sub_old", "cus_back", [line("sub_old", "basic", 1, "2026-05-01", "2026-06-01")])]
    subs.append(subscription("sub_new", "cus_back", [("basic", 1)], "2026-08-03", "2026-11-03", "2026-12-03"))
    invoices += [invoice("sub_new", "cus_back", [line("sub_new", "basic", 1, s, e)])
                 for s, e in [("2026-08-03", "2026-09-03"), ("2026-09-03", "2026-10-03"),
                              ("2026-10-03", "2026-11-03"), ("2026-11-03", "2026-12-03")]]

    # never paid: not counted anywhere
    subs.append(subscription("sub_unpaid", "cus_unpaid", [("pro", 3)], "2026-10-10", "2026-10-10", "2026-11-10",
                             ended="2026-10-11", status="incomplete_expired"))

    # JPY (no minor unit): 1000 a month from Oct 1
    subs.append(subscription("sub_jpy", "cus_jpy", [("jpy", 1)], "2026-10-01", "2026-11-01", "2026-12-01",
                             currency="jpy"))
    invoices += [invoice("sub_jpy", "cus_jpy", [line("sub_jpy", "jpy", 1, "2026-10-01", "2026-11-01")], currency="jpy"),
                 invoice("sub_jpy", "cus_jpy", [line("sub_jpy", "jpy", 1, "2026-11-01", "2026-12-01")], currency="jpy")]
    return subs, invoices


@pytest.fixture
def mrr(data_dir):
    subs, invoices = stripe_account()
    ledger = [{"id": "txn_1", "object": "balance_transaction", "type": "charge", "reporting_category": "charge",
               "amount": 10_000, "fee": 320, "net": 9_680, "currency": "usd", "created": ts("2026-06-10")}]
    # An older snapshot (sub_up still on basic) and a failed load with nonsense: neither may count.
    stale = subscription("sub_up", "cus_up", [("basic", 1)], "2026-06-10", "2026-07-10", "2026-08-10")
    write_stripe_objects(data_dir, {"subscriptions": [stale]}, datetime(2026, 7, 15, tzinfo=UTC))
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "subscriptions": subs, "invoices": invoices,
                                    "prices": list(PRICES.values())}, LOADED_AT)
    broken = subscription("sub_up", "cus_up", [("pro", 50)], "2026-06-10", "2026-11-10", "2026-12-10")
    write_stripe_objects(data_dir, {"subscriptions": [broken]}, datetime(2026, 11, 21, tzinfo=UTC), completed=False)
    run("stripe")


def monthly(column: str, currency: str = "usd") -> dict[str, Decimal]:
    return dict(q(f"SELECT month, {column} FROM finops.int_stripe__mrr_monthly WHERE currency = '{currency}' ORDER BY month"))


def by_month(values: list) -> dict[str, Decimal]:
    months = ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    return {m: Decimal(v) for m, v in zip(months, values, strict=True)}


def test_mrr_and_its_movements_per_month(mrr):
    # month-end MRR: annual 100 (Mar-Aug), back 100 (Apr, Aug-), up 100 -> 300 from Aug 20 -> +100 addon in Oct,
    # down 600 (Jul-Sep) -> 300, trial 100 from Sep
    assert monthly("mrr") == by_month([100, 200, 100, 200, 800, 1100, 1100, 900, 900])
    assert monthly("mrr_at_start") == by_month([0, 100, 200, 100, 200, 800, 1100, 1100, 900])
    assert monthly("new_mrr") == by_month([100, 100, 0, 100, 600, 0, 100, 0, 0])
    assert monthly("expansion_mrr") == by_month([0, 0, 0, 0, 0, 200, 0, 100, 0])
    assert monthly("contraction_mrr") == by_month([0, 0, 0, 0, 0, 0, 0, 300, 0])
    assert monthly("churned_mrr") == by_month([0, 0, 100, 0, 0, 0, 100, 0, 0])
    assert monthly("reactivation_mrr") == by_month([0, 0, 0, 0, 0, 100, 0, 0, 0])
    assert monthly("new_customers") == by_month([1, 1, 0, 1, 1, 0, 1, 0, 0])
    assert monthly("churned_customers") == by_month([0, 0, 1, 0, 0, 0, 1, 0, 0])
    assert monthly("reactivated_customers") == by_month([0, 0, 0, 0, 0, 1, 0, 0, 0])
    assert monthly("paying_customers") == by_month([1, 2, 1, 2, 3, 4, 4, 4, 4])
    # subscriptions: sub_unpaid never counts; the addon is a subscription but not a new customer
    assert monthly("active_subscriptions") == by_month([1, 2, 1, 2, 3, 4, 4, 5, 5])
    assert monthly("active_customers") == by_month([1, 2, 1, 2, 3, 4, 4, 4, 4])
    assert monthly("new_subscriptions") == by_month([1, 1, 0, 1, 1, 1, 1, 1, 0])
    assert monthly("churned_subscriptions") == by_month([0, 0, 1, 0, 0, 0, 1, 0, 0])
    assert monthly("mrr", "jpy") == {"2026-10": Decimal(1000), "2026-11": Decimal(1000)}
    assert monthly("new_mrr", "jpy") == {"2026-10": Decimal(1000), "2026-11": Decimal(0)}


def test_every_month_reconciles_from_start_to_end(mrr):
    rows = q("SELECT month, currency, mrr, mrr_at_start, new_mrr, reactivation_mrr, expansion_mrr, contraction_mrr, "
             "churned_mrr FROM finops.int_stripe__mrr_monthly ORDER BY currency, month")
    previous = {}
    for month, currency, end, start, new, back, up, down, lost in rows:
        assert end == start + new + back + up - down - lost, (month, currency)
        assert start == previous.get(currency, 0), (month, currency)
        assert min(new, back, up, down, lost) >= 0
        previous[currency] = end


def test_a_first_load_reconstructs_history_from_invoices_and_the_running_month_from_the_snapshot(mrr):
    rows = q("SELECT subscription, month, mrr, mrr_source FROM finops.int_stripe__subscription_mrr "
             "WHERE subscription IN ('sub_up', 'sub_down') ORDER BY subscription, month")
    assert [(s, m, float(v), src) for s, m, v, src in rows] == [
        ("sub_down", "2026-07", 600.0, "invoice"),
        ("sub_down", "2026-08", 600.0, "invoice"),
        ("sub_down", "2026-09", 600.0, "invoice"),
        ("sub_down", "2026-10", 300.0, "invoice"),  # the void invoice (33 x pro) is not read
        ("sub_down", "2026-11", 300.0, "snapshot"),
        ("sub_up", "2026-06", 100.0, "invoice"),
        ("sub_up", "2026-07", 100.0, "invoice"),
        ("sub_up", "2026-08", 300.0, "invoice"),  # 100 - 100 (unused basic) + 300 (remaining pro) at Aug 31
        ("sub_up", "2026-09", 300.0, "invoice"),
        ("sub_up", "2026-10", 300.0, "invoice"),
        ("sub_up", "2026-11", 300.0, "snapshot"),  # current period: the subscription's items (pro, not 50 x pro)
    ]


def test_customer_movements_name_who_moved(mrr):
    rows = q("SELECT month, customer, movement, mrr_change FROM finops.int_stripe__customer_mrr "
             "WHERE movement != 'unchanged' ORDER BY month, customer")
    assert [(m, c, mv, float(ch)) for m, c, mv, ch in rows] == [
        ("2026-03", "cus_annual", "new", 100.0),
        ("2026-04", "cus_back", "new", 100.0),
        ("2026-05", "cus_back", "churn", -100.0),
        ("2026-06", "cus_up", "new", 100.0),
        ("2026-07", "cus_down", "new", 600.0),
        ("2026-08", "cus_back", "reactivation", 100.0),
        ("2026-08", "cus_up", "expansion", 200.0),
        ("2026-09", "cus_annual", "churn", -100.0),
        ("2026-09", "cus_trial", "new", 100.0),
        ("2026-10", "cus_down", "contraction", -300.0),
        ("2026-10", "cus_jpy", "new", 1000.0),
        ("2026-10", "cus_up", "expansion", 100.0),
    ]


def test_a_yearly_price_is_an_exact_twelfth(mrr):
    assert q("SELECT DISTINCT mrr FROM finops.int_stripe__subscription_mrr WHERE subscription = 'sub_annual' AND mrr > 0") == [
        (Decimal(100),)
    ]
