"""MRR reconstructed from invoices (int_stripe__invoice_mrr) with coupons, against the MRR definition of
int_stripe__subscription_mrr: `forever` and `repeating` coupons reduce MRR while they apply, `once` never;
percent_off scales the price, amount_off takes a fixed amount per billing period.

One snapshot load on 2026-11-20 and no events, so every month before November is reconstructed from the
invoice lines and November comes from the snapshot (the same subscription valued both ways).
USD 100.00 = 10000 minor units; every expected figure is worked out by hand in the test.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal
LOADED_AT = datetime(2026, 11, 20, 6, tzinfo=UTC)
MONTHS = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]


def ts(day: str) -> int:
    return int(datetime.fromisoformat(day + "T00:00:00+00:00").timestamp())


def price(price_id, amount):
    return {"id": price_id, "object": "price", "active": True, "currency": "usd", "unit_amount": amount,
            "unit_amount_decimal": str(amount), "type": "recurring", "billing_scheme": "per_unit",
            "product": "prod_" + price_id, "created": ts("2026-01-01"),
            "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}}


BASIC, PRO = price("price_basic", 10_000), price("price_pro", 20_000)


def coupon(coupon_id, duration, percent_off=None, amount_off=None):
    return {"id": coupon_id, "object": "coupon", "percent_off": percent_off, "amount_off": amount_off,
            "currency": "usd" if amount_off else None, "duration": duration, "duration_in_months": None,
            "created": ts("2026-01-01"), "valid": True}


def discount(discount_id, sub_id, coupon_or_id, start="2026-06-01", **extra):
    """A Discount object in the pinned API version's shape (`source.coupon`, the coupon's id)."""
    return {"id": discount_id, "object": "discount", "subscription": sub_id, "start": ts(start), "end": None,
            "source": {"type": "coupon", "coupon": coupon_or_id}, **extra}


def subscription(sub_id, p, discounts=()):
    return {"id": sub_id, "object": "subscription", "customer": "cus_" + sub_id, "currency": "usd",
            "status": "active", "start_date": ts("2026-06-01"), "created": ts("2026-06-01"), "trial_end": None,
            "ended_at": None, "discounts": list(discounts),
            "items": {"object": "list", "data": [{"id": f"si_{sub_id}", "object": "subscription_item",
                                                  "quantity": 1, "price": p}]}}


def line(sub_id, p, amount, start, end, discounts=(), proration=False):
    """An invoice line in the current API's shape; discounts: [(discount id, amount)]."""
    if proration:
        parent = {"type": "invoice_item_details", "subscription_item_details": None,
                  "invoice_item_details": {"invoice_item": "ii_x", "proration": True, "subscription": sub_id}}
    else:
        parent = {"type": "subscription_item_details", "invoice_item_details": None,
                  "subscription_item_details": {"proration": False, "subscription": sub_id,
                                                "subscription_item": f"si_{sub_id}"}}
    return {"id": f"il_{sub_id}_{p['id']}_{start}_{proration}", "object": "line_item", "amount": amount,
            "currency": "usd", "quantity": 1, "period": {"start": ts(start), "end": ts(end)},
            "discount_amounts": [{"amount": a, "discount": d} for d, a in discounts],
            "discounts": [d for d, _ in discounts], "parent": parent,
            "pricing": {"type": "price_details", "price_details": {"price": p["id"], "product": p["product"]}}}


def invoice(invoice_id, sub_id, day, lines, discounts=()):
    """discounts: the invoice's `discounts` as the loader lists them (expand[]=data.discounts: objects)."""
    total = sum(x["amount"] - sum(d["amount"] for d in x["discount_amounts"]) for x in lines)
    return {"id": invoice_id, "object": "invoice", "customer": "cus_" + sub_id, "currency": "usd",
            "status": "paid", "created": ts(day), "total": total, "subtotal": total, "total_excluding_tax": total,
            "amount_due": total, "amount_paid": total, "amount_remaining": 0,
            "status_transitions": {"paid_at": ts(day), "finalized_at": ts(day)}, "discounts": list(discounts),
            "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub_id}},
            "lines": {"object": "list", "has_more": False, "data": lines}}


def next_month(month: str) -> str:
    year, m = (int(x) for x in month.split("-"))
    return f"{year + m // 12}-{m % 12 + 1:02d}"


def monthly_invoices(sub_id, p, months, discounts_by_month, invoice_discounts=()):
    """One invoice per month, billing the month ahead: [(month, [(discount id, amount)])]."""
    return [invoice(f"in_{sub_id}_{m}", sub_id, f"{m}-01",
                    [line(sub_id, p, p["unit_amount"], f"{m}-01", f"{next_month(m)}-01",
                          discounts_by_month.get(m, ()))], invoice_discounts)
            for m in months]


