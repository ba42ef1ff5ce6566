"""MRR of multi-currency prices and coupons, coupons restricted to products and subscription item discounts, on
hand-computed subscriptions (raw tables written through the source's own flattening).

The objects are shaped as the loader gets them: a subscription item embeds its price without
`currency_options` (Stripe expands four levels at most, so they come from the prices table, listed with
expand[]=data.currency_options); a discount embeds its coupon without `applies_to` and `currency_options` (the
coupons table has them, listed with expand[]=data.applies_to and data.currency_options); an item's discounts are objects in a load (expanded with
expand[]=data.items.data.discounts) and ids in events. Amounts in minor units: USD 100.00 = 10000,
JPY 1,500 = 1500, KWD 3.080 = 3080.
"""

import copy
from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.stripe_objects import ts
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal
LOADED_AT = datetime(2026, 9, 20, 6, tzinfo=UTC)


LEDGER = [{"id": "txn_1", "object": "balance_transaction", "type": "charge", "reporting_category": "charge",
           "amount": 10_000, "fee": 320, "net": 9_680, "currency": "usd", "created": ts("2026-09-02")}]


def price(price_id, amount, product="prod_a", currency="usd", interval="month", **extra):
    obj = {"id": price_id, "object": "price", "active": True, "currency": currency, "unit_amount": amount,
           "unit_amount_decimal": None if amount is None else str(amount), "type": "recurring",
           "billing_scheme": "per_unit", "product": product, "created": ts("2026-01-01"),
           "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"}}
    obj.update(extra)
    return obj


def embedded(p):
    """A price as a subscription item embeds it: without its tiers and currency options."""
    return {k: v for k, v in p.items() if k not in ("tiers", "currency_options")}


def item(item_id, p, qty=1, discounts=None):
    obj = {"id": item_id, "object": "subscription_item", "quantity": qty, "price": embedded(p)}
    if discounts is not None:
        obj["discounts"] = discounts
    return obj


def coupon(coupon_id, percent=None, amount=None, products=None, currency_options=None):
    obj = {"id": coupon_id, "object": "coupon", "percent_off": percent, "amount_off": amount,
           "currency": "usd" if amount else None, "duration": "forever", "duration_in_months": None,
           "created": ts("2026-01-01"), "valid": True}
    if products is not None:
        obj["applies_to"] = {"products": products}
    if currency_options is not None:
        obj["currency_options"] = currency_options
    return obj


def discount(discount_id, c, start="2026-09-01", subscription_item=None):
    """A Discount object: its coupon embedded as Stripe embeds it (applies_to and currency_options are expandable:
    not there)."""
    return {"id": discount_id, "object": "discount",
            "coupon": {k: v for k, v in c.items() if k not in ("applies_to", "currency_options")},
            "start": ts(start), "end": None, "subscription_item": subscription_item}


def sub(sub_id, items, currency="usd", discounts=(), start="2026-09-01"):
    return {"id": sub_id, "object": "subscription", "customer": "cus_" + sub_id[4:], "currency": currency,
            "status": "active", "start_date": ts(start), "created": ts(start), "trial_end": None, "ended_at": None,
            "discounts": list(discounts), "items": {"object": "list", "data": items}}


def mrr(month="2026-09") -> dict[str, tuple[str, Decimal]]:
    return {s: (c, m) for s, c, m in q(f"SELECT subscription, currency, mrr FROM finops.int_stripe__subscription_mrr "
                                       f"WHERE month = '{month}'")}


# ------------------------------------------------------------------------------------------- bug 4
MULTI = price("price_multi", 1_000, currency_options={
    "jpy": {"unit_amount": 1_500, "unit_amount_decimal": "1500", "tax_behavior": "exclusive"},
    "kwd": {"unit_amount": 3_080, "unit_amount_decimal": "3080", "tax_behavior": "exclusive"}})
ANNUAL_MULTI = price("price_annual_multi", 12_000, interval="year",
                     currency_options={"jpy": {"unit_amount": 18_000, "unit_amount_decimal": "18000"}})
