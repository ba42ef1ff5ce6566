"""Helpers for the `stripe_revenue` dlt source: the API client, paging with resumable retries, and the
flattening of Stripe objects into fixed-schema Arrow tables.

Rule shared by all raw tables of the platform: a column has the same type on the filesystem (parquet)
and ClickHouse destinations. So every table has an explicit Arrow schema; nested values (metadata,
fee_details, items, lines...) are JSON strings; timestamps are UTC `timestamp[us, tz=UTC]`; amounts are
int64 in the currency's minor unit, as Stripe gives them, next to `currency` (lowercase ISO code) and
`currency_exponent` (how many decimals the minor unit has, see CURRENCY_EXPONENTS).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # heavy imports stay inside functions
    import pyarrow as pa
    import stripe

log = logging.getLogger(__name__)

# The API version every request is pinned to (the stripe SDK 16.1 default, written out so that an SDK
# upgrade never silently changes object shapes). Objects of this version: a subscription's current
# period is on its items, an invoice's subscription is under parent.subscription_details.
PINNED_API_VERSION = "2026-10-28.endive"

DEFAULT_MAX_NETWORK_RETRIES = 5
PAGE_SIZE = 100  # the API maximum
BATCH_ROWS = 2000  # rows per Arrow table yielded to dlt

# Stripe's minor units (https://docs.stripe.com/currencies): zero-decimal and three-decimal
# currencies; every other currency has two decimals in the API. ISK, HUF and TWD are special cases
# that the API still represents with two decimals, so they keep the default 2.
ZERO_DECIMAL_CURRENCIES = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL_CURRENCIES = frozenset("bhd jod kwd omr tnd".split())


def currency_exponent(currency: str | None) -> int | None:
    """Decimals of Stripe's minor unit for `currency`: major amount = amount / 10**exponent."""
    if not currency:
        return None
    c = currency.lower()
    if c in ZERO_DECIMAL_CURRENCIES:
        return 0
    if c in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


CURRENCY_EXPONENTS_NOTE = {**{c: 0 for c in ZERO_DECIMAL_CURRENCIES}, **{c: 3 for c in THREE_DECIMAL_CURRENCIES}}


# --------------------------------------------------------------------------------------- client
def base_url_of(host: str | None, port: int | None, schema: str | None, conn_type: str | None) -> str | None:
    if not host:
        return None
    host = host.rstrip("/")
    if "://" not in host:
        scheme = schema if schema in ("http", "https") else ("http" if host in ("127.0.0.1", "localhost") else "https")
        host = f"{scheme}://{host}"
    if port and host.count(":") < 2:
        host = f"{host}:{port}"
    return host


def make_client(
    api_key: str, base_url: str | None = None, max_network_retries: int = DEFAULT_MAX_NETWORK_RETRIES
) -> stripe.StripeClient:
    import stripe

    return stripe.StripeClient(
        api_key,
        base_addresses={"api": base_url} if base_url else None,
        stripe_version=PINNED_API_VERSION,
        max_network_retries=max_network_retries,
    )


# --------------------------------------------------------------------------------------- paging
class StripeLoadError(RuntimeError):
    """A Stripe list failed after all retries; names the object type and the cursor reached."""

    def __init__(
        self, object_type: str, cursor: str | None, params: dict, cause: BaseException, note: str = ""
    ):
        self.object_type = object_type
        self.cursor = cursor
        self.params = params
        detail = getattr(cause, "user_message", None) or str(cause) or type(cause).__name__
        status = getattr(cause, "http_status", None)
        super().__init__(
            f"Stripe {object_type} load failed after retries at cursor starting_after={cursor!r} "
            f"(list params {params}; HTTP {status}; {type(cause).__name__}: {detail}){note}. "
            f"Nothing of this run was loaded; earlier loads are intact."
        )


class StripePagingError(StripeLoadError):
    """The API answered with pages that cannot be followed (a cursor that does not advance, or
    `has_more` with no objects): retrying would loop, so the listing stops."""

    def __init__(self, object_type: str, cursor: str | None, params: dict, problem: str):
        self.object_type = object_type
        self.cursor = cursor
        self.params = params
        RuntimeError.__init__(
            self,
            f"Stripe {object_type} list: {problem} (page after starting_after={cursor!r}, list params {params}). "
            "Nothing of this run was loaded; earlier loads are intact.",
        )


