"""MRR as Stripe's Billing analytics define it, on a hand-computed account with a dated history.

Every subscription has its customer.subscription.* events (so every change is dated) and one snapshot
load on 2026-11-20. USD 100.00 = 10000 minor units. Month-end MRR per subscription (worked out by hand):

    sub_forever    100/month, 50 % off forever                          50 from Aug
    sub_repeat     200/month, 25 % off repeating for 2 months from Aug 1  150 Aug-Sep, 200 from Oct
    sub_graduated  25 seats, graduated: 1-10 at 10 + flat 20, 11-20 at 8, 21+ at 5
                                                                        20 + 100 + 80 + 25 = 225
    sub_volume     25 seats, volume on the same tiers: all 25 at 5      125
    sub_package    250 seats at 10 per 100 seats, rounded up            3 x 10 = 30 (not 2,500)
    sub_decimal    1,000 units at 0.5 cent                              5.00
    sub_annual     1,200/year from Mar 1, upgraded to 2,400/year on Sep 20  100 Mar-Aug, 200 from Sep
    sub_unpaid     100/month from Jun; past_due Sep 5 (still MRR), unpaid Oct 10   100 Jun-Sep, 0 from Oct
    sub_paused     100/month from Jun; paused Sep 12                   100 Jun-Aug, 0 from Sep
    sub_trial_out  trial Sep 1-15, cancelled at trial end               never MRR, never churn
    sub_trial_in   trial Sep 1-15, then 100/month                       100 from Sep
"""

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.helpers.stripe_objects import ts
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal
LOADED_AT = datetime(2026, 11, 20, 6, tzinfo=UTC)
_events = iter(range(1, 10_000))


def price(price_id, amount=None, interval="month", **extra):
    obj = {"id": price_id, "object": "price", "active": True, "currency": "usd", "unit_amount": amount,
           "unit_amount_decimal": None if amount is None else str(amount), "type": "recurring",
           "billing_scheme": "per_unit", "created": ts("2026-01-01"),
           "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"}}
    obj.update(extra)
    return obj


TIERS = [{"up_to": 10, "unit_amount": 1_000, "unit_amount_decimal": "1000", "flat_amount": 2_000,
          "flat_amount_decimal": "2000"},
         {"up_to": 20, "unit_amount": 800, "unit_amount_decimal": "800", "flat_amount": None, "flat_amount_decimal": None},
         {"up_to": None, "unit_amount": 500, "unit_amount_decimal": "500", "flat_amount": None,
          "flat_amount_decimal": None}]
PRICES = {
    "basic": price("price_basic", 10_000),
    "pro": price("price_pro", 20_000),
    "annual": price("price_annual", 120_000, "year"),
    "annual_plus": price("price_annual_plus", 240_000, "year"),
    "graduated": price("price_graduated", None, billing_scheme="tiered", tiers_mode="graduated", tiers=TIERS),
    "volume": price("price_volume", None, billing_scheme="tiered", tiers_mode="volume", tiers=TIERS),
    "package": price("price_package", 1_000, transform_quantity={"divide_by": 100, "round": "up"}),
    "decimal": price("price_decimal", None, unit_amount_decimal="0.5"),
}


def embedded(key):
    """A price as a subscription item embeds it: without its tiers (the API does not expand them)."""
    return {k: v for k, v in PRICES[key].items() if k != "tiers"}


def discount(discount_id, percent, duration, start, months=None):
    coupon = {"id": f"co_{discount_id}", "object": "coupon", "percent_off": percent, "amount_off": None,
              "duration": duration, "duration_in_months": months, "created": ts("2026-01-01"), "valid": True}
    end = None
    if months:
        year, month = int(start[:4]), int(start[5:7]) + months
        end = ts(f"{year + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}{start[7:]}")
    return {"id": discount_id, "object": "discount", "coupon": coupon, "start": ts(start), "end": end}


