"""dlt source `stripe_revenue`: the Stripe ledger and billing objects, through the official stripe SDK.

Resources (each is one raw table of the `stripe_revenue` dataset, with a fixed Arrow schema, see
columns.py and include/sql/staging/stripe/README-contract.md; the API client and paging are in client.py):

* immutable objects, loaded incrementally on `created` and appended:
  `balance_transactions`, `charges`, `refunds`, `events` (the subscription and invoice events that
  date every change; Stripe keeps 30 days of them);
* subscriptions (+ the `subscription_items` table, one row per item), listed in full on every run and
  **appended**: every state a run has seen stays, with the time it was seen (`_loaded_at`), so a past
  month's MRR never depends on what a later load found (their discounts are expanded);
* other objects that change after creation, reloaded in full on every run and replaced, so the table
  is the current state: `invoices`, `customers`, `disputes`, `products`, `prices` (with their tiers;
  active and archived ones, and the inline prices that subscription items and invoice lines bill, which
  Stripe never lists: each retrieved, so the prices resource lists the subscriptions and invoices too), `coupons`,
  `credit_notes` (a credit note can be voided after it was issued).

Incremental state (per resource, in the dlt pipeline state): the newest `created` loaded and the ids
at that second. The next run asks for `created[gte]` that second and skips those ids. A run with
`start_date`/`end_date` (a backfill) asks for `created[gte]=start_date, created[lt]=end_date` and does
not move the state unless it runs up to now (no end_date). Appended tables can hold an id more than once
(a backfill over an already loaded range, a lookback); readers keep the row with the newest
`_loaded_at` per id (the dedup rule of the contract).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import dlt

from include.sources.stripe_revenue.client import (
    PAGE_SIZE,
    PINNED_API_VERSION,
    RetryPolicy,
    StripeLoadError,
    iter_stripe_list,
    retrieve,
)
from include.sources.stripe_revenue.columns import (
    BALANCE_TRANSACTION_COLUMNS,
    CHARGE_COLUMNS,
    COUPON_COLUMNS,
    CREDIT_NOTE_COLUMNS,
    CUSTOMER_COLUMNS,
    CUSTOMER_PII_COLUMNS,
    DISPUTE_COLUMNS,
    EVENT_COLUMNS,
    EVENT_TYPES,
    INVOICE_COLUMNS,
    PRICE_COLUMNS,
    PRODUCT_COLUMNS,
    REFUND_COLUMNS,
    SUBSCRIPTION_COLUMNS,
    SUBSCRIPTION_ITEM_COLUMNS,
    subscription_items,
)
from include.sources.stripe_revenue.currency import currency_exponent
from include.sources.stripe_revenue.flatten import (
    BATCH_ROWS,
    Column,
    batched_tables,
    flatten,
    get_path,
    object_id,
    to_arrow,
    to_epoch,
)

log = logging.getLogger(__name__)

__all__ = [
    "stripe_revenue_source",
    "PINNED_API_VERSION",
    "StripeLoadError",
    "RetryPolicy",
    "currency_exponent",
    "INCREMENTAL_RESOURCES",
    "MUTABLE_RESOURCES",
    "ALL_RESOURCES",
    "HISTORY_RESOURCES",
]

# resource name (= API list path under /v1 and raw table name) -> columns
INCREMENTAL_RESOURCES: dict[str, list[Column]] = {
    "balance_transactions": BALANCE_TRANSACTION_COLUMNS,
    "charges": CHARGE_COLUMNS,
    "refunds": REFUND_COLUMNS,
    "events": EVENT_COLUMNS,
}
MUTABLE_RESOURCES: dict[str, list[Column]] = {
    "subscriptions": SUBSCRIPTION_COLUMNS,
    "invoices": INVOICE_COLUMNS,
    "customers": CUSTOMER_COLUMNS,
    "disputes": DISPUTE_COLUMNS,
    "products": PRODUCT_COLUMNS,
    "prices": PRICE_COLUMNS,
    "coupons": COUPON_COLUMNS,
    # replaced, not appended on `created`: a credit note can be voided after it was issued, and only a full
    # listing sees that (an incremental load never reads an old credit note again)
    "credit_notes": CREDIT_NOTE_COLUMNS,
}
ALL_RESOURCES: tuple[str, ...] = (*INCREMENTAL_RESOURCES, *MUTABLE_RESOURCES)
# What Stripe cannot serve again: the subscription states earlier loads saw (the API has only the
# current one) and events older than 30 days. A full refresh keeps these tables.
HISTORY_RESOURCES: tuple[str, ...] = ("subscriptions", "events")
# Extra list parameters per resource: cancelled subscriptions too, with their discounts and their items'
# discounts as objects; invoices with their discounts as objects (a deleted one keeps its coupon:
# int_stripe__invoice_mrr leaves `once` coupons out of MRR) and their payments (the charge that links an
# invoice to its balance transaction, hence its settlement currency); prices with their tiers and their amounts
# in other currencies (listed once with active=true and once with active=false: _all_prices); coupons with the products they are restricted to and their amount_off in other currencies;
# only the events the MRR history reads.
# (Stripe expands at most four levels: a subscription item's price cannot bring its currency_options, the
# prices table does; a currency option's tiers are expanded per currency, so a tiered price with options is
# retrieved again: _with_option_tiers.)
_LIST_PARAMS: dict[str, dict[str, Any]] = {
    "subscriptions": {"status": "all", "expand": ["data.discounts", "data.items.data.discounts"]},
    "invoices": {"expand": ["data.discounts", "data.payments"]},
    "prices": {"expand": ["data.tiers", "data.currency_options"]},
    "coupons": {"expand": ["data.applies_to", "data.currency_options"]},
    "events": {"types": list(EVENT_TYPES)},
}


def _customer_columns(include_pii: bool) -> list[Column]:
    if not include_pii:
        return CUSTOMER_COLUMNS
    return CUSTOMER_COLUMNS[:-1] + CUSTOMER_PII_COLUMNS + CUSTOMER_COLUMNS[-1:]


@dlt.source(name="stripe_revenue", max_table_nesting=0)
def stripe_revenue_source(
    client: Any,
    start_date: Any = None,
    end_date: Any = None,
    resources: Sequence[str] | None = None,
    include_customer_pii: bool = False,
    initial_start_date: Any = None,
    page_size: int = PAGE_SIZE,
    batch_rows: int = BATCH_ROWS,
    retry: RetryPolicy | None = None,
    expand_invoice_lines: bool = True,
    loaded_at: datetime | None = None,
) -> Iterable[Any]:
    """Stripe objects for the revenue metrics.

    client: a `stripe.StripeClient` (the loader builds it from an Airflow connection: include/loaders/stripe.py); its key may be a restricted key
        with read access to the loaded objects.
    start_date / end_date: optional backfill range on `created` (epoch seconds, ISO strings, dates or
        datetimes; end exclusive) for the incremental resources; mutable ones always load current state.
    resources: names to load (default all, see ALL_RESOURCES).
    include_customer_pii: also load customers' name, email, phone, description, address, shipping.
    initial_start_date: lower bound of the very first incremental load (default: all history).
    loaded_at: when this run saw the objects (`_loaded_at`, default now, UTC); tests replay history.
    """
    start = to_epoch(start_date)
    end = to_epoch(end_date)
    initial = to_epoch(initial_start_date)
    if start is not None and end is not None and start >= end:
        raise ValueError(f"start_date {start_date!r} must be before end_date {end_date!r}")
    names = list(resources) if resources else list(ALL_RESOURCES)
    unknown = sorted(set(names) - set(ALL_RESOURCES))
    if unknown:
        raise ValueError(f"unknown Stripe resources {unknown}; expected some of {list(ALL_RESOURCES)}")
    loaded_at = loaded_at or datetime.now(UTC)
    retry = retry or RetryPolicy()

    for name in names:
        if name in INCREMENTAL_RESOURCES:
            yield dlt.resource(
                _incremental(
                    client,
                    name,
                    INCREMENTAL_RESOURCES[name],
                    start,
                    end,
                    initial,
                    loaded_at,
                    retry,
                    page_size,
                    batch_rows,
                ),
                name=name,
                write_disposition="append",
            )
        elif name == "subscriptions":
            # appended: each run adds the states it saw (history that later loads never rewrite)
            yield dlt.resource(
                _subscriptions(client, loaded_at, retry, page_size, batch_rows),
                name=name,
                write_disposition="append",
            )
        else:
            columns = _customer_columns(include_customer_pii) if name == "customers" else MUTABLE_RESOURCES[name]
            yield dlt.resource(
                _snapshot(
                    client,
                    name,
                    columns,
                    loaded_at,
                    retry,
                    page_size,
                    batch_rows,
                    expand_invoice_lines=expand_invoice_lines,
                    price_references=(lambda: _price_references(client, retry, page_size)) if name == "prices" else None,
                ),
                name=name,
                write_disposition="replace",
            )


def _list_fn(client: Any, name: str):
    return getattr(client.v1, name).list


def _incremental(
    client: Any,
    name: str,
    columns: list[Column],
    start: int | None,
    end: int | None,
    initial: int | None,
    loaded_at: datetime,
    retry: RetryPolicy,
    page_size: int,
    batch_rows: int,
):
    def gen() -> Iterator[Any]:
        state = dlt.current.resource_state()
        backfill = start is not None or end is not None
        lower = start if backfill else state.get("last_created", initial)
        created: dict[str, int] = {}
        if lower is not None:
            created["gte"] = int(lower)
        if end is not None:
            created["lt"] = int(end)
        params: dict[str, Any] = dict(_LIST_PARAMS.get(name) or {})
        if created:
            params["created"] = created
        # ids already loaded at the state's boundary second (only skipped on incremental runs)
        skip = set(state.get("boundary_ids", [])) if not backfill else set()
        newest = {"created": state.get("last_created"), "ids": set(state.get("boundary_ids", []))}

        def objects() -> Iterator[dict]:
            for obj in iter_stripe_list(_list_fn(client, name), name, params, retry, page_size):
                c = obj.get("created")
                if c == lower and obj["id"] in skip:
                    continue
                if newest["created"] is None or c > newest["created"]:
                    newest["created"], newest["ids"] = c, {obj["id"]}
                elif c == newest["created"]:
                    newest["ids"].add(obj["id"])
                yield obj

        yield from batched_tables(objects(), columns, {"_loaded_at": loaded_at}, batch_rows)
        if end is None and newest["created"] is not None:
            state["last_created"] = int(newest["created"])
            state["boundary_ids"] = sorted(newest["ids"])

    gen.__name__ = name
    return gen


def _snapshot(
    client: Any,
    name: str,
    columns: list[Column],
    loaded_at: datetime,
    retry: RetryPolicy,
    page_size: int,
    batch_rows: int,
    expand_invoice_lines: bool = True,
    price_references: Callable[[], Iterable[str | None]] | None = None,
):
    def gen() -> Iterator[Any]:
        if name == "prices":
            objects = _with_option_tiers(client, _all_prices(client, retry, page_size, price_references), retry)
        else:
            objects = iter_stripe_list(_list_fn(client, name), name, _LIST_PARAMS.get(name), retry, page_size)
        if name == "invoices" and expand_invoice_lines:
            objects = _with_all_invoice_lines(client, objects, retry, page_size)
        yield from batched_tables(objects, columns, {"_loaded_at": loaded_at}, batch_rows)

    gen.__name__ = name
    return gen


def _with_all_invoice_lines(client: Any, invoices: Iterator[dict], retry: RetryPolicy, page_size: int):
    """Invoices list only embeds the first lines; fetch the rest when `lines.has_more`."""
    for invoice in invoices:
        lines = invoice.get("lines") or {}
        if lines.get("has_more"):
            invoice_id = invoice["id"]
            all_lines = list(
                iter_stripe_list(
                    lambda params, invoice_id=invoice_id: client.v1.invoices.line_items.list(invoice_id, params=params),
                    f"invoices/{invoice_id}/lines",
                    None,
                    retry,
                    page_size,
                )
            )
            invoice = dict(invoice, lines=dict(lines, data=all_lines, has_more=False))
        yield invoice


def _all_prices(
    client: Any, retry: RetryPolicy, page_size: int, references: Callable[[], Iterable[str | None]] | None = None
) -> Iterator[dict]:
    """Every price a subscription or invoice can bill. Stripe lists only active prices unless `active=false` is
    passed, and never lists inline ones (`price_data`): archived (grandfathered) prices are listed as well, and a
    price that `references()` names but neither listing returned is retrieved, with the same expands, so a
    subscription item keeps its tiers and currency options and an invoice line its amount and interval."""
    seen: set[str] = set()
    for active in (True, False):
        params = dict(_LIST_PARAMS["prices"], active=active)
        for price in iter_stripe_list(_list_fn(client, "prices"), "prices", params, retry, page_size):
            if price["id"] not in seen:  # archived between the two listings: listed twice
                seen.add(price["id"])
                yield price
    if references is None:
        return
    expand = [e.removeprefix("data.") for e in _LIST_PARAMS["prices"]["expand"]]
    for price_id in sorted({r for r in references() if r} - seen):
        try:
            yield retrieve(client.v1.prices.retrieve, "prices", price_id, {"expand": expand}, retry)
        except StripeLoadError as exc:
            if getattr(exc.__cause__, "http_status", None) != 404:
                raise
            # Stripe does not delete prices; should one be gone, one price must not stop the load (the SQL
            # values a subscription item on the price it embeds)
            log.warning("Stripe price %s is referenced but cannot be retrieved (404); not loaded", price_id)


def _price_references(client: Any, retry: RetryPolicy, page_size: int) -> Iterator[str | None]:
    """The price ids that subscription items and invoice lines bill (a line's `pricing.price_details.price`, or its
    `price` in older API versions)."""
    subscriptions = iter_stripe_list(_list_fn(client, "subscriptions"), "subscriptions", {"status": "all"}, retry,
                                     page_size)
    for sub in subscriptions:
        for item in subscription_items(sub):
            yield object_id(item.get("price"))
    invoices = iter_stripe_list(_list_fn(client, "invoices"), "invoices", None, retry, page_size)
    for invoice in _with_all_invoice_lines(client, invoices, retry, page_size):
        for line in get_path(invoice, "lines.data") or []:
            yield object_id(get_path(line, "pricing.price_details.price") or line.get("price"))


def _with_option_tiers(client: Any, prices: Iterator[dict], retry: RetryPolicy):
    """A tiered price's currency options come listed without their tiers (`currency_options.<currency>.tiers` is
    expanded one currency at a time, which a listing of many prices cannot name): such a price is retrieved again
    with them, so a subscription in another currency is valued on its own tiers, not the default currency's."""
    for price in prices:
        options = price.get("currency_options") or {}
        missing = sorted(c for c, option in options.items() if isinstance(option, dict) and option.get("tiers") is None)
        if price.get("billing_scheme") == "tiered" and missing:
            expand = ["currency_options", *(f"currency_options.{currency}.tiers" for currency in missing)]
            found = retrieve(client.v1.prices.retrieve, "prices", price["id"], {"expand": expand}, retry)
            price = dict(price, currency_options={**options, **(found.get("currency_options") or {})})
        yield price


def _subscriptions(client: Any, loaded_at: datetime, retry: RetryPolicy, page_size: int, batch_rows: int):
    """All subscriptions (status=all, so cancelled ones too) and their items as a second table."""

    def gen() -> Iterator[Any]:
        extra = {"_loaded_at": loaded_at}
        subs: list[dict] = []
        items: list[dict] = []

        def flush() -> Iterator[Any]:
            if subs:
                yield to_arrow(subs, SUBSCRIPTION_COLUMNS)
                subs.clear()
            if items:
                yield dlt.mark.with_table_name(to_arrow(items, SUBSCRIPTION_ITEM_COLUMNS), "subscription_items")
                items.clear()

        for sub in iter_stripe_list(
            _list_fn(client, "subscriptions"), "subscriptions", _LIST_PARAMS["subscriptions"], retry, page_size
        ):
            subs.append(flatten(sub, SUBSCRIPTION_COLUMNS, extra))
            items.extend(flatten(item, SUBSCRIPTION_ITEM_COLUMNS, extra) for item in subscription_items(sub))
            if len(subs) >= batch_rows:
                yield from flush()
        yield from flush()

    gen.__name__ = "subscriptions"
    return gen