def load(data_dir, subscriptions, invoices, coupons):
    ledger = [{"id": "txn_1", "object": "balance_transaction", "type": "charge", "reporting_category": "charge",
               "amount": 10_000, "fee": 0, "net": 10_000, "currency": "usd", "created": ts("2026-06-01")}]
    write_stripe_objects(data_dir, {"balance_transactions": ledger, "subscriptions": subscriptions,
                                    "invoices": invoices, "prices": [BASIC, PRO], "coupons": coupons}, LOADED_AT)
    run("stripe")


def mrr_by_month(sub_id: str, model: str = "int_stripe__subscription_mrr") -> dict[str, Decimal]:
    month = "month" if model == "int_stripe__subscription_mrr" else "formatDateTime(month_start, '%Y-%m')"
    return dict(q(f"SELECT {month}, mrr FROM finops.{model} WHERE subscription = '{sub_id}' ORDER BY 1"))


def movements(column: str) -> dict[str, Decimal]:
    return dict(q(f"SELECT month, {column} FROM finops.int_stripe__mrr_monthly WHERE currency = 'usd' ORDER BY month"))


def by_month(values) -> dict[str, Decimal]:
    return {m: D(v) for m, v in zip(MONTHS, values, strict=True)}


# ------------------------------------------------------------------------ (a) proration lines
UPGRADE_MODES = {
    # proration_discounts=itemized (API 2025-09-30 on): gross amounts, the discount amounts as applied.
    # The upgrade on Jul 14: unused 18/31 of 100.00 = -58.06 less -29.03, remaining 18/31 of 200.00 =
    # 116.13 less 58.07 (Stripe rounds each amount to the cent).
    "itemized": (-5_806, -2_903, 11_613, 5_807),
    # proration_discounts=included (the default before): net amounts, the discounts listed at 0.
    "included": (-2_903, 0, 5_807, 0),
}


@pytest.mark.parametrize("mode", UPGRADE_MODES)
def test_proration_lines_count_the_subscription_discount(data_dir, mode):
    """sub_half: 100.00/month from Jun 1 with 50 % off forever, upgraded to 200.00 on Jul 14 (prorations on
    their own invoice). sub_off: the same plans with 20.00 off forever (amount_off, per billing period).
    Right month-end MRR, as the subscription's own state gives it:
        sub_half  Jun 100 x 50 % = 50, from Jul 200 x 50 % = 100
        sub_off   Jun 100 - 20 = 80,   from Jul 200 - 20 = 180 (the fixed 20 off does not move with the plan)
    A proration line moves MRR from the old plan's to the new plan's discounted price: -50 + 100 and -100 + 200.
    Before the fix it counted the undiscounted price: sub_half July 50 - 100 + 200 = 150."""
    unused, unused_discount, remaining, remaining_discount = UPGRADE_MODES[mode]
    half, off = coupon("co_half", "forever", percent_off=50), coupon("co_off", "forever", amount_off=2_000)
    subs, invoices = [], []
    for sub_id, c, regular_discount in (("sub_half", half, (5_000, 10_000)), ("sub_off", off, (2_000, 2_000))):
        di = f"di_{sub_id}"
        disc = discount(di, sub_id, c["id"])
        subs.append(subscription(sub_id, PRO, [disc]))
        amount_off = c["amount_off"] is not None
        proration_discounts = ((0, 0) if amount_off and mode == "itemized" else (unused_discount, remaining_discount))
        if amount_off and mode == "included":
            # the net proration amounts of an amount_off coupon are the undiscounted ones
            prorations = [(-5_806, 0), (11_613, 0)]
        else:
            prorations = [(unused, proration_discounts[0]), (remaining, proration_discounts[1])]
        invoices += monthly_invoices(sub_id, BASIC, ["2026-06", "2026-07"], {
            m: [(di, regular_discount[0])] for m in ("2026-06", "2026-07")}, [disc])
        invoices.append(invoice(f"in_{sub_id}_up", sub_id, "2026-07-14", [
            line(sub_id, BASIC, prorations[0][0], "2026-07-14", "2026-08-01", [(di, prorations[0][1])], True),
            line(sub_id, PRO, prorations[1][0], "2026-07-14", "2026-08-01", [(di, prorations[1][1])], True)],
            [disc]))
        invoices += monthly_invoices(sub_id, PRO, MONTHS[2:], {m: [(di, regular_discount[1])] for m in MONTHS[2:]},
                                     [disc])
    load(data_dir, subs, invoices, [half, off])

    assert mrr_by_month("sub_half") == by_month([50, 100, 100, 100, 100, 100])
    assert mrr_by_month("sub_off") == by_month([80, 180, 180, 180, 180, 180])
    # the months both ways: the invoice figure of November is the snapshot's
    assert mrr_by_month("sub_half", "int_stripe__invoice_mrr") == by_month([50, 100, 100, 100, 100, 100])
    assert mrr_by_month("sub_off", "int_stripe__invoice_mrr") == by_month([80, 180, 180, 180, 180, 180])
    assert movements("new_mrr") == by_month([130, 0, 0, 0, 0, 0])
    assert movements("expansion_mrr") == by_month([0, 150, 0, 0, 0, 0])
    assert movements("contraction_mrr") == by_month([0, 0, 0, 0, 0, 0])