TIERED_MULTI = price(
    "price_tiered_multi", None, billing_scheme="tiered", tiers_mode="volume",
    tiers=[{"up_to": 10, "unit_amount": 1_000, "unit_amount_decimal": "1000", "flat_amount": None},
           {"up_to": None, "unit_amount": 800, "unit_amount_decimal": "800", "flat_amount": None}],
    currency_options={"jpy": {"unit_amount": None, "unit_amount_decimal": None, "tiers": [
        {"up_to": 10, "unit_amount": 1_500, "unit_amount_decimal": "1500", "flat_amount": None},
        {"up_to": None, "unit_amount": 1_200, "unit_amount_decimal": "1200", "flat_amount": None}]}})


def test_a_multi_currency_price_bills_its_option_in_the_subscription_currency(data_dir):
    """USD 10.00 a month with options JPY 1,500 and KWD 3.080: a JPY subscription of 2 pays 3,000 JPY, a KWD
    one 3.080 KWD (not 1,000 JPY / 1.000 KWD, the USD amount read in their minor units), a USD one 10.00.
    USD 120.00 a year with JPY 18,000: 1,500 JPY a month. Volume tiers USD 10.00 / 8.00 above 10 with
    JPY tiers 1,500 / 1,200: 12 seats in JPY 14,400."""
    subs = [sub("sub_usd", [item("si_usd", MULTI)]),
            sub("sub_jpy", [item("si_jpy", MULTI, qty=2)], currency="jpy"),
            sub("sub_kwd", [item("si_kwd", MULTI)], currency="kwd"),
            sub("sub_jpy_annual", [item("si_jpy_annual", ANNUAL_MULTI)], currency="jpy"),
            sub("sub_jpy_tiered", [item("si_jpy_tiered", TIERED_MULTI, qty=12)], currency="jpy")]
    write_stripe_objects(data_dir, {"balance_transactions": LEDGER, "subscriptions": subs,
                                    "prices": [MULTI, ANNUAL_MULTI, TIERED_MULTI]}, LOADED_AT)
    run("stripe")
    assert mrr() == {"sub_usd": ("usd", D(10)), "sub_jpy": ("jpy", D(3_000)), "sub_kwd": ("kwd", D("3.08")),
                     "sub_jpy_annual": ("jpy", D(1_500)), "sub_jpy_tiered": ("jpy", D(14_400))}
    monthly = dict(q("SELECT currency, mrr FROM finops.int_stripe__mrr_monthly WHERE month = '2026-09'"))
    assert monthly == {"usd": D(10), "jpy": D(3_000 + 1_500 + 14_400), "kwd": D("3.08")}


def test_prices_loaded_before_currency_options_was_a_column_keep_their_own_amount(data_dir, monkeypatch):
    """Raw prices of an older load (no currency_options column) read as no options: each price its own amount."""
    from include.sources.stripe_revenue import MUTABLE_RESOURCES

    monkeypatch.setitem(MUTABLE_RESOURCES, "prices", [c for c in MUTABLE_RESOURCES["prices"] if c[0] != "currency_options"])
    yen = price("price_yen", 4_400, currency="jpy")
    subs = [sub("sub_usd", [item("si_usd", MULTI)]), sub("sub_jpy", [item("si_jpy", yen)], currency="jpy")]
    write_stripe_objects(data_dir, {"balance_transactions": LEDGER, "subscriptions": subs, "prices": [MULTI, yen]},
                         LOADED_AT)
    run("stripe")
    assert mrr() == {"sub_usd": ("usd", D(10)), "sub_jpy": ("jpy", D(4_400))}


# ------------------------------------------------------------------------------------------- bug 5
PROD_A, PROD_B = price("price_a", 10_000, product="prod_a"), price("price_b", 5_000, product="prod_b")


