"""Invoice months (YYYYMM) and the export-time window an invoice-month reload reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from include.sources.gcp_billing.settings import DEFAULT_MONTH_TAIL_DAYS


def normalize_invoice_months(months: Sequence[str | int] | str | None) -> list[str]:
    """["202609", "2026-10", 202611] -> ["202609", "202610", "202611"] (sorted, unique, validated)."""
    if months is None or months == "":
        return []
    if isinstance(months, (str, int)):
        months = [m for m in str(months).replace(",", " ").split()]
    out = set()
    for month in months:
        digits = str(month).strip().replace("-", "")
        if len(digits) != 6 or not digits.isdigit() or not 1 <= int(digits[4:]) <= 12:
            raise ValueError(f"invoice month {month!r} is not YYYYMM")
        out.add(digits)
    return sorted(out)


def month_start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[4:]), 1, tzinfo=UTC)


def _next_month(start: datetime) -> datetime:
    return datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=UTC)


def month_window(months: Sequence[str], tail_days: int = DEFAULT_MONTH_TAIL_DAYS) -> tuple[datetime, datetime]:
    """Export-time window [from, to) read for an invoice-month reload of `months` (YYYYMM).

    From one day before the first month starts (invoice months follow US Pacific time) to
    `tail_days` days after the last month ends (late rows, credits and adjustments of a month).
    """
    months = normalize_invoice_months(months)
    start = month_start(months[0]) - timedelta(days=1)
    end = _next_month(month_start(months[-1])) + timedelta(days=tail_days)
    return start, end