def sub(sub_id, key, start, qty=1, status="active", discounts=(), trial_end=None, ended=None):
    return {"id": sub_id, "object": "subscription", "customer": "cus_" + sub_id[4:], "currency": "usd",
            "status": status, "start_date": ts(start), "created": ts(start), "trial_end": trial_end and ts(trial_end),
            "ended_at": ended and ts(ended), "canceled_at": ended and ts(ended), "discounts": list(discounts),
            "items": {"object": "list", "data": [{"id": f"si_{sub_id}", "object": "subscription_item",
                                                  "quantity": qty, "price": embedded(key)}]}}


def event(kind, obj, day, previous=None):
    data = {"object": copy.deepcopy(obj)}
    if previous is not None:
        data["previous_attributes"] = previous
    return {"id": f"evt_{next(_events):04d}", "object": "event", "type": f"customer.subscription.{kind}",
            "created": ts(day), "data": data, "api_version": "2026-10-28.endive", "livemode": False,
            "request": {"id": None, "idempotency_key": None}}


def account():
    subs, events = [], []

    def created(s):
        subs.append(s)
        events.append(event("created", s, datetime.fromtimestamp(s["start_date"], UTC).strftime("%Y-%m-%d")))
        return s

    created(sub("sub_forever", "basic", "2026-08-01", discounts=[discount("di_forever", 50, "forever", "2026-08-01")]))
    created(sub("sub_repeat", "pro", "2026-08-01", discounts=[discount("di_repeat", 25, "repeating", "2026-08-01", 2)]))
    created(sub("sub_graduated", "graduated", "2026-08-01", qty=25))
    created(sub("sub_volume", "volume", "2026-08-01", qty=25))
    created(sub("sub_package", "package", "2026-08-01", qty=250))
    created(sub("sub_decimal", "decimal", "2026-08-01", qty=1_000))

    annual = sub("sub_annual", "annual", "2026-03-01")
    events.append(event("created", annual, "2026-03-01"))
    upgraded = sub("sub_annual", "annual_plus", "2026-03-01")
    events.append(event("updated", upgraded, "2026-09-20", {"items": annual["items"]}))
    subs.append(upgraded)

    unpaid = created(sub("sub_unpaid", "basic", "2026-06-01"))
    events.append(event("updated", dict(unpaid, status="past_due"), "2026-09-05", {"status": "active"}))
    events.append(event("updated", dict(unpaid, status="unpaid"), "2026-10-10", {"status": "past_due"}))
    unpaid["status"] = "unpaid"

    paused = created(sub("sub_paused", "basic", "2026-06-01"))
    events.append(event("updated", dict(paused, status="paused"), "2026-09-12", {"status": "active"}))
    paused["status"] = "paused"

    trial_out = created(sub("sub_trial_out", "basic", "2026-09-01", status="trialing", trial_end="2026-09-15"))
    trial_out.update(status="canceled", ended_at=ts("2026-09-15"), canceled_at=ts("2026-09-15"))
    events.append(event("deleted", trial_out, "2026-09-15"))

    trial_in = created(sub("sub_trial_in", "basic", "2026-09-01", status="trialing", trial_end="2026-09-15"))
    events.append(event("updated", dict(trial_in, status="active"), "2026-09-15", {"status": "trialing"}))
    trial_in["status"] = "active"
    return subs, events


@pytest.fixture
def history(data_dir):
    subs, events = account()
    ledger = [{"id": "txn_1", "object": "balance_transaction", "type": "charge", "reporting_category": "charge",
               "amount": 10_000, "fee": 320, "net": 9_680, "currency": "usd", "created": ts("2026-08-01")}]
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "subscriptions": subs, "events": events,
                                    "prices": list(PRICES.values())}, LOADED_AT)
    run("stripe")


def subscription_mrr(subscription: str) -> dict[str, Decimal]:
    return {m: v for m, v in q(f"SELECT month, mrr FROM finops.int_stripe__subscription_mrr "
                               f"WHERE subscription = '{subscription}' ORDER BY month")}


