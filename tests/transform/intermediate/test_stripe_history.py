"""Stripe history: an account with data from 2019 to 2026 whose old objects carry Stripe's older API shapes.

Events keep the shape of the API version they were created with (docs.stripe.com/upgrades: an event's
`data.object` is rendered in its `api_version`), so a loader that has archived customer.subscription.* events since
2019 holds subscriptions whose items name a legacy `plan` (amount, interval, interval_count, usage_type,
transform_usage) and no `price` (Prices came in 2020). The lists the loads make are rendered in the pinned
version, so the snapshots have `price`. USD, minor units; every figure is worked out by hand in the docstrings.
"""

import copy
from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.stripe_objects import invoice, line, monthly_price, ts, txn
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal
LOADED_AT = datetime(2026, 11, 20, 6, tzinfo=UTC)


def plan(plan_id, amount, interval="month", count=1, **extra):
    """A legacy Plan as a 2019 subscription item embeds it."""
    obj = {"id": plan_id, "object": "plan", "active": True, "amount": amount, "amount_decimal": str(amount),
           "billing_scheme": "per_unit", "currency": "usd", "interval": interval, "interval_count": count,
           "usage_type": "licensed", "product": "prod_" + plan_id, "tiers_mode": None, "transform_usage": None,
           "created": ts("2019-01-01")}
    obj.update(extra)
    return obj


def as_price(p):
    """The same plan as a Price (what the pinned API version embeds next to `plan`, and the prices list returns)."""
    return {"id": p["id"], "object": "price", "active": True, "currency": "usd", "unit_amount": p["amount"],
            "unit_amount_decimal": p["amount_decimal"], "billing_scheme": p["billing_scheme"], "type": "recurring",
            "product": p["product"], "created": p["created"],
            "transform_quantity": p["transform_usage"],
            "recurring": {"interval": p["interval"], "interval_count": p["interval_count"],
                          "usage_type": p["usage_type"]}}


def legacy_sub(sub_id, p, start, qty=1):
    """A subscription as a 2019-03-14 event renders it: top-level plan and quantity, items with `plan` only."""
    return {"id": sub_id, "object": "subscription", "customer": "cus_" + sub_id[4:], "status": "active",
            "start_date": ts(start), "created": ts(start), "billing": "charge_automatically", "plan": p,
            "quantity": qty, "trial_end": None, "ended_at": None, "canceled_at": None, "discount": None,
            "items": {"object": "list", "data": [{"id": "si_" + sub_id[4:], "object": "subscription_item",
                                                  "quantity": qty, "plan": p, "created": ts(start)}]}}


def current_sub(legacy, qty=None):
    """The same subscription on the pinned API version: `currency`, `discounts`, items with `price` (and `plan`)."""
    obj = copy.deepcopy(legacy)
    for key in ("plan", "quantity", "billing", "discount"):
        obj.pop(key)
    obj.update(currency="usd", discounts=[])
    for item in obj["items"]["data"]:
        item["price"] = as_price(item["plan"])
        if qty is not None:
            item["quantity"] = qty
    return obj


def event(event_id, kind, obj, day, api_version, previous=None):
    data = {"object": copy.deepcopy(obj)}
    if previous is not None:
        data["previous_attributes"] = previous
    return {"id": event_id, "object": "event", "type": f"customer.subscription.{kind}", "created": ts(day),
            "data": data, "api_version": api_version, "livemode": False,
            "request": {"id": None, "idempotency_key": None}}


GOLD = plan("gold", 1_500)  # 15.00 a month
QUARTERLY = plan("quarterly", 9_000, count=3)  # 90.00 a quarter: 30.00 a month
WEEKLY = plan("weekly", 1_000, interval="week")  # 10.00 a week: 10 x 52 / 12 = 43.333...
SEATS = plan("seats", 2_000, transform_usage={"divide_by": 5, "round": "up"})  # 20.00 per 5 seats


