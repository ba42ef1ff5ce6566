"""MRR of subscriptions on archived (grandfathered) prices, through the prices load and the SQL.

Stripe lists only active prices unless `active=false` is passed (https://docs.stripe.com/api/prices/list), and a
subscription keeps billing a price archived after it started. The price a subscription item embeds has no `tiers`
or `currency_options` (Stripe expands four levels at most): they come from the prices table, so an archived price
must be in it. The prices here are loaded as the source loads them, from the Stripe stand-in; the raw tables get
the objects the load kept. USD 100.00 = 10000 minor units; MRR at each month end.
"""

from datetime import UTC, datetime
from decimal import Decimal

from tests.helpers.stripe_objects import monthly_price as price
from tests.helpers.stripe_objects import ts, txn
from tests.helpers.transform import q, run
from tests.transform.raw import write_stripe_objects

D = Decimal
LOADED_AT = datetime(2026, 11, 20, 6, tzinfo=UTC)


def subscription(sub_id, p, currency="usd", qty=1):
    """Active since Nov 1; its item embeds the price as Stripe does: without tiers and currency_options."""
    embedded = {k: v for k, v in p.items() if k not in ("tiers", "currency_options")}
    return {"id": sub_id, "object": "subscription", "customer": "cus_" + sub_id[4:], "currency": currency,
            "status": "active", "start_date": ts("2026-11-01"), "created": ts("2026-11-01"), "trial_start": None,
            "trial_end": None, "ended_at": None, "canceled_at": None, "discounts": [],
            "items": {"object": "list", "data": [{"id": f"si_{sub_id}", "object": "subscription_item",
                                                  "subscription": sub_id, "quantity": qty, "price": embedded}]}}


TIERS = [{"up_to": 10, "unit_amount": 1_000, "unit_amount_decimal": "1000", "flat_amount": 2_000,
          "flat_amount_decimal": "2000"},
         {"up_to": 20, "unit_amount": 800, "unit_amount_decimal": "800", "flat_amount": None, "flat_amount_decimal": None},
         {"up_to": None, "unit_amount": 500, "unit_amount_decimal": "500", "flat_amount": None,
          "flat_amount_decimal": None}]
CURRENT = price("price_current", 10_000)
LEGACY_TIERED = price("price_legacy_tiered", None, active=False, billing_scheme="tiered", tiers_mode="graduated",
                      tiers=TIERS)
LEGACY_MULTI = price("price_legacy_multi", 10_000, active=False,
                     currency_options={"usd": {"unit_amount": 10_000, "unit_amount_decimal": "10000"},
                                       "eur": {"unit_amount": 9_000, "unit_amount_decimal": "9000"}})
ALL_PRICES = [CURRENT, LEGACY_TIERED, LEGACY_MULTI]


def _loaded_price_ids() -> set[str]:
    """The ids the source's prices resource loads from a Stripe stand-in holding ALL_PRICES."""
    from include.sources.stripe_revenue import RetryPolicy, _snapshot
    from include.sources.stripe_revenue.client import make_client
    from include.sources.stripe_revenue.columns import PRICE_COLUMNS
    from standins.stripe_api import StripeApiServer
    from tests.fixtures.stripe import TEST_API_KEY

    with StripeApiServer({"prices": ALL_PRICES}) as server:
        client = make_client(TEST_API_KEY, base_url=server.url, max_network_retries=0)
        gen = _snapshot(client, "prices", PRICE_COLUMNS, LOADED_AT,
                        RetryPolicy(attempts=1, backoff_seconds=0, sleep=lambda s: None), 100, 2000)
        return {row["id"] for table in gen() for row in table.to_pylist()}


def _load(data_dir, subs, prices=None):
    if prices is None:
        loaded = _loaded_price_ids()
        prices = [p for p in ALL_PRICES if p["id"] in loaded]
    write_stripe_objects(data_dir, {"subscriptions": subs, "prices": prices,
                                    "balance_transactions": [txn("txn_1", 100, "usd", "2026-11-02")]}, LOADED_AT)
    run("stripe")


def _mrr() -> dict[tuple[str, str], Decimal]:
    return {(s, m): v for s, m, v in q("SELECT subscription, month, mrr FROM finops.int_stripe__subscription_mrr")}


def test_a_subscription_on_an_archived_tiered_price_keeps_its_mrr(data_dir):
    """25 seats on the archived graduated price: 20 + 10 x 10 + 10 x 8 + 5 x 5 = 225.00 a month. Before, the load
    left the price out and the build of int_stripe__subscription_states failed (SIZES_OF_ARRAYS_DONT_MATCH)."""
    _load(data_dir, [subscription("sub_tiered", LEGACY_TIERED, qty=25)])
    assert _mrr() == {("sub_tiered", "2026-11"): D(225)}


def test_a_subscription_on_an_archived_multi_currency_price_pays_its_currency_option(data_dir):
    """A EUR subscription on the archived multi-currency price pays its EUR option: 90.00 a month (before: 100.00,
    the USD amount the item embeds read as EUR)."""
    _load(data_dir, [subscription("sub_eur", LEGACY_MULTI, currency="eur")])
    assert _mrr() == {("sub_eur", "2026-11"): D(90)}


def test_a_graduated_price_missing_from_the_prices_table_does_not_stop_the_other_subscriptions(data_dir):
    """With no tiers to value it (the price is not in the prices table, the item embeds none), the graduated item
    counts 0 like a volume one; every other subscription keeps its MRR (before, the whole Stripe build failed)."""
    _load(data_dir, [subscription("sub_tiered", LEGACY_TIERED, qty=25), subscription("sub_current", CURRENT)],
          prices=[CURRENT])
    assert _mrr() == {("sub_tiered", "2026-11"): D(0), ("sub_current", "2026-11"): D(100)}
