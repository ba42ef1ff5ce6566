"""The summary a load task ends with, in its log and as its return value (XCom).

Per billing period (AWS month, GCP invoice month, Stripe date range) what the run did with it:

* `loaded`: rows written, the provider's delivery id (AWS manifest execution id) and dlt's load id;
* `unchanged`: checked, and left as it was because the provider did not re-deliver it;
* `skipped`: not this run's to load, with the reason (e.g. another run of the backfill owns it).

While a long load runs, `progress()` logs which period it is on, out of how many, with its files.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

LOADED, UNCHANGED, SKIPPED = "loaded", "unchanged", "skipped"


class LoadReport:
    def __init__(self, dataset: str, intent=None, unit: str = "billing period"):
        self.dataset = dataset
        self.unit = unit
        self.intent = intent
        self.periods: dict[str, dict[str, Any]] = {}
        self.tables: dict[str, int] = {}
        for period, reason in (getattr(intent, "skipped", None) or {}).items():
            self.skipped(period, reason)

    # ---------------------------------------------------------------------------- what happened
    def progress(self, period: str, index: int, total: int, files: int | None = None,
                 delivery: str | None = None) -> None:
        detail = ", ".join(part for part in (f"delivery {delivery}" if delivery else "",
                                             f"{files} files" if files is not None else "") if part)
        log.info("%s: %s %s (%d of %d): checking%s", self.dataset, self.unit, period, index, total,
                 f" ({detail})" if detail else "")

    def loaded(self, period: str, rows: int, load_id: str | None = None, delivery: str | None = None,
               files: int | None = None, tables: dict[str, int] | None = None) -> None:
        entry = {"status": LOADED, "rows": int(rows), "load_id": load_id}
        if delivery is not None:
            entry["delivery"] = delivery
        if files is not None:
            entry["files"] = files
        self.periods[period] = entry
        for table, count in (tables or {}).items():
            self.tables[table] = self.tables.get(table, 0) + int(count)
        log.info("%s: %s %s loaded: %d rows%s%s", self.dataset, self.unit, period, rows,
                 f", delivery {delivery}" if delivery else "", f", load {load_id}" if load_id else "")

    def unchanged(self, period: str, reason: str, delivery: str | None = None) -> None:
        entry = {"status": UNCHANGED, "rows": 0, "reason": reason}
        if delivery is not None:
            entry["delivery"] = delivery
        self.periods[period] = entry
        log.info("%s: %s %s unchanged: %s", self.dataset, self.unit, period, reason)

    def skipped(self, period: str, reason: str) -> None:
        self.periods[period] = {"status": SKIPPED, "rows": 0, "reason": reason}
        log.info("%s: %s %s skipped: %s", self.dataset, self.unit, period, reason)

    # ---------------------------------------------------------------------------------- the end
    def summary(self) -> dict[str, Any]:
        counts = {status: sum(1 for e in self.periods.values() if e["status"] == status)
                  for status in (LOADED, UNCHANGED, SKIPPED)}
        return {
            "dataset": self.dataset,
            "run": self.intent.as_dict() if self.intent is not None else None,
            "periods": {p: dict(e) for p, e in sorted(self.periods.items())},
            "checked": counts[LOADED] + counts[UNCHANGED],
            **counts,
            "rows_loaded": sum(e["rows"] for e in self.periods.values()),
            "tables": dict(self.tables),
        }

    def rows_by_period(self) -> dict[str, int]:
        """Rows loaded per period this run checked (0: unchanged); skipped periods are left out."""
        return {p: e["rows"] for p, e in self.periods.items() if e["status"] in (LOADED, UNCHANGED)}

    def finish(self) -> dict[str, Any]:
        """Log the summary (one line per period) and return it."""
        summary = self.summary()
        lines = [f"load summary for {self.dataset}: {summary['checked']} {self.unit}(s) checked, "
                 f"{summary['loaded']} loaded ({summary['rows_loaded']} rows), {summary['unchanged']} unchanged, "
                 f"{summary['skipped']} skipped"]
        if self.intent is not None:
            lines.append(f"  run: {self.intent.reason}")
        for period, entry in summary["periods"].items():
            if entry["status"] == LOADED:
                ids = ", ".join(f"{k} {entry[k]}" for k in ("delivery", "load_id") if entry.get(k))
                lines.append(f"  {period}: loaded {entry['rows']} rows{f' ({ids})' if ids else ''}")
            else:
                lines.append(f"  {period}: {entry['status']}: {entry['reason']}")
        if not summary["periods"]:
            lines.append(f"  no {self.unit} to load")
        log.info("\n".join(lines))
        return summary