@dataclass
class RetryPolicy:
    """Retries on top of the SDK's own: resume the listing from the last cursor after a rate limit,
    connection error or 5xx that the SDK gave up on. A server's Retry-After is honoured up to
    `max_retry_after_seconds`: a longer wait (a day, say) would hold a worker slot hostage."""

    attempts: int = 4
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    max_retry_after_seconds: float = 60.0


def _retryable(exc: BaseException) -> bool:
    import stripe

    if isinstance(exc, (stripe.RateLimitError, stripe.APIConnectionError)):
        return True
    status = getattr(exc, "http_status", None)
    return isinstance(exc, stripe.StripeError) and status is not None and (status >= 500 or status in (409, 429))


def _retry_after(exc: BaseException) -> float | None:
    """The Retry-After header of an error response, in seconds (None when absent or not a number)."""
    value = (getattr(exc, "headers", None) or {}).get("retry-after")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 and seconds == seconds else None


def iter_stripe_list(
    list_fn: Callable[..., Any],
    object_type: str,
    params: dict | None = None,
    retry: RetryPolicy | None = None,
    page_size: int = PAGE_SIZE,
) -> Iterator[dict]:
    """All objects of a list endpoint as plain dicts, page by page (`starting_after` the last id).

    `list_fn` is e.g. `client.v1.charges.list`. When a page fails after the SDK's retries with a
    retryable error, the listing resumes from the last page's cursor after a backoff (honouring
    Retry-After up to the policy's cap); otherwise, or after `retry.attempts`, StripeLoadError is
    raised. Pages that cannot be followed raise StripePagingError: a page whose last id was already a
    cursor of this listing (the server repeats itself) and `has_more` with an empty page.
    """
    import stripe

    stripe_error = stripe.StripeError  # bound now: the SDK resolves its names lazily
    retry = retry or RetryPolicy()
    base = {k: v for k, v in (params or {}).items() if v is not None}
    base["limit"] = page_size
    cursor: str | None = base.pop("starting_after", None)
    requested: set[str | None] = set()  # cursors of pages already fetched: one per page, not per object
    failures = 0
    while True:
        request = dict(base, starting_after=cursor) if cursor else dict(base)
        try:
            page = list_fn(params=request)
        except stripe_error as exc:
            failures += 1
            asked = _retry_after(exc)
            capped = asked is not None and asked > retry.max_retry_after_seconds
            note = (
                f"; the server asked to wait {asked:g}s (Retry-After), more than the "
                f"{retry.max_retry_after_seconds:g}s this loader waits"
                if capped
                else ""
            )
            if not _retryable(exc) or failures > retry.attempts:
                raise StripeLoadError(object_type, cursor, base, exc, note) from exc
            delay = min(retry.backoff_seconds * 2 ** (failures - 1), retry.max_backoff_seconds)
            if asked is not None:
                delay = max(delay, min(asked, retry.max_retry_after_seconds))
            log.warning(
                "Stripe %s list: %s (HTTP %s); resuming after %s in %.1fs (attempt %d/%d)%s",
                object_type,
                type(exc).__name__,
                getattr(exc, "http_status", None),
                cursor,
                delay,
                failures,
                retry.attempts,
                note,
            )
            retry.sleep(delay)
            continue
        failures = 0
        requested.add(cursor)
        data = list(page.data or [])
        for obj in data:
            yield obj.to_dict(recursive=True, for_json=True)
        if not page.has_more:
            return
        if not data:
            raise StripePagingError(object_type, cursor, base, "the API says has_more but returned no objects")
        last = data[-1]["id"]
        if last in requested:
            raise StripePagingError(
                object_type, cursor, base,
                f"the cursor does not advance: the page ends at {last!r}, whose next page was already fetched",
            )
        cursor = last


