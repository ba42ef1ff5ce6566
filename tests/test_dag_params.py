"""How DAG runs turn into load parameters: run types, backfill ranges and invoice months."""

from enum import Enum
from types import SimpleNamespace

import pendulum

from include.dag_config import backfill_invoice_months, backfill_params, run_date, run_type


class SdkRunType(str, Enum):  # noqa: UP042 - like the task SDK's generated enum: str() is "SdkRunType.BACKFILL"
    BACKFILL = "backfill"
    SCHEDULED = "scheduled"


def context(kind, start="2026-09-16", end="2026-09-17"):
    return {
        "dag_run": SimpleNamespace(run_type=kind, run_after=pendulum.parse(end)),
        "logical_date": pendulum.parse(start),
        "data_interval_start": pendulum.parse(start),
        "data_interval_end": pendulum.parse(end),
    }


def test_run_type_compares_the_enum_value():
    assert str(SdkRunType.BACKFILL) != "backfill"
    assert run_type(context(SdkRunType.BACKFILL)) == "backfill"
    assert run_type(context("manual")) == "manual"


def test_backfill_runs_reload_their_data_interval():
    assert backfill_params(context(SdkRunType.BACKFILL), {"full_refresh": False}) == {
        "full_refresh": False, "start_date": "2026-09-16", "end_date": "2026-09-16"
    }
    monthly = context(SdkRunType.BACKFILL, "2026-08-01", "2026-09-01")
    assert backfill_params(monthly, {})["end_date"] == "2026-08-31"
    # Explicit params win; other run types are left alone.
    assert backfill_params(context(SdkRunType.BACKFILL), {"start_date": "2026-01-01"}) == {"start_date": "2026-01-01"}
    assert backfill_params(context(SdkRunType.SCHEDULED), {}) == {}


def test_backfill_runs_reload_their_invoice_month():
    assert backfill_invoice_months(context(SdkRunType.BACKFILL), {}) == {"invoice_months": ["202609"]}
    assert backfill_invoice_months(context(SdkRunType.BACKFILL), {"invoice_months": ["202601"]}) == {
        "invoice_months": ["202601"]
    }
    assert backfill_invoice_months(context("manual"), {}) == {}
    assert str(run_date(context("manual"))) == "2026-09-16"