def legacy_account():
    """Four subscriptions created in 2019 (events in API version 2019-03-14), seen again by one load in 2026-11:
        sub_gold       2 x gold (15.00/month) from 2019-03-01 = 30.00; 3 seats from 2021-01-10 (a 2020-08-27
                       event, whose items carry `price` too) = 45.00
        sub_quarterly  90.00 every 3 months from 2019-04-01              = 30.00
        sub_weekly     10.00 a week from 2019-05-01                       = 43.33 (10 x 52 / 12)
        sub_seats      12 seats at 20.00 per 5, rounded up, from 2019-06-01 = 3 x 20 = 60.00
    """
    gold = legacy_sub("sub_gold", GOLD, "2019-03-01", qty=2)
    quarterly = legacy_sub("sub_quarterly", QUARTERLY, "2019-04-01")
    weekly = legacy_sub("sub_weekly", WEEKLY, "2019-05-01")
    seats = legacy_sub("sub_seats", SEATS, "2019-06-01", qty=12)
    old = "2019-03-14"
    events = [event("evt_1", "created", gold, "2019-03-01", old),
              event("evt_2", "created", quarterly, "2019-04-01", old),
              event("evt_3", "created", weekly, "2019-05-01", old),
              event("evt_4", "created", seats, "2019-06-01", old)]
    gold_2020 = current_sub(gold)
    gold_2021 = current_sub(gold, qty=3)
    events.append(event("evt_5", "updated", gold_2021, "2021-01-10", "2020-08-27",
                        previous={"items": gold_2020["items"]}))
    subs = [gold_2021, current_sub(quarterly), current_sub(weekly), current_sub(seats)]
    return subs, events


def subscription_mrr(subscription):
    return dict(q(f"SELECT month, mrr FROM finops.int_stripe__subscription_mrr "
                  f"WHERE subscription = '{subscription}' ORDER BY month"))


def months(first, last):
    out, (y, m) = [], (int(first[:4]), int(first[5:]))
    while f"{y}-{m:02d}" <= last:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def check_legacy_mrr():
    gold = subscription_mrr("sub_gold")
    assert {m: gold[m] for m in ("2019-03", "2019-12", "2020-12")} == {"2019-03": D(30), "2019-12": D(30),
                                                                       "2020-12": D(30)}
    assert set(gold[m] for m in months("2019-03", "2020-12")) == {D(30)}
    assert set(gold[m] for m in months("2021-01", "2026-11")) == {D(45)}
    assert set(subscription_mrr("sub_quarterly").values()) == {D(30)}
    weekly = set(subscription_mrr("sub_weekly").values())
    assert len(weekly) == 1 and abs(weekly.pop() - D(520) / 12) < D("1e-8")
    assert set(subscription_mrr("sub_seats").values()) == {D(60)}
    mrr = dict(q("SELECT month, mrr FROM finops.int_stripe__mrr_monthly WHERE currency = 'usd' ORDER BY month"))
    assert abs(mrr["2019-12"] - (30 + 30 + D(520) / 12 + 60)) < D("1e-8")
    assert abs(mrr["2026-11"] - (45 + 30 + D(520) / 12 + 60)) < D("1e-8")
    assert set(q("SELECT DISTINCT reconstructed FROM finops.int_stripe__subscription_mrr")) == {(False,)}


def test_legacy_plan_items_in_old_events_keep_their_mrr(data_dir):
    """Without a prices table: the 2019 events' items are valued from their embedded `plan`. Before the fix every
    month up to the 2021 update counted 0 (the item had no `price`): sub_gold 0 for 2019-03..2020-12 instead of
    30.00, and the other three 0 for every month but 2026-11 (their only event is the 2019 one; 2026-11 is the
    2026 load's snapshot)."""
    subs, events = legacy_account()
    write_stripe_objects(data_dir, {"subscriptions": subs, "events": events,
                                    "balance_transactions": [txn("txn_1", 3_000, "usd", "2019-03-01")]}, LOADED_AT)
    run("stripe")
    check_legacy_mrr()


def test_legacy_plan_items_find_their_price_in_the_prices_table(data_dir):
    """With the prices table (which lists plans as prices, under the plan's id): the same figures."""
    subs, events = legacy_account()
    prices = [as_price(p) for p in (GOLD, QUARTERLY, WEEKLY, SEATS)]
    write_stripe_objects(data_dir, {"subscriptions": subs, "events": events, "prices": prices,
                                    "balance_transactions": [txn("txn_1", 3_000, "usd", "2019-03-01")]}, LOADED_AT)
    run("stripe")
    check_legacy_mrr()