def test_a_coupon_restricted_to_products_discounts_only_their_items(data_dir):
    """prod_a 100.00 + prod_b 50.00 a month on each subscription, forever coupons:
        sub_pct   50 % off, applies_to [prod_a]        50 + 50       = 100 (not 75)
        sub_amt   80.00 off, applies_to [prod_b]       100 + max(50 - 80, 0) = 100 (not 70)
        sub_all   50 % off, no applies_to              (100 + 50) / 2 = 75
        sub_none  50 % off, applies_to [prod_c]        150 (no item of prod_c)"""
    pct_a, amt_b = coupon("co_pct_a", percent=50, products=["prod_a"]), coupon("co_amt_b", amount=8_000, products=["prod_b"])
    pct_all, pct_c = coupon("co_pct_all", percent=50), coupon("co_pct_c", percent=50, products=["prod_c"])

    def two_items(sub_id, c):
        return sub(sub_id, [item(f"si_{sub_id}_a", PROD_A), item(f"si_{sub_id}_b", PROD_B)],
                   discounts=[discount(f"di_{sub_id}", c)])

    subs = [two_items("sub_pct", pct_a), two_items("sub_amt", amt_b), two_items("sub_all", pct_all),
            two_items("sub_none", pct_c)]
    write_stripe_objects(data_dir, {"balance_transactions": LEDGER, "subscriptions": subs, "prices": [PROD_A, PROD_B],
                                    "coupons": [pct_a, amt_b, pct_all, pct_c]}, LOADED_AT)
    run("stripe")
    assert {s: m for s, (_, m) in mrr().items()} == {"sub_pct": D(100), "sub_amt": D(100), "sub_all": D(75),
                                                     "sub_none": D(150)}


def test_an_amount_off_coupon_takes_its_amount_in_the_subscription_currency(data_dir):
    """USD 10.00 off forever with options EUR 9.00 and JPY 1,500 (the coupons table has them; the discount embeds
    the coupon without): on USD 100.00 a month 90.00, on EUR 100.00 91.00 (not 90.00: the USD amount read in
    euro cents), on JPY 4,400 2,900 (not 3,400). A coupons table loaded before currency_options was a column
    keeps the coupon's own amount_off."""
    ten = coupon("co_ten", amount=1_000, currency_options={"eur": {"amount_off": 900}, "jpy": {"amount_off": 1_500}})
    eur, yen = price("price_eur", 10_000, currency="eur"), price("price_yen", 4_400, currency="jpy")
    subs = [sub("sub_usd", [item("si_usd", PROD_A)], discounts=[discount("di_usd", ten)]),
            sub("sub_eur", [item("si_eur", eur)], currency="eur", discounts=[discount("di_eur", ten)]),
            sub("sub_jpy", [item("si_jpy", yen)], currency="jpy", discounts=[discount("di_jpy", ten)])]
    write_stripe_objects(data_dir, {"balance_transactions": LEDGER, "subscriptions": subs,
                                    "prices": [PROD_A, eur, yen], "coupons": [ten]}, LOADED_AT)
    run("stripe")
    assert mrr() == {"sub_usd": ("usd", D(90)), "sub_eur": ("eur", D(91)), "sub_jpy": ("jpy", D(2_900))}


def test_an_amount_off_coupon_loaded_before_currency_options_was_a_column_keeps_its_amount(data_dir, monkeypatch):
    from include.sources.stripe_revenue import MUTABLE_RESOURCES

    monkeypatch.setitem(MUTABLE_RESOURCES, "coupons",
                        [c for c in MUTABLE_RESOURCES["coupons"] if c[0] != "currency_options"])
    ten = coupon("co_ten", amount=1_000)
    subs = [sub("sub_usd", [item("si_usd", PROD_A)], discounts=[discount("di_usd", ten)])]
    write_stripe_objects(data_dir, {"balance_transactions": LEDGER, "subscriptions": subs, "prices": [PROD_A],
                                    "coupons": [ten]}, LOADED_AT)
    run("stripe")
    assert mrr() == {"sub_usd": ("usd", D(90))}


