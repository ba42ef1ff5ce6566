"""The period ledger of a raw table loaded one billing period at a time (AWS CUR and FOCUS exports, Azure FOCUS
exports): `<table>_period_loads`, one row per load of a period (billing_period, delivery_id, row_count), written
by the source in the same dlt load as the period's rows. It says which load holds a period even when the
delivery had no rows (include/loaders/period_loads.py, and macros.jinja's newest_period_load)."""

from __future__ import annotations

LEDGER_SUFFIX = "_period_loads"


def ledger_table(raw_table: str) -> str:
    """The period ledger of a raw table."""
    return f"{raw_table}{LEDGER_SUFFIX}"


def period_load_record(raw_table: str, period: str, delivery_id: str, rows: int):
    """The ledger row a source yields after it read a period's delivery (however many rows it had), in the same
    dlt load as those rows."""
    import dlt
    import pyarrow as pa

    record = pa.table({"billing_period": pa.array([period], pa.string()),
                       "delivery_id": pa.array([str(delivery_id)], pa.string()),
                       "row_count": pa.array([int(rows)], pa.int64())})
    return dlt.mark.with_table_name(record, ledger_table(raw_table))
