"""The resource state: which load mode a run takes, and the export batches it remembers.

State keys: `cursor` (newest export batch loaded), `batches` ({batch key: row count} of the batches
within `lookback_days` of the cursor), `source_table` and `export_type` (a change reloads everything).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from include.sources.gcp_billing.raw_table import batch_key

log = logging.getLogger(__name__)


def choose_mode(state: dict, table: str, export_type: str, months: Sequence[str], full_refresh: bool) -> str:
    """`full` (first run, full_refresh, another table or export type), `months` or `incremental`."""
    cursor = state.get("cursor")
    if full_refresh or cursor is None or state.get("source_table") != table or state.get("export_type") != export_type:
        if not full_refresh and cursor is not None:
            log.warning("billing table changed from %s (%s) to %s (%s): reloading everything from the new table",
                        state.get("source_table"), state.get("export_type"), table, export_type)
        if months and not full_refresh and cursor is None:
            return "months"  # nothing loaded yet: a month reload just appends those months
        return "full"
    return "months" if months else "incremental"


def remember_batches(state: dict, mode: str, seen: dict[str, int], table: str, export_type: str,
                     lookback_days: float) -> None:
    """After a full or incremental read: move the cursor to the newest batch and keep the row counts
    of the batches in the lookback window. A month reload leaves the state alone."""
    if mode not in ("full", "incremental"):
        return
    cursor = state.get("cursor")
    batches = dict(state.get("batches") or {}) if mode == "incremental" else {}
    batches.update(seen)
    candidates = [k for k in seen if k] + ([cursor] if mode == "incremental" and cursor else [])
    last = max(candidates, default=None)
    if last is not None:
        keep_from = batch_key(datetime.fromisoformat(last) - timedelta(days=lookback_days))
        state["batches"] = {k: v for k, v in sorted(batches.items()) if k >= keep_from}
        state["cursor"] = last
    else:
        state.pop("cursor", None)
        state["batches"] = {}
    state["source_table"] = table
    state["export_type"] = export_type