def test_an_amount_off_coupon_on_a_large_subscription_takes_exactly_its_amount(data_dir):
    """1,000,000.00 a month less 100,000.00 off forever: 900,000.00 (not 1,000,043.0158747559: the coupon's share of
    the item, taken x running sum / sum, overflowed silently in plain Decimal(38, 10) arithmetic)."""
    big = price("price_big", 100_000_000)
    off = coupon("co_big", amount=10_000_000)
    subs = [sub("sub_big", [item("si_big", big)], discounts=[discount("di_big", off)])]
    write_stripe_objects(data_dir, {"balance_transactions": LEDGER, "subscriptions": subs, "prices": [big],
                                    "coupons": [off]}, LOADED_AT)
    run("stripe")
    assert mrr() == {"sub_big": ("usd", D(900_000))}


# ------------------------------------------------------------------------------------------- bug 6
def test_item_discounts_apply_to_their_item_before_the_subscription_discounts(data_dir):
    """prod_a 100.00 with its own 50 % forever discount + prod_b 50.00:
        sub_item   50 + 50 = 100 (not 150: the item discount was ignored)
        sub_stack  and a subscription-level 20.00 off forever: item discounts first (Stripe: "Subscription
                   item discounts are applied before subscription discounts"): 50 + 50 - 20 = 80
                   (the other way round: 20.00 off shared 13.33 / 6.67, then 50 % of 86.67: 86.67)"""
    half, twenty = coupon("co_half", percent=50), coupon("co_twenty", amount=2_000)
    subs = [sub("sub_item", [item("si_item_a", PROD_A, discounts=[discount("di_item", half, subscription_item="si_item_a")]),
                             item("si_item_b", PROD_B, discounts=[])]),
            sub("sub_stack", [item("si_stack_a", PROD_A, discounts=[discount("di_stack_a", half, subscription_item="si_stack_a")]),
                              item("si_stack_b", PROD_B)],
                discounts=[discount("di_stack", twenty)])]
    write_stripe_objects(data_dir, {"balance_transactions": LEDGER, "subscriptions": subs, "prices": [PROD_A, PROD_B],
                                    "coupons": [half, twenty]}, LOADED_AT)
    run("stripe")
    assert {s: m for s, (_, m) in mrr().items()} == {"sub_item": D(100), "sub_stack": D(80)}


def test_item_discounts_given_as_ids_in_events_are_read_from_the_loaded_objects(data_dir):
    """sub_1 from 2026-08-01, dated by its customer.subscription.created event (events are not expanded: the
    item's discounts are ids); the load on 2026-09-20 saw the discount object. August's month end comes from
    the event: 100 (prod_a 100 at 50 % + prod_b 50), as September's from the load."""
    half = coupon("co_half", percent=50)
    disc = discount("di_item", half, start="2026-08-01", subscription_item="si_a")
    loaded = sub("sub_1", [item("si_a", PROD_A, discounts=[disc]), item("si_b", PROD_B, discounts=[])], start="2026-08-01")
    in_event = copy.deepcopy(loaded)
    in_event["items"]["data"][0]["discounts"] = ["di_item"]
    event = {"id": "evt_0001", "object": "event", "type": "customer.subscription.created", "created": ts("2026-08-01"),
             "data": {"object": in_event}, "api_version": "2026-10-28.endive", "livemode": False,
             "request": {"id": None, "idempotency_key": None}}
    write_stripe_objects(data_dir, {"balance_transactions": LEDGER, "subscriptions": [loaded], "events": [event],
                                    "prices": [PROD_A, PROD_B], "coupons": [half]}, LOADED_AT)
    run("stripe")
    got = {m: (src, v) for m, src, v in q("SELECT month, mrr_source, mrr FROM finops.int_stripe__subscription_mrr "
                                          "WHERE subscription = 'sub_1' ORDER BY month")}
    assert got == {"2026-08": ("event", D(100)), "2026-09": ("snapshot", D(100))}