def test_proration_lines_of_an_unknown_discount_count_its_share(data_dir):
    """The lines name a discount that no loaded object describes (e.g. invoices loaded before the loader
    expanded their discounts): a proration line keeps the share of its price that the discount left,
    as a regular line counts its amount less the discount. 100.00/month, 50 % off, upgraded to 200.00
    on Jul 16 (16/31: unused -51.61 less -25.80 here, remaining +103.22 less 51.61, a 0.5 ratio each).
    Invoice MRR: Jun 50, Jul 50 - 50 + 100 = 100, Aug-Nov 100 (before the fix July was 150)."""
    di = "di_unknown"
    invoices = monthly_invoices("sub_1", BASIC, MONTHS[:2], {m: [(di, 5_000)] for m in MONTHS[:2]})
    invoices.append(invoice("in_up", "sub_1", "2026-07-16", [
        line("sub_1", BASIC, -5_160, "2026-07-16", "2026-08-01", [(di, -2_580)], True),
        line("sub_1", PRO, 10_322, "2026-07-16", "2026-08-01", [(di, 5_161)], True)]))
    invoices += monthly_invoices("sub_1", PRO, MONTHS[2:], {m: [(di, 10_000)] for m in MONTHS[2:]})
    load(data_dir, [subscription("sub_1", PRO)], invoices, [])

    assert mrr_by_month("sub_1", "int_stripe__invoice_mrr") == by_month([50, 100, 100, 100, 100, 100])


# ----------------------------------------------------------------------------- (b) once coupons
@pytest.mark.parametrize("embedded", [False, True], ids=["coupon_from_coupons_table", "coupon_embedded"])
def test_a_once_coupon_does_not_reduce_reconstructed_mrr(data_dir, embedded):
    """sub_once: 100.00/month from Jun 1 with a 50 % `once` coupon: June's invoice bills 100 less 50, later
    ones 100. The discount is gone from the subscription (a once discount ends with its invoice); the June
    invoice still lists it (expand[]=data.discounts: a deleted Discount with its coupon). sub_forever:
    100.00/month with 50 % off forever, the same way. Right month-end MRR (a `once` coupon never reduces
    MRR): sub_once 100 every month, new MRR 100 in June and no July expansion; sub_forever 50 every month.
    Before the fix sub_once was 50 in June and +50 expansion in July.
    embedded: the discount carries the coupon object (coupons deleted since are not in the coupons table)."""
    once, forever = coupon("co_once", "once", percent_off=50), coupon("co_forever", "forever", percent_off=50)
    once_discount = discount("di_once", "sub_once", once if embedded else "co_once", deleted=True)
    forever_discount = discount("di_forever", "sub_forever", forever if embedded else "co_forever")
    invoices = (monthly_invoices("sub_once", BASIC, MONTHS, {"2026-06": [("di_once", 5_000)]}, [])
                + monthly_invoices("sub_forever", BASIC, MONTHS, {m: [("di_forever", 5_000)] for m in MONTHS},
                                   [forever_discount]))
    invoices[0]["discounts"] = [once_discount]
    subs = [subscription("sub_once", BASIC), subscription("sub_forever", BASIC, [forever_discount])]
    load(data_dir, subs, invoices, [] if embedded else [once, forever])

    assert mrr_by_month("sub_once") == by_month([100] * 6)
    assert mrr_by_month("sub_once", "int_stripe__invoice_mrr") == by_month([100] * 6)
    assert mrr_by_month("sub_forever") == by_month([50] * 6)
    assert mrr_by_month("sub_forever", "int_stripe__invoice_mrr") == by_month([50] * 6)
    assert movements("new_mrr") == by_month([150, 0, 0, 0, 0, 0])
    assert movements("expansion_mrr") == by_month([0] * 6)