def monthly(column: str) -> dict[str, Decimal]:
    return dict(q(f"SELECT month, {column} FROM finops.int_stripe__mrr_monthly WHERE currency = 'usd' ORDER BY month"))


def test_prices_give_their_real_amount(history):
    assert set(subscription_mrr("sub_graduated").values()) == {D(225)}
    assert set(subscription_mrr("sub_volume").values()) == {D(125)}
    assert set(subscription_mrr("sub_package").values()) == {D(30)}
    assert set(subscription_mrr("sub_decimal").values()) == {D(5)}


def test_forever_and_repeating_coupons(history):
    assert subscription_mrr("sub_forever") == {"2026-08": D(50), "2026-09": D(50), "2026-10": D(50), "2026-11": D(50)}
    assert subscription_mrr("sub_repeat") == {"2026-08": D(150), "2026-09": D(150), "2026-10": D(200),
                                              "2026-11": D(200)}


def test_an_annual_plan_upgraded_mid_term_shows_the_new_price_from_the_change(history):
    assert subscription_mrr("sub_annual") == {
        "2026-03": D(100), "2026-04": D(100), "2026-05": D(100), "2026-06": D(100), "2026-07": D(100),
        "2026-08": D(100), "2026-09": D(200), "2026-10": D(200), "2026-11": D(200)}


def test_unpaid_and_paused_are_not_mrr_and_past_due_is(history):
    assert subscription_mrr("sub_unpaid") == {"2026-06": D(100), "2026-07": D(100), "2026-08": D(100),
                                              "2026-09": D(100), "2026-10": D(0), "2026-11": D(0)}
    assert subscription_mrr("sub_paused") == {"2026-06": D(100), "2026-07": D(100), "2026-08": D(100),
                                              "2026-09": D(0), "2026-10": D(0), "2026-11": D(0)}


def test_trials_and_the_churn_rate_denominator(history):
    assert set(subscription_mrr("sub_trial_out").values()) == {D(0)}
    assert subscription_mrr("sub_trial_in") == {"2026-09": D(100), "2026-10": D(100), "2026-11": D(100)}
    rows = {m: (new, churned, at_start, rate) for m, new, churned, at_start, rate in q(
        "SELECT month, new_subscriptions, churned_subscriptions, subscriptions_at_start, subscription_churn_rate "
        "FROM finops.int_stripe__mrr_monthly WHERE currency = 'usd'")}
    # September: 9 active at the start (annual, unpaid, paused, forever, repeat, graduated, volume, package,
    # decimal), 1 new (the converted trial; the cancelled trial is neither new nor churned), 1 churned (paused)
    assert rows["2026-09"] == (1, 1, 9, pytest.approx(1 / 10))
    # October: 9 at the start (paused gone, converted trial in), unpaid churns
    assert rows["2026-10"] == (0, 1, 9, pytest.approx(1 / 9))


def test_monthly_mrr_and_movements_add_up(history):
    assert monthly("mrr") == {"2026-03": D(100), "2026-04": D(100), "2026-05": D(100), "2026-06": D(300),
                              "2026-07": D(300), "2026-08": D(885), "2026-09": D(985), "2026-10": D(935),
                              "2026-11": D(935)}
    assert monthly("new_mrr")["2026-09"] == D(100)
    assert monthly("expansion_mrr")["2026-09"] == D(100)
    assert monthly("churned_mrr")["2026-09"] == D(100)
    assert monthly("expansion_mrr")["2026-10"] == D(50)
    assert monthly("churned_mrr")["2026-10"] == D(100)
    assert set(monthly("reconstructed_subscriptions").values()) == {0}
    for month, start, end, new, up, back, down, lost in q(
            "SELECT month, mrr_at_start, mrr, new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, churned_mrr "
            "FROM finops.int_stripe__mrr_monthly"):
        assert start + new + up + back - down - lost == end, month
    # paying customers exclude the unpaid, paused and trial customers
    assert monthly("paying_customers")["2026-10"] == 8
