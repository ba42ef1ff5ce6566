"""A small Stripe-API-compatible HTTP server for tests and local demos.

It serves read-only list and retrieve endpoints from an in-memory store, with Stripe's real list
semantics: newest first by `created`, `limit` (1..100, default 10), `starting_after` /
`ending_before` cursors, `has_more`, `created[gte|gt|lte|lt]` filters, the subscriptions' `status`
filter (canceled ones are left out unless asked for), the prices' `active` filter (archived ones are left
out unless `active=false` is passed, which lists only them; inline prices, added with `inline=True`, are never
listed but can be retrieved), the events' `types[]` filter, the credit notes'
`invoice` and `customer` filters, expandable fields
(a subscription's and its items' `discounts` are ids; a price's `tiers`, `currency_options` and each option's
`tiers`, a coupon's `applies_to` and `currency_options` absent unless `expand[]` asks for them),
Bearer authentication and Stripe-shaped error bodies. Faults (429 rate limits, 5xx) can be injected for the next N requests.

    with StripeApiServer() as server:
        server.add("charges", [...])
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": server.url})

Command line (serves a JSON dump `{"charges": [...], ...}` until killed):

    python -m standins.stripe_api --port 12111 --data stripe.json
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import secrets
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# URL segment -> the `object` value of its items
OBJECT_TYPES: dict[str, str] = {
    "balance_transactions": "balance_transaction",
    "charges": "charge",
    "refunds": "refund",
    "disputes": "dispute",
    "invoices": "invoice",
    "subscriptions": "subscription",
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "events": "event",
    "coupons": "coupon",
    "credit_notes": "credit_note",
}

# List filters (besides limit, cursors, created and expand) each endpoint accepts, as equality
# filters on a top-level field (or a function for the special ones).
_EQUALITY_FILTERS: dict[str, dict[str, str]] = {
    "balance_transactions": {"type": "type", "currency": "currency", "source": "source", "payout": "payout"},
    "charges": {"customer": "customer", "payment_intent": "payment_intent"},
    "refunds": {"charge": "charge", "payment_intent": "payment_intent"},
    "disputes": {"charge": "charge", "payment_intent": "payment_intent"},
    "invoices": {"customer": "customer", "status": "status", "collection_method": "collection_method"},
    "subscriptions": {"customer": "customer", "collection_method": "collection_method"},
    "customers": {"email": "email"},
    "products": {"active": "active"},
    "prices": {"active": "active", "product": "product", "currency": "currency", "type": "type"},
    "events": {},
    "coupons": {},
    "credit_notes": {"customer": "customer", "invoice": "invoice"},
}
_SPECIAL_FILTERS: dict[str, set[str]] = {
    "subscriptions": {"status", "price"},
    "invoices": {"subscription"},
    "events": {"type", "types"},
}
_COMMON_PARAMS = {"limit", "starting_after", "ending_before", "created", "expand"}
_SUBSCRIPTION_STATUSES = {
    "active",
    "past_due",
    "unpaid",
    "canceled",
    "incomplete",
    "incomplete_expired",
    "trialing",
    "paused",
}


class StripeError(Exception):
    """An error the server answers with Stripe's `{"error": {...}}` body."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "type": type_}
        if code:
            self.body["code"] = code
        if param:
            self.body["param"] = param
        self.headers = headers or {}


def _mask_key(key: str) -> str:
    prefix = key.rsplit("_", 1)[0] + "_" if "_" in key else ""
    return f"{prefix}{'*' * 12}{key[-4:]}"


