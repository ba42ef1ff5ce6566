"""The Airflow Variable `finops_alerts_config`: where alert links point and when an alert repeats.

    {"dashboard_url": "https://rill.example.com/finops",  # Rill's base URL (default: local `rill start`)
     "budget_margin_pct": 10}                              # a budget alerts again at the same status once
                                                           # its overrun grew by this % of the budget

Channels are not configured here: the Airflow connections `finops_alerts` (webhook) and
`finops_alerts_email` (SMTP) are (include/alerts/channels.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from include import settings

VARIABLE = settings.ALERTS_CONFIG_VARIABLE
DEFAULTS = {"dashboard_url": "http://localhost:9009", "budget_margin_pct": "10"}


class AlertConfigError(ValueError):
    """A bad `finops_alerts_config`; the message names the Variable and the setting."""


def alerts_config(overrides: Mapping | None = None) -> dict:
    """Validated: {"dashboard_url": str without a trailing slash, "budget_margin_pct": Decimal}."""
    raw: dict[str, Any] = settings.variable_json(VARIABLE, DEFAULTS) if overrides is None else {**DEFAULTS, **overrides}
    unknown = set(raw) - set(DEFAULTS)
    if unknown:
        raise AlertConfigError(f"Airflow Variable {VARIABLE!r}: unknown setting(s) {sorted(unknown)}; use {sorted(DEFAULTS)}")
    url = str(raw["dashboard_url"]).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AlertConfigError(f"Airflow Variable {VARIABLE!r} dashboard_url: {raw['dashboard_url']!r} is not an http(s) URL")
    try:
        margin = Decimal(str(raw["budget_margin_pct"]).strip())
    except InvalidOperation:
        margin = Decimal("NaN")
    if not margin.is_finite() or margin < 0:
        raise AlertConfigError(f"Airflow Variable {VARIABLE!r} budget_margin_pct: {raw['budget_margin_pct']!r} "
                               "must be a number >= 0")
    return {"dashboard_url": url, "budget_margin_pct": margin}
