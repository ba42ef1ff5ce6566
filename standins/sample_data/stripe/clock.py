"""Unix-second helpers for the sample's dates (UTC)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

DAY = 86400


def month_start(month: str) -> datetime:
    year, mon = (int(x) for x in month.split("-"))
    return datetime(year, mon, 1, tzinfo=UTC)


def add_months(ts: int, months: int) -> int:
    """Same day-of-month and time `months` later (clamped to the month's last day), like Stripe's anchors."""
    dt = datetime.fromtimestamp(ts, UTC)
    total = dt.year * 12 + (dt.month - 1) + months
    year, mon = divmod(total, 12)
    day = min(dt.day, calendar.monthrange(year, mon + 1)[1])
    return int(dt.replace(year=year, month=mon + 1, day=day).timestamp())


def midnight(ts: int) -> int:
    return ts - ts % DAY