class _Fault:
    def __init__(
        self,
        count: int,
        status: int,
        path_prefix: str | None,
        retry_after: float | None,
        should_retry: bool | None,
        skip: int = 0,
    ):
        self.skip = skip
        self.remaining = count
        self.status = status
        self.path_prefix = path_prefix
        self.retry_after = retry_after
        self.should_retry = should_retry

    def error(self) -> StripeError:
        headers: dict[str, str] = {}
        if self.should_retry is not None:
            headers["Stripe-Should-Retry"] = "true" if self.should_retry else "false"
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        if self.status == 429:
            return StripeError(
                429,
                "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
                code="rate_limit",
                headers=headers,
            )
        if self.status >= 500:
            return StripeError(
                self.status,
                "An unknown error occurred while processing your request. Please try again.",
                type_="api_error",
                headers=headers,
            )
        return StripeError(self.status, "Injected fault.", headers=headers)


class StripeApiServer:
    """In-memory Stripe API stand-in on 127.0.0.1, in a background thread."""

    def __init__(
        self,
        data: dict[str, list[dict]] | None = None,
        port: int = 0,
        api_keys: list[str] | None = None,
        host: str = "127.0.0.1",
    ):
        """`api_keys`: the keys accepted; by default any secret (sk_) or restricted (rk_) key."""
        self.host = host
        self.port = port
        self.api_keys = set(api_keys) if api_keys else None
        self._lock = threading.RLock()
        self._store: dict[str, dict[str, dict]] = {name: {} for name in OBJECT_TYPES}
        self._seq: dict[str, int] = {}
        self._inline: set[str] = set()  # prices created with price_data: retrievable, never listed
        self._counter = itertools.count()
        self._faults: list[_Fault] = []
        self.requests: list[dict[str, Any]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        if data:
            for object_type, objects in data.items():
                self.add(object_type, objects)

    # ----------------------------------------------------------------------------- life cycle
    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    def start(self) -> StripeApiServer:
        if self._httpd is not None:
            return self
        handler = type("Handler", (_Handler,), {"server_state": self})
        self._httpd = ThreadingHTTPServer((self.host, self.port), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="stripe-api-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> StripeApiServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ----------------------------------------------------------------------------- store
    @staticmethod
    def _check_type(object_type: str) -> None:
        if object_type not in OBJECT_TYPES:
            raise KeyError(f"unknown Stripe object type {object_type!r}; expected one of {sorted(OBJECT_TYPES)}")

    def add(self, object_type: str, objects: list[dict], inline: bool = False) -> None:
        """Add objects (each with `id` and `created`); an existing id is replaced in place. `inline`: prices
        created inline (`price_data`), which Stripe's price list never returns."""
        self._check_type(object_type)
        if inline and object_type != "prices":
            raise ValueError(f"only prices can be inline, not {object_type}")
        with self._lock:
            for obj in objects:
                if "id" not in obj or "created" not in obj:
                    raise ValueError(f"{object_type} object needs 'id' and 'created': {obj!r:.200}")
                obj = copy.deepcopy(obj)
                obj.setdefault("object", OBJECT_TYPES[object_type])
                if obj["id"] not in self._store[object_type]:
                    self._seq[obj["id"]] = next(self._counter)
                if object_type == "prices":
                    (self._inline.add if inline else self._inline.discard)(obj["id"])
                self._store[object_type][obj["id"]] = obj

    def add_all(self, data: dict[str, list[dict]]) -> None:
        for object_type, objects in data.items():
            self.add(object_type, objects)

    def replace_object(
        self, object_type: str, obj: dict, event_type: str | None = None, event_created: int | None = None
    ) -> dict | None:
        """Replace the stored object with the same id (it must exist).

        With `event_type` (e.g. "customer.subscription.deleted") an event is also recorded whose
        `data.object` is the new version, as Stripe does when an object changes; it is returned.
        """
        self._check_type(object_type)
        with self._lock:
            if obj.get("id") not in self._store[object_type]:
                raise KeyError(f"no {object_type} with id {obj.get('id')!r}")
            previous = self._store[object_type][obj["id"]]
            self._store[object_type][obj["id"]] = copy.deepcopy(obj)
            if event_type is None:
                return None
            changed = {k: v for k, v in previous.items() if obj.get(k) != v}
            event = {
                "id": "evt_" + secrets.token_hex(12),
                "object": "event",
                "api_version": None,
                "created": int(event_created if event_created is not None else time.time()),
                "data": {"object": copy.deepcopy(obj), "previous_attributes": changed},
                "livemode": bool(obj.get("livemode", False)),
                "pending_webhooks": 0,
                "request": {"id": None, "idempotency_key": None},
                "type": event_type,
            }
            self.add("events", [event])
            return event

    def update_object(self, object_type: str, object_id: str, event_type: str | None = None, **changes: Any):
        """Shallow-update fields of a stored object (see replace_object for `event_type`)."""
        with self._lock:
            obj = copy.deepcopy(self.get(object_type, object_id))
            obj.update(changes)
            return self.replace_object(object_type, obj, event_type=event_type)

    def remove(self, object_type: str, object_id: str) -> None:
        self._check_type(object_type)
        with self._lock:
            del self._store[object_type][object_id]
            if object_type == "prices":
                self._inline.discard(object_id)

    def get(self, object_type: str, object_id: str) -> dict:
        self._check_type(object_type)
        with self._lock:
            return copy.deepcopy(self._store[object_type][object_id])

    def objects(self, object_type: str) -> list[dict]:
        """All stored objects of a type, newest first (as the list endpoint orders them)."""
        self._check_type(object_type)
        with self._lock:
            return [copy.deepcopy(o) for o in self._sorted(object_type)]

    def dump(self) -> dict[str, list[dict]]:
        with self._lock:
            return {name: self.objects(name) for name in OBJECT_TYPES if self._store[name]}

    def clear(self) -> None:
        with self._lock:
            for objects in self._store.values():
                objects.clear()
            self._inline.clear()

    # ----------------------------------------------------------------------------- faults / log
    def fail_next(
        self,
        count: int = 1,
        status: int = 429,
        path_prefix: str | None = None,
        retry_after: float | None = None,
        should_retry: bool | None = None,
        skip: int = 0,
    ) -> None:
        """Answer the next `count` requests (whose path starts with `path_prefix`) with an error.

        429 answers carry Stripe's rate-limit error body and, by default, `Stripe-Should-Retry:
        true` (the header Stripe sends when a retry is safe, which the stripe SDK obeys); 5xx answers
        carry an `api_error` body. `retry_after` adds a `Retry-After` header (seconds). `skip` lets that
        many matching requests through first (e.g. fail from the second page on).
        """
        if should_retry is None and status == 429:
            should_retry = True
        with self._lock:
            self._faults.append(_Fault(count, status, path_prefix, retry_after, should_retry, skip))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        """Logged requests whose path equals `path` (e.g. "/v1/charges")."""
        with self._lock:
            return [r for r in self.requests if r["path"] == path]

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and (fault.path_prefix is None or path.startswith(fault.path_prefix)):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.remaining -= 1
                    return fault
            self._faults = [f for f in self._faults if f.remaining > 0]
        return None

    # ----------------------------------------------------------------------------- request handling
    def _check_auth(self, authorization: str | None, method: str) -> str:
        if not authorization:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "
                "for details, or we can help at https://support.stripe.com/.",
            )
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() == "basic":
            import base64

            try:
                key = base64.b64decode(key).decode().split(":", 1)[0]
            except Exception:  # noqa: BLE001
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        key = key.strip()
        valid = key in self.api_keys if self.api_keys is not None else key.startswith(("sk_", "rk_"))
        if not valid:
            raise StripeError(401, f"Invalid API Key provided: {_mask_key(key) if key else '(empty)'}")
        if method != "GET" and key.startswith("rk_"):
            raise StripeError(
                403,
                f"The provided key '{_mask_key(key)}' does not have the required permissions for this endpoint. "
                "Having the 'rak_..._write' permission would allow this request to continue.",
                type_="invalid_request_error",
            )
        return key

    def _sorted(self, object_type: str) -> list[dict]:
        objects = self._store[object_type].values()
        return sorted(objects, key=lambda o: (o["created"], self._seq.get(o["id"], 0)), reverse=True)

    def handle(self, method: str, raw_path: str, headers: dict[str, str]) -> tuple[int, dict, dict[str, str]]:
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/")
        query = parse_qsl(parts.query, keep_blank_values=True)
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "params": dict(query),
            "status": None,
            "stripe_version": headers.get("stripe-version"),
            "time": time.time(),
        }
        with self._lock:
            self.requests.append(entry)
        try:
            fault = self._take_fault(path)
            if fault is not None:
                raise fault.error()
            self._check_auth(headers.get("authorization"), method)
            segments = [s for s in path.split("/") if s]
            if method == "GET" and len(segments) == 4 and segments[:2] == ["v1", "invoices"] and segments[3] == "lines":
                body = self._invoice_lines(segments[2], query)
                entry["status"] = 200
                return 200, body, {}
            if method != "GET" or len(segments) not in (2, 3) or segments[0] != "v1" or segments[1] not in OBJECT_TYPES:
                raise StripeError(
                    404,
                    f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
                    "or we can help at https://support.stripe.com/.",
                )
            object_type = segments[1]
            if len(segments) == 3:
                body = self._retrieve(object_type, segments[2], query)
            else:
                body = self._list(object_type, query)
            status = 200
            response_headers: dict[str, str] = {}
        except StripeError as exc:
            status, body, response_headers = exc.status, {"error": exc.body}, exc.headers
        entry["status"] = status
        return status, body, response_headers

    def _retrieve(self, object_type: str, object_id: str, query: list[tuple[str, str]]) -> dict:
        expand = set()
        for key, value in query:
            if key.split("[", 1)[0] != "expand":
                raise StripeError(400, f"Received unknown parameter: {key}", code="parameter_unknown", param=key)
            expand.add(value)
        with self._lock:
            obj = self._store[object_type].get(object_id)
            if obj is None:
                raise StripeError(
                    404, f"No such {OBJECT_TYPES[object_type]}: '{object_id}'", code="resource_missing", param="id"
                )
            return self._embed(object_type, obj, frozenset(expand))

    EMBEDDED_LIST_LIMIT = 10  # Stripe embeds the first 10 entries of an invoice's lines
    EXPANDABLE = {"prices": ("tiers", "currency_options"), "coupons": ("applies_to", "currency_options")}  # top-level

    def _embed(self, object_type: str, obj: dict, expand: frozenset[str] = frozenset()) -> dict:
        """The object as the API returns it: invoice lines cut to the first page; expandable fields
        (a subscription's and its items' discounts, EXPANDABLE, each price option's tiers:
        `currency_options.<currency>.tiers`) only when asked for with `expand`; a subscription item's price never
        has its currency_options (Stripe expands four levels at most)."""
        obj = copy.deepcopy(obj)

        def ids(discounts: Any) -> Any:
            return [d.get("id") if isinstance(d, dict) else d for d in discounts] if isinstance(discounts, list) else discounts

        if object_type == "subscriptions":
            if "discounts" not in expand and "discounts" in obj:
                obj["discounts"] = ids(obj["discounts"])
            for item in (obj.get("items") or {}).get("data") or []:
                if "items.data.discounts" not in expand and "discounts" in item:
                    item["discounts"] = ids(item["discounts"])
                if isinstance(item.get("price"), dict):
                    item["price"].pop("currency_options", None)
        for field in self.EXPANDABLE.get(object_type, ()):
            if field not in expand:
                obj.pop(field, None)
        if object_type == "prices":
            for currency, option in (obj.get("currency_options") or {}).items():  # each option's tiers likewise
                if isinstance(option, dict) and f"currency_options.{currency}.tiers" not in expand:
                    option.pop("tiers", None)
        lines = obj.get("lines") if object_type == "invoices" else None
        if isinstance(lines, dict) and len(lines.get("data") or []) > self.EMBEDDED_LIST_LIMIT:
            lines["data"] = lines["data"][: self.EMBEDDED_LIST_LIMIT]
            lines["has_more"] = True
        return obj

    def _invoice_lines(self, invoice_id: str, query: list[tuple[str, str]]) -> dict:
        params = dict(query)
        unknown = set(params) - {"limit", "starting_after", "ending_before", "expand"}
        if unknown:
            key = sorted(unknown)[0]
            raise StripeError(400, f"Received unknown parameter: {key}", code="parameter_unknown", param=key)
        with self._lock:
            invoice = self._store["invoices"].get(invoice_id)
            if invoice is None:
                raise StripeError(404, f"No such invoice: '{invoice_id}'", code="resource_missing", param="invoice")
            lines = copy.deepcopy((invoice.get("lines") or {}).get("data") or [])
        try:
            limit = int(params.get("limit", "10"))
        except ValueError:
            raise StripeError(400, "Invalid integer", code="parameter_invalid_integer", param="limit") from None
        if not 1 <= limit <= 100:
            raise StripeError(400, "limit must be between 1 and 100", code="parameter_invalid_integer", param="limit")
        ids = [line.get("id") for line in lines]
        start = 0
        if params.get("starting_after"):
            if params["starting_after"] not in ids:
                raise StripeError(
                    400,
                    f"No such line item: '{params['starting_after']}'",
                    code="resource_missing",
                    param="starting_after",
                )
            start = ids.index(params["starting_after"]) + 1
        page = lines[start : start + limit]
        return {
            "object": "list",
            "data": page,
            "has_more": start + limit < len(lines),
            "url": f"/v1/invoices/{invoice_id}/lines",
        }

    def _list(self, object_type: str, query: list[tuple[str, str]]) -> dict:
        params: dict[str, Any] = {}
        created: dict[str, int] = {}
        multi: dict[str, list[str]] = {}
        allowed = _COMMON_PARAMS | set(_EQUALITY_FILTERS[object_type]) | _SPECIAL_FILTERS.get(object_type, set())
        for key, value in query:
            base = key.split("[", 1)[0]
            if base not in allowed:
                raise StripeError(400, f"Received unknown parameter: {key}", code="parameter_unknown", param=key)
            if base == "created":
                op = key[len("created") :].strip("[]") or "eq"
                if op not in ("eq", "gt", "gte", "lt", "lte"):
                    raise StripeError(400, f"Received unknown parameter: {key}", code="parameter_unknown", param=key)
                try:
                    created[op] = int(value)
                except ValueError:
                    raise StripeError(
                        400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=key
                    ) from None
            elif key.endswith("[]") or "[" in key:
                multi.setdefault(base, []).append(value)
            else:
                params[key] = value

        limit_raw = params.pop("limit", "10")
        try:
            limit = int(limit_raw)
        except ValueError:
            raise StripeError(
                400, f"Invalid integer: {limit_raw}", code="parameter_invalid_integer", param="limit"
            ) from None
        if not 1 <= limit <= 100:
            raise StripeError(
                400,
                "This value must be greater than or equal to 1."
                if limit < 1
                else "This value must be less than or equal to 100.",
                code="parameter_invalid_integer",
                param="limit",
            )
        starting_after = params.pop("starting_after", None)
        ending_before = params.pop("ending_before", None)
        if starting_after and ending_before:
            raise StripeError(400, "You may only specify one of these parameters: ending_before, starting_after.")
        expand = frozenset(
            e.removeprefix("data.") for e in [*multi.pop("expand", []), *filter(None, [params.pop("expand", None)])]
        )

        with self._lock:
            ordered = self._sorted(object_type)
            cursor_key = None
            cursor_id = starting_after or ending_before
            if cursor_id:
                cursor_obj = self._store[object_type].get(cursor_id)
                if cursor_obj is None:
                    param = "starting_after" if starting_after else "ending_before"
                    raise StripeError(
                        400, f"No such {OBJECT_TYPES[object_type]}: '{cursor_id}'", code="resource_missing", param=param
                    )
                cursor_key = (cursor_obj["created"], self._seq.get(cursor_id, 0))
            if object_type == "prices":
                params.setdefault("active", "true")  # Stripe lists active prices unless asked for inactive ones
                ordered = [o for o in ordered if o["id"] not in self._inline]
            selected = [o for o in ordered if self._matches(object_type, o, params, multi, created)]

            def order(o: dict) -> tuple[int, int]:
                return (o["created"], self._seq.get(o["id"], 0))

            if starting_after:
                candidates = [o for o in selected if order(o) < cursor_key]
                page, has_more = candidates[:limit], len(candidates) > limit
            elif ending_before:
                candidates = [o for o in selected if order(o) > cursor_key]
                page, has_more = candidates[-limit:], len(candidates) > limit
            else:
                page, has_more = selected[:limit], len(selected) > limit
            data = [self._embed(object_type, o, expand) for o in page]
        return {"object": "list", "data": data, "has_more": has_more, "url": f"/v1/{object_type}"}

    @staticmethod
    def _matches(
        object_type: str, obj: dict, params: dict[str, str], multi: dict[str, list[str]], created: dict[str, int]
    ) -> bool:
        c = obj["created"]
        if "eq" in created and c != created["eq"]:
            return False
        if "gt" in created and not c > created["gt"]:
            return False
        if "gte" in created and not c >= created["gte"]:
            return False
        if "lt" in created and not c < created["lt"]:
            return False
        if "lte" in created and not c <= created["lte"]:
            return False
        for name, field in _EQUALITY_FILTERS[object_type].items():
            if name in params:
                value = obj.get(field)
                expected = params[name]
                if isinstance(value, bool):
                    value = "true" if value else "false"
                if str(value) != expected:
                    return False
        if object_type == "subscriptions":
            status = params.get("status")
            if status is None:
                if obj.get("status") == "canceled":
                    return False
            elif status == "ended":
                if obj.get("status") not in ("canceled", "incomplete_expired"):
                    return False
            elif status != "all":
                if status not in _SUBSCRIPTION_STATUSES:
                    raise StripeError(
                        400,
                        f"Invalid status: must be one of {', '.join(sorted(_SUBSCRIPTION_STATUSES))}, ended, or all",
                        param="status",
                    )
                if obj.get("status") != status:
                    return False
            if "price" in params:
                prices = [(item.get("price") or {}).get("id") for item in (obj.get("items") or {}).get("data", [])]
                if params["price"] not in prices:
                    return False
        if object_type == "invoices" and "subscription" in params:
            sub = obj.get("subscription") or (
                ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")
            )
            if sub != params["subscription"]:
                return False
        if object_type == "events":
            types = list(multi.get("types", []))
            if "type" in params:
                types.append(params["type"])
            if types and not any(_event_type_matches(t, obj.get("type", "")) for t in types):
                return False
        return True


def _event_type_matches(pattern: str, value: str) -> bool:
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return pattern == value


class _Handler(BaseHTTPRequestHandler):
    server_state: StripeApiServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, body, extra = self.server_state.handle(self.command, self.path, headers)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Request-Id", "req_" + secrets.token_hex(7))
        if headers.get("stripe-version"):
            self.send_header("Stripe-Version", headers["stripe-version"])
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a Stripe API stand-in from a JSON dump.")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data", help="JSON file {object_type: [objects]}")
    parser.add_argument(
        "--api-key", action="append", dest="api_keys", help="accepted key (repeatable); default: any sk_/rk_ key"
    )
    args = parser.parse_args(argv)
    data = {}
    if args.data:
        with open(args.data, encoding="utf-8") as fh:
            data = json.load(fh)
    server = StripeApiServer(data, port=args.port, api_keys=args.api_keys, host=args.host).start()
    counts = {k: len(v) for k, v in data.items()}
    print(f"Stripe API stand-in on {server.url} serving {counts}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