# --------------------------------------------------------------------------------------- flattening
def to_epoch(value: Any) -> int | None:
    """Seconds since the epoch for an int, ISO date/datetime string, date or datetime (naive = UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError("not a timestamp: bool")
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        value = value.strip()
        if value.lstrip("-").isdigit():
            return int(value)
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    # pendulum / Airflow DateTime are datetime subclasses; anything else is an error
    raise TypeError(f"not a timestamp: {value!r}")


def _ts(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(int(value), UTC)


def _decimal_text(value: Any) -> str:
    """A JSON number as exact decimal text (50 -> "50", 12.5 -> "12.5"), never a float's binary expansion."""
    from decimal import Decimal

    return format(Decimal(str(value)).normalize(), "f")


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _id(value: Any) -> str | None:
    """An expandable field: its id whether Stripe gave the id or the expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def _get(obj: dict, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


# Column kinds -> Arrow type and value conversion
def _arrow_type(kind: str) -> pa.DataType:
    import pyarrow as pa

    return {
        "str": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "ts": pa.timestamp("us", tz="UTC"),
        "json": pa.string(),
    }[kind]


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "str": lambda v: None if v is None else (v if isinstance(v, str) else _id(v) if isinstance(v, dict) else str(v)),
    "int": lambda v: None if v is None else int(v),
    "float": lambda v: None if v is None else float(v),
    "bool": lambda v: None if v is None else bool(v),
    "ts": _ts,
    "json": _json,
}

# A column: (name, kind, how to get the value: a dotted path into the object or a function of it)
Column = tuple[str, str, "str | Callable[[dict], Any]"]


def table_schema(columns: list[Column]) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(name, _arrow_type(kind)) for name, kind, _ in columns])


def flatten(obj: dict, columns: list[Column], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, kind, source in columns:
        if extra and name in extra:
            value = extra[name]
        elif callable(source):
            value = source(obj)
        else:
            value = _get(obj, source)
        row[name] = _CONVERT[kind](value)
    return row


def to_arrow(rows: list[dict], columns: list[Column]) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=table_schema(columns))


def batched_tables(
    objects: Iterator[dict], columns: list[Column], extra: dict[str, Any] | None = None, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.Table]:
    """Flatten objects into fixed-schema Arrow tables of up to `batch_rows` rows."""
    rows: list[dict] = []
    for obj in objects:
        rows.append(flatten(obj, columns, extra))
        if len(rows) >= batch_rows:
            yield to_arrow(rows, columns)
            rows = []
    if rows:
        yield to_arrow(rows, columns)


def _exponent(obj: dict) -> int | None:
    return currency_exponent(obj.get("currency"))


def _sub_period(obj: dict, which: str) -> Any:
    """A subscription's current period: top-level on old API versions, on its items since 2025-03."""
    if obj.get(which) is not None:
        return obj[which]
    values = [item.get(which) for item in (_get(obj, "items.data") or []) if item.get(which) is not None]
    if not values:
        return None
    return min(values) if which.endswith("start") else max(values)


def _invoice_subscription(obj: dict) -> Any:
    return _id(obj.get("subscription")) or _get(obj, "parent.subscription_details.subscription")


LOADED_AT: Column = ("_loaded_at", "ts", lambda o: None)  # filled per run through `extra`

# --------------------------------------------------------------------------------------- table columns
BALANCE_TRANSACTION_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("type", "str", "type"),
    ("reporting_category", "str", "reporting_category"),
    ("amount", "int", "amount"),
    ("fee", "int", "fee"),
    ("net", "int", "net"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("exchange_rate", "float", "exchange_rate"),
    ("fee_details", "json", "fee_details"),
    ("source", "str", "source"),
    ("status", "str", "status"),
    ("description", "str", "description"),
    ("created", "ts", "created"),
    ("available_on", "ts", "available_on"),
    LOADED_AT,
]