def legacy_discount(coupon_id, percent, start, sub_id, with_id=True):
    """A Discount as a 2019 subscription embeds it in its single `discount` (no `discounts` list yet); without an
    id on the oldest API versions."""
    obj = {"object": "discount", "customer": "cus_" + sub_id[4:], "subscription": sub_id, "start": ts(start),
           "end": None, "coupon": {"id": coupon_id, "object": "coupon", "percent_off": percent, "amount_off": None,
                                   "currency": None, "duration": "forever", "duration_in_months": None,
                                   "valid": True, "created": ts(start)}}
    if with_id:
        obj["id"] = "di_" + sub_id[4:]
    return obj


def test_a_legacy_single_discount_in_old_events_still_applies(data_dir):
    """Two 100.00/month subscriptions from 2019-07-01 with a 50 % forever coupon in their created events' single
    `discount` (sub_half's event on 2020-08-27, with a discount id and items with `price`; sub_half_old's on 2019-03-14,
    without an id, items with `plan` only); a third, sub_quarter, 25 % off in an id-less discount of its own. The 2026
    load sees them with `discounts`. MRR 50, 50 and 75 every month; before the fix the events' discount was ignored:
    sub_half 100 a month 2019-07..2026-10 (the plan-only two counted 0 then, the legacy-plan bug)."""
    subs, events = [], []
    for n, (sub_id, percent, with_id) in enumerate([("sub_half", 50, True), ("sub_half_old", 50, False),
                                                   ("sub_quarter", 25, False)], start=1):
        p = plan("hundred", 10_000)
        old = legacy_sub(sub_id, p, "2019-07-01")
        old["discount"] = legacy_discount(f"co_{percent}", percent, "2019-07-01", sub_id, with_id)
        if with_id:  # a 2020-08-27 event: items with `price` too, the single `discount` still
            for item in old["items"]["data"]:
                item["price"] = as_price(item["plan"])
        events.append(event(f"evt_{n}", "created", old, "2019-07-01", "2020-08-27" if with_id else "2019-03-14"))
        new = current_sub(old)
        new["discounts"] = [dict(legacy_discount(f"co_{percent}", percent, "2019-07-01", sub_id), id=f"di_{n}")]
        subs.append(new)
    write_stripe_objects(data_dir, {"subscriptions": subs, "events": events,
                                    "balance_transactions": [txn("txn_1", 3_000, "usd", "2019-07-01")]}, LOADED_AT)
    run("stripe")
    assert set(subscription_mrr("sub_half").values()) == {D(50)}
    assert set(subscription_mrr("sub_half_old").values()) == {D(50)}
    assert set(subscription_mrr("sub_quarter").values()) == {D(75)}


def test_an_old_invoice_without_later_fields_is_still_recognised(data_dir):
    """A 2019 annual plan of 1,200.00 (no tax) paid 2019-01-01 for 2019-01-01..2020-01-01 (365 days), rendered without
    the fields added later (`total_excluding_tax`, `payments`, `amount_paid`, `effective_at`), next to a 2026 invoice
    that has them all (so the columns exist, NULL on the old row). January 2019 recognises 1200 x 31/365 = 101.92
    (cash 1,200.00, less the 1,200.00 it defers, plus its January share), February 1200 x 28/365 = 92.05, and the
    year adds up to 1,200.00; the 2026 invoice (300.00 + 60.00 VAT, one month) recognises 300.00 in 2026-03."""
    old = invoice("in_2019", "usd", 120_000, 0, "2019-01-01T10:00:00", [line(120_000, "2019-01-01", "2020-01-01")])
    for key in ("total_excluding_tax", "amount_paid"):
        old.pop(key)
    new = invoice("in_2026", "usd", 30_000, 6_000, "2026-03-01", [line(30_000, "2026-03-01", "2026-04-01")],
                  effective_at=ts("2026-03-01"),
                  payments={"object": "list", "has_more": False, "data": []})
    ledger = [txn("txn_2019", 120_000, "usd", "2019-01-01T10:00:00"),
              txn("txn_2026", 36_000, "usd", "2026-03-01T10:00:00")]
    write_stripe_objects(data_dir, {"invoices": [old, new], "balance_transactions": ledger}, LOADED_AT)
    run("stripe")
    assert q("SELECT count() FROM finops.stg_stripe__invoices WHERE total_excluding_tax IS NULL "
             "AND amount_paid IS NULL") == [(1,)]
    rows = dict(q("SELECT month, recognised_revenue FROM finops.monthly_recognised_revenue WHERE currency = 'USD'"))
    assert abs(rows["2019-01"] - D(1200) * 31 / 365) < D("1e-6")
    assert abs(rows["2019-02"] - D(1200) * 28 / 365) < D("1e-6")
    assert abs(sum(v for m, v in rows.items() if m.startswith("2019")) - 1200) < D("1e-6")
    assert rows["2026-03"] == D(300)


