"""The Stripe API client of the `stripe_revenue` source and its paging: every request pinned to one API
version, lists read page by page and resumed from the last cursor after a retryable error."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # heavy imports stay inside functions
    import stripe

log = logging.getLogger(__name__)

# The API version every request is pinned to (the stripe SDK 16.1 default, written out so that an SDK
# upgrade never silently changes object shapes). Objects of this version: a subscription's current
# period is on its items, an invoice's subscription is under parent.subscription_details.
PINNED_API_VERSION = "2026-10-28.endive"

DEFAULT_MAX_NETWORK_RETRIES = 5
PAGE_SIZE = 100  # the API maximum


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


def _with_retries(call: Callable[[], Any], object_type: str, cursor: str | None, params: dict, retry: RetryPolicy) -> Any:
    """`call()`, again after a backoff (honouring Retry-After up to the policy's cap) when it fails after the
    SDK's retries with a retryable error; StripeLoadError when it is not retryable or after `retry.attempts`."""
    import stripe

    stripe_error = stripe.StripeError  # bound now: the SDK resolves its names lazily
    failures = 0
    while True:
        try:
            return call()
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
                raise StripeLoadError(object_type, cursor, params, exc, note) from exc
            delay = min(retry.backoff_seconds * 2 ** (failures - 1), retry.max_backoff_seconds)
            if asked is not None:
                delay = max(delay, min(asked, retry.max_retry_after_seconds))
            log.warning(
                "Stripe %s: %s (HTTP %s); retrying%s in %.1fs (attempt %d/%d)%s",
                object_type,
                type(exc).__name__,
                getattr(exc, "http_status", None),
                f" from starting_after={cursor}" if cursor else "",
                delay,
                failures,
                retry.attempts,
                note,
            )
            retry.sleep(delay)


def retrieve(retrieve_fn: Callable[..., Any], object_type: str, object_id: str, params: dict,
             retry: RetryPolicy | None = None) -> dict:
    """One object (`retrieve_fn` is e.g. `client.v1.prices.retrieve`) as a plain dict, with the listing's retries."""
    found = _with_retries(lambda: retrieve_fn(object_id, params=params), f"{object_type}/{object_id}", None, params,
                          retry or RetryPolicy())
    return found.to_dict(recursive=True, for_json=True)


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
    retry = retry or RetryPolicy()
    base = {k: v for k, v in (params or {}).items() if v is not None}
    base["limit"] = page_size
    cursor: str | None = base.pop("starting_after", None)
    requested: set[str | None] = set()  # cursors of pages already fetched: one per page, not per object
    while True:
        request = dict(base, starting_after=cursor) if cursor else dict(base)
        page = _with_retries(lambda request=request: list_fn(params=request), object_type, cursor, base, retry)
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