CHARGE_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("customer", "str", "customer"),
    ("amount", "int", "amount"),
    ("amount_captured", "int", "amount_captured"),
    ("amount_refunded", "int", "amount_refunded"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("status", "str", "status"),
    ("paid", "bool", "paid"),
    ("captured", "bool", "captured"),
    ("refunded", "bool", "refunded"),
    ("disputed", "bool", "disputed"),
    ("balance_transaction", "str", "balance_transaction"),
    ("payment_intent", "str", "payment_intent"),
    ("invoice", "str", "invoice"),
    ("description", "str", "description"),
    ("failure_code", "str", "failure_code"),
    ("outcome_type", "str", "outcome.type"),
    ("payment_method_type", "str", "payment_method_details.type"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]

REFUND_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("charge", "str", "charge"),
    ("payment_intent", "str", "payment_intent"),
    ("amount", "int", "amount"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("balance_transaction", "str", "balance_transaction"),
    ("reason", "str", "reason"),
    ("status", "str", "status"),
    ("metadata", "json", "metadata"),
    ("created", "ts", "created"),
    LOADED_AT,
]

DISPUTE_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("charge", "str", "charge"),
    ("payment_intent", "str", "payment_intent"),
    ("amount", "int", "amount"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("reason", "str", "reason"),
    ("status", "str", "status"),
    ("is_charge_refundable", "bool", "is_charge_refundable"),
    ("balance_transactions", "json", lambda o: [_id(t) for t in o.get("balance_transactions") or []]),
    ("evidence_due_by", "ts", "evidence_details.due_by"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]

INVOICE_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("customer", "str", "customer"),
    ("subscription", "str", _invoice_subscription),
    ("number", "str", "number"),
    ("status", "str", "status"),
    ("billing_reason", "str", "billing_reason"),
    ("collection_method", "str", "collection_method"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("amount_due", "int", "amount_due"),
    ("amount_paid", "int", "amount_paid"),
    ("amount_remaining", "int", "amount_remaining"),
    ("subtotal", "int", "subtotal"),
    ("total", "int", "total"),
    ("total_excluding_tax", "int", "total_excluding_tax"),
    ("period_start", "ts", "period_start"),
    ("period_end", "ts", "period_end"),
    ("finalized_at", "ts", "status_transitions.finalized_at"),
    ("paid_at", "ts", "status_transitions.paid_at"),
    ("voided_at", "ts", "status_transitions.voided_at"),
    ("marked_uncollectible_at", "ts", "status_transitions.marked_uncollectible_at"),
    ("lines", "json", "lines.data"),
    ("lines_has_more", "bool", "lines.has_more"),
    ("discounts", "json", "discounts"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]

SUBSCRIPTION_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("customer", "str", "customer"),
    ("status", "str", "status"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("collection_method", "str", "collection_method"),
    ("current_period_start", "ts", lambda o: _sub_period(o, "current_period_start")),
    ("current_period_end", "ts", lambda o: _sub_period(o, "current_period_end")),
    ("start_date", "ts", "start_date"),
    ("billing_cycle_anchor", "ts", "billing_cycle_anchor"),
    ("trial_start", "ts", "trial_start"),
    ("trial_end", "ts", "trial_end"),
    ("cancel_at", "ts", "cancel_at"),
    ("cancel_at_period_end", "bool", "cancel_at_period_end"),
    ("canceled_at", "ts", "canceled_at"),
    ("ended_at", "ts", "ended_at"),
    ("cancellation_reason", "str", "cancellation_details.reason"),
    ("cancellation_feedback", "str", "cancellation_details.feedback"),
    ("latest_invoice", "str", "latest_invoice"),
    ("items", "json", "items.data"),
    ("discounts", "json", "discounts"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]

# One row per subscription item: price, quantity and interval in plain columns for MRR SQL.
SUBSCRIPTION_ITEM_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("subscription", "str", "subscription"),
    ("customer", "str", "_customer"),
    ("subscription_status", "str", "_status"),
    ("price", "str", "price.id"),
    ("product", "str", "price.product"),
    ("quantity", "int", "quantity"),
    ("unit_amount", "int", "price.unit_amount"),
    ("currency", "str", "price.currency"),
    ("currency_exponent", "int", lambda o: currency_exponent(_get(o, "price.currency"))),
    ("recurring_interval", "str", "price.recurring.interval"),
    ("recurring_interval_count", "int", "price.recurring.interval_count"),
    ("recurring_usage_type", "str", "price.recurring.usage_type"),
    ("current_period_start", "ts", "current_period_start"),
    ("current_period_end", "ts", "current_period_end"),
    ("metadata", "json", "metadata"),
    ("created", "ts", "created"),
    LOADED_AT,
]

CUSTOMER_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("delinquent", "bool", "delinquent"),
    ("balance", "int", "balance"),
    ("tax_exempt", "str", "tax_exempt"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]
# Personal data, only with `include_customer_pii=True`.
CUSTOMER_PII_COLUMNS: list[Column] = [
    ("name", "str", "name"),
    ("email", "str", "email"),
    ("phone", "str", "phone"),
    ("description", "str", "description"),
    ("address", "json", "address"),
    ("shipping", "json", "shipping"),
]

PRODUCT_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("name", "str", "name"),
    ("active", "bool", "active"),
    ("type", "str", "type"),
    ("default_price", "str", "default_price"),
    ("unit_label", "str", "unit_label"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    ("updated", "ts", "updated"),
    LOADED_AT,
]

PRICE_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("product", "str", "product"),
    ("active", "bool", "active"),
    ("type", "str", "type"),
    ("billing_scheme", "str", "billing_scheme"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("unit_amount", "int", "unit_amount"),
    ("unit_amount_decimal", "str", "unit_amount_decimal"),
    ("recurring_interval", "str", "recurring.interval"),
    ("recurring_interval_count", "int", "recurring.interval_count"),
    ("recurring_usage_type", "str", "recurring.usage_type"),
    ("tiers_mode", "str", "tiers_mode"),
    ("lookup_key", "str", "lookup_key"),
    ("nickname", "str", "nickname"),
    ("tax_behavior", "str", "tax_behavior"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    # tiered prices (listed with expand[]=data.tiers) and package prices
    ("tiers", "json", "tiers"),
    ("transform_quantity_divide_by", "int", "transform_quantity.divide_by"),
    ("transform_quantity_round", "str", "transform_quantity.round"),
    LOADED_AT,
]

# Coupons (what a subscription's discounts point to): percent_off is kept as the API's decimal text.
COUPON_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("name", "str", "name"),
    ("percent_off", "str", lambda o: None if o.get("percent_off") is None else _decimal_text(o["percent_off"])),
    ("amount_off", "int", "amount_off"),
    ("currency", "str", "currency"),
    ("currency_exponent", "int", _exponent),
    ("duration", "str", "duration"),
    ("duration_in_months", "int", "duration_in_months"),
    ("applies_to", "json", "applies_to"),
    ("valid", "bool", "valid"),
    ("metadata", "json", "metadata"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]


def _event_subscription(event: dict) -> Any:
    obj = _get(event, "data.object") or {}
    if obj.get("object") == "subscription":
        return obj.get("id")
    if obj.get("object") == "invoice":
        return _invoice_subscription(obj)
    return _id(obj.get("subscription"))


# Events: one row per event, the object as it was right after the change and the attributes it had
# before (`previous_attributes`, on *.updated events), so the SQL can date every change.
EVENT_COLUMNS: list[Column] = [
    ("id", "str", "id"),
    ("type", "str", "type"),
    ("api_version", "str", "api_version"),
    ("object_type", "str", "data.object.object"),
    ("object_id", "str", "data.object.id"),
    ("subscription", "str", _event_subscription),
    ("customer", "str", lambda o: _id(_get(o, "data.object.customer"))),
    ("object", "json", "data.object"),
    ("previous_attributes", "json", "data.previous_attributes"),
    ("request_id", "str", "request.id"),
    ("livemode", "bool", "livemode"),
    ("created", "ts", "created"),
    LOADED_AT,
]

# The event types the MRR history needs (the list endpoint takes up to 20 in `types`).
EVENT_TYPES: tuple[str, ...] = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.pending_update_applied",
    "customer.subscription.pending_update_expired",
    "customer.subscription.trial_will_end",
    "invoice.created",
    "invoice.finalized",
    "invoice.updated",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
)


def subscription_items(subscription: dict) -> list[dict]:
    """The subscription's items, each annotated with its subscription's customer and status."""
    items = []
    for item in _get(subscription, "items.data") or []:
        item = dict(item)
        item.setdefault("subscription", subscription.get("id"))
        item["_customer"] = _id(subscription.get("customer"))
        item["_status"] = subscription.get("status")
        items.append(item)
    return items