def test_old_balance_transaction_types_are_categorised_by_their_reporting_category(data_dir):
    """One 2019 ledger row of each older type, with the reporting category Stripe gives it (docs.stripe.com/reports/
    reporting-categories): payment (an ACH/SEPA charge) 100.00 gross; payment_refund -10.00 refund; adjustment 5.00
    other; application_fee 7.00 platform earnings; stripe_fee -2.00 and tax_fee -0.40 Stripe fees; transfer -50.00,
    topup 80.00, issuing_authorization_hold -30.00, payout -60.00 and payout_cancel 60.00 are money moved, not revenue.
    Revenue 100 - 10 + 5 + 7 = 102.00; fees 2.40 (+ the payment's own fee 1.20) = 3.60; net 98.40."""
    rows = [("payment", "charge", 10_000, 120), ("payment_refund", "refund", -1_000, 0),
            ("adjustment", "other_adjustment", 500, 0), ("application_fee", "platform_earning", 700, 0),
            ("stripe_fee", "fee", -200, 0), ("tax_fee", "tax", -40, 0), ("transfer", "transfer", -5_000, 0),
            ("topup", "topup", 8_000, 0), ("issuing_authorization_hold", "issuing_authorization_hold", -3_000, 0),
            ("payout", "payout", -6_000, 0), ("payout_cancel", "payout_reversal", 6_000, 0)]
    ledger = []
    for n, (kind, category, amount, fee) in enumerate(rows):
        t = txn(f"txn_{n}", amount, "usd", "2019-05-10", category=category, fee=fee)
        t["type"] = kind
        ledger.append(t)
    write_stripe_objects(data_dir, {"balance_transactions": ledger}, LOADED_AT)
    run("stripe")
    (row,) = q("SELECT gross_volume, refunds, other, platform_earnings, revenue, processing_fees, stripe_fees, fees, "
               "net FROM finops.monthly_revenue WHERE month = '2019-05' AND currency = 'USD'")
    assert row == (D(100), D(-10), D(5), D(7), D(102), D("1.2"), D("2.4"), D("3.6"), D("98.4"))


