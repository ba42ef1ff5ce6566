"""Task entry point of the `stripe_revenue` DAG: load Stripe into the `stripe_revenue` dataset.

Configuration: the optional Airflow Variable `stripe_revenue_config` (JSON), defaults:

    {"stripe_conn_id": settings.STRIPE_CONN_ID,   # connection: password = API key, host = optional base URL
     "resources": null,                    # subset of the source's resources; null = all
     "include_customer_pii": false,        # customers' name/email/phone/address only when true
     "initial_start_date": null,           # lower bound of the first incremental load (ISO date)
     "max_network_retries": null,          # overrides the connection's extra (default 5)
     "retry_attempts": 4,                  # source-level resumes after the SDK gave up (429/5xx/network)
     "retry_backoff_seconds": 2.0}         # first backoff of those, doubled each time (max 60s)

Params (from the DAG run, in the LoadRequest of include/run_intent.py): start_date / end_date (backfill range on `created`; a date-only end_date
"YYYY-MM-DD" is the last day reloaded, i.e. inclusive, a datetime is an exclusive bound) and
full_refresh (drop the tables and incremental state of everything Stripe serves again, then reload
it; the subscription-state and event history is kept).
"""

from __future__ import annotations

import logging
from typing import Any

from include import settings
from include.load_summary import LoadReport
from include.run_intent import LoadRequest

log = logging.getLogger(__name__)

CONFIG_VARIABLE = settings.STRIPE_CONFIG_VARIABLE
DATASET = "stripe_revenue"
DEFAULT_CONFIG: dict[str, Any] = {
    "stripe_conn_id": settings.STRIPE_CONN_ID,
    "resources": None,
    "include_customer_pii": False,
    "initial_start_date": None,
    "max_network_retries": None,
    "retry_attempts": 4,
    "retry_backoff_seconds": 2.0,
}


def read_config() -> dict[str, Any]:
    """The `stripe_revenue_config` Variable (JSON) merged over DEFAULT_CONFIG."""
    return settings.variable_json(CONFIG_VARIABLE, DEFAULT_CONFIG)


def end_bound(end_date: Any) -> Any:
    """The exclusive upper bound for the source: the day after a date-only `end_date` (last day reloaded)."""
    from datetime import date, datetime, timedelta

    if isinstance(end_date, str) and len(end_date.strip()) == 10:
        return (date.fromisoformat(end_date.strip()) + timedelta(days=1)).isoformat()
    if isinstance(end_date, date) and not isinstance(end_date, datetime):
        return end_date + timedelta(days=1)
    return end_date


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def client_from_connection(conn_id: str, max_network_retries: int | None = None):
    """A StripeClient from the Airflow connection `conn_id`.

    password: the API key (a restricted key with read access to the loaded objects is enough);
    host: optional API base URL (a local stand-in or an egress proxy), e.g. "http://127.0.0.1:12111";
    extra: {"max_network_retries": 5} (SDK retries with exponential backoff on 409/5xx, and on 429 when
    Stripe says a retry is safe). The key is never logged.
    """
    from airflow.sdk.bases.hook import BaseHook

    from include.sources.stripe_revenue.client import DEFAULT_MAX_NETWORK_RETRIES, base_url_of, make_client

    conn = BaseHook.get_connection(conn_id)
    key = conn.password
    if not key:
        raise ValueError(f"Airflow connection {conn_id!r} has no password; put the Stripe API key there")
    extra = conn.extra_dejson or {}
    if max_network_retries is None:
        max_network_retries = int(extra.get("max_network_retries", DEFAULT_MAX_NETWORK_RETRIES))
    base_url = base_url_of(conn.host, conn.port, conn.schema, getattr(conn, "conn_type", None))
    return make_client(key, base_url=base_url, max_network_retries=max_network_retries)


def load(request: LoadRequest, config: dict | None = None, client: Any = None) -> LoadReport:
    """Run the `stripe_revenue` source for `request`; returns what was loaded (rows per table, load id).

    `request.params` may hold start_date, end_date (None/"" = incremental from the last run) and
    full_refresh. `config` overrides the Variable (tests); `client` overrides the client built from the
    connection. Raises StripeLoadError (object type and cursor in the message) when Stripe fails after
    retries; nothing of the failed run is loaded then, earlier data stays as it was.
    """
    from include.pipelines import configure_dlt

    report = LoadReport(DATASET, request.intent, unit=request.unit)
    configure_dlt()
    from include.pipelines import run_pipeline_with_load_id
    from include.sources.stripe_revenue import HISTORY_RESOURCES, stripe_revenue_source
    from include.sources.stripe_revenue.client import RetryPolicy, StripeLoadError

    params = dict(request.params)
    config = {**DEFAULT_CONFIG, **(config if config is not None else read_config())}
    if client is None:
        client = client_from_connection(
            config["stripe_conn_id"],
            max_network_retries=None
            if config.get("max_network_retries") is None
            else int(config["max_network_retries"]),
        )
    start_date = params.get("start_date") or None
    end_date = end_bound(params.get("end_date") or None)
    full_refresh = _truthy(params.get("full_refresh", False))
    if full_refresh and (start_date or end_date):
        # dropping everything and then loading a range would lose the rest: full_refresh wins
        log.warning("full_refresh reloads all Stripe objects; ignoring start_date=%s end_date=%s", start_date, end_date)
        start_date = end_date = None
    source = stripe_revenue_source(
        client,
        start_date=start_date,
        end_date=end_date,
        resources=config.get("resources"),
        include_customer_pii=_truthy(config.get("include_customer_pii", False)),
        initial_start_date=config.get("initial_start_date"),
        retry=RetryPolicy(
            attempts=int(config["retry_attempts"]), backoff_seconds=float(config["retry_backoff_seconds"])
        ),
    )
    if full_refresh:
        # Drop and reload what Stripe serves again; keep the history only earlier loads saw
        # (HISTORY_RESOURCES), which a full refresh adds to like any other run.
        selected = list(source.selected_resources)
        runs = [
            (source.with_resources(*[n for n in selected if n not in HISTORY_RESOURCES]), {"refresh": "drop_resources"}),
            (source.with_resources(*[n for n in selected if n in HISTORY_RESOURCES]), {}),
        ]
        runs = [(part, kwargs) for part, kwargs in runs if part.selected_resources]
    else:
        runs = [(source, {})]
    log.info(
        "Loading Stripe (start_date=%s, end_date=%s, full_refresh=%s, resources=%s)",
        start_date,
        end_date,
        full_refresh,
        config.get("resources") or "all",
    )
    span = "all objects" if full_refresh else (
        f"created {start_date or 'from the first object'} .. {params.get('end_date') or 'now'}"
        if start_date or end_date else "incremental on created")
    try:
        report.progress(span, 1, 1)
        counts: dict[str, int] = {}
        for part, run_kwargs in runs:
            part_counts, load_id = run_pipeline_with_load_id(DATASET, part, **run_kwargs)
            counts.update(part_counts)
        report.loaded(span, sum(counts.values()), load_id, tables=counts)
        return report
    except Exception as exc:  # dlt wraps extraction errors in PipelineStepFailed: surface ours
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, StripeLoadError):
            cause = cause.__cause__ or cause.__context__
        if isinstance(cause, StripeLoadError):
            raise cause from exc
        raise