def test_lifecycle_over_the_years(data_dir):
    """Current-shape events, 2022-2026 (pins behaviour that was already right):
        sub_cancel   100.00/month from 2022-01-01; cancel_at_period_end set 2023-05-10 (still active), ended
                     2023-06-01: 100 for 2022-01..2023-05, 0 in 2023-06 (the month it ended), no month after
        sub_pausecol 100.00/month from 2024-01-01; pause_collection set 2024-03-05: status stays `active`, so it
                     keeps its MRR (Stripe's MRR counts active subscriptions): 100 every month
        sub_trial    3 x 1,200.00/year, trialing 2025-01-01..2025-01-15, then active: 300 from 2025-01
    """
    monthly = monthly_price("p_month", 10_000)
    yearly = monthly_price("p_year", 120_000, recurring={"interval": "year", "interval_count": 1,
                                                         "usage_type": "licensed"})

    def sub(sub_id, p, start, qty=1, **extra):
        obj = {"id": sub_id, "object": "subscription", "customer": "cus_" + sub_id[4:], "currency": "usd",
               "status": "active", "start_date": ts(start), "created": ts(start), "trial_end": None,
               "ended_at": None, "canceled_at": None, "cancel_at_period_end": False, "pause_collection": None,
               "discounts": [], "items": {"object": "list", "data": [
                   {"id": "si_" + sub_id[4:], "object": "subscription_item", "quantity": qty, "price": p}]}}
        obj.update(extra)
        return obj

    v = "2022-11-15"
    cancel = sub("sub_cancel", monthly, "2022-01-01")
    cancelling = dict(cancel, cancel_at_period_end=True, cancel_at=ts("2023-06-01"), canceled_at=ts("2023-05-10"))
    ended = dict(cancelling, status="canceled", ended_at=ts("2023-06-01"))
    pausecol = sub("sub_pausecol", monthly, "2024-01-01")
    paused = dict(pausecol, pause_collection={"behavior": "void", "resumes_at": None})
    trial = sub("sub_trial", yearly, "2025-01-01", qty=3, status="trialing", trial_start=ts("2025-01-01"),
                trial_end=ts("2025-01-15"))
    converted = dict(trial, status="active")
    events = [event("evt_1", "created", cancel, "2022-01-01", v),
              event("evt_2", "updated", cancelling, "2023-05-10", v,
                    previous={"cancel_at_period_end": False, "cancel_at": None, "canceled_at": None}),
              event("evt_3", "deleted", ended, "2023-06-01", v),
              event("evt_4", "created", pausecol, "2024-01-01", v),
              event("evt_5", "updated", paused, "2024-03-05", v, previous={"pause_collection": None}),
              event("evt_6", "created", trial, "2025-01-01", v),
              event("evt_7", "updated", converted, "2025-01-15", v, previous={"status": "trialing"})]
    write_stripe_objects(data_dir, {"subscriptions": [ended, paused, converted], "events": events,
                                    "prices": [monthly, yearly],
                                    "balance_transactions": [txn("txn_1", 10_000, "usd", "2022-01-01")]}, LOADED_AT)
    run("stripe")
    cancel_mrr = subscription_mrr("sub_cancel")
    assert list(cancel_mrr) == months("2022-01", "2023-06")
    assert set(cancel_mrr[m] for m in months("2022-01", "2023-05")) == {D(100)} and cancel_mrr["2023-06"] == 0
    assert set(subscription_mrr("sub_pausecol").values()) == {D(100)}
    trial_mrr = subscription_mrr("sub_trial")
    assert list(trial_mrr) == months("2025-01", "2026-11") and set(trial_mrr.values()) == {D(300)}
    rows = dict(q("SELECT month, (new_subscriptions, churned_subscriptions) FROM finops.int_stripe__mrr_monthly "
                  "WHERE currency = 'usd'"))
    assert rows["2023-06"] == (0, 1) and rows["2025-01"] == (1, 0)


def test_a_legacy_yen_plan_keeps_its_zero_decimal_currency(data_dir):
    """A 2019 subscription to a 1,000 JPY monthly plan (JPY has no minor unit): its 2019 event has no top-level
    `currency` (the plan has one), the 2026 load has. MRR 1,000 JPY every month; before the fix the months valued
    from the 2019 event took 2 decimals for the missing currency: 10 JPY a month, 2019-08..2026-10."""
    yen = plan("yen", 1_000, currency="jpy")
    old = legacy_sub("sub_yen", yen, "2019-08-01")
    new = dict(current_sub(old), currency="jpy")
    write_stripe_objects(data_dir, {"subscriptions": [new], "events": [event("evt_1", "created", old, "2019-08-01",
                                                                             "2019-03-14")],
                                    "balance_transactions": [txn("txn_1", 1_000, "jpy", "2019-08-01")]}, LOADED_AT)
    run("stripe")
    mrr = subscription_mrr("sub_yen")
    assert list(mrr) == months("2019-08", "2026-11") and set(mrr.values()) == {D(1_000)}
    assert set(q("SELECT DISTINCT currency FROM finops.int_stripe__subscription_mrr")) == {("jpy",)}
