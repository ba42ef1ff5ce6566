"""What a DAG run asks its load task to do: which billing periods it reloads, and why. Resolved once
per load task (`from_context`) into a LoadRequest, the one argument every loader takes.

* **scheduled** (and asset-triggered) runs: the loader's incremental rule (re-check the refresh
  window, load what the provider re-delivered); no period is forced.
* **manual** runs with explicit periods (`billing_periods`, `invoice_months`): exactly those, reloaded
  even when the provider did not re-deliver them (that is what "reload" in the param says).
* **backfill** runs: a backfill over a date range makes one run per day; each billing period in the
  range is reloaded once, by the period's *owner* (periods or full_refresh given in the backfill's
  conf, which every run of it gets, are reloaded by its first run only): the backfill's first run whose logical date falls
  in that period. The other runs of the period skip it and log which run owns it. A run is the owner
  when no earlier DAG run in the same period (by logical date) is a backfill run; scheduled or
  manual runs in between do not count.
  Airflow's task context does not say which backfill a run belongs to, so a backfill that starts
  right after an earlier backfill's last day, in the same month, leaves that month to the earlier
  one's run (logged with its run id); reload such a month with a manual run.

Light imports only: DAG files import this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

SCHEDULED, MANUAL, BACKFILL, ASSET_TRIGGERED = "scheduled", "manual", "backfill", "asset_triggered"


@dataclass(frozen=True)
class RunIntent:
    """`periods`: the periods this run reloads (None: the loader's incremental rule decides);
    `force_reload`: reload them even if the provider did not re-deliver them; `skipped`: periods
    this run leaves alone, with the reason; `reason`: one line for the task log and summary."""

    run_type: str
    periods: list[str] | None
    force_reload: bool
    reason: str
    skipped: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"run_type": self.run_type, "periods": self.periods, "force_reload": self.force_reload,
                "reason": self.reason, "skipped": dict(self.skipped)}


def run_type(context) -> str:
    """`scheduled`, `manual`, `backfill` or `asset_triggered`. (The task SDK's enum prints as
    `DagRunType.BACKFILL`, so compare its value, never its str().)"""
    kind = context["dag_run"].run_type
    return str(getattr(kind, "value", kind))


def run_date(context) -> date:
    """The date a run is about: its logical date, or when it was triggered for runs without one."""
    when = context.get("logical_date") or context["dag_run"].run_after
    return _as_date(when)


def _as_date(when) -> date:
    if isinstance(when, datetime):
        return when.date()
    if isinstance(when, date):
        return when
    return datetime.fromisoformat(str(when)).date()


def aws_period(day: date) -> str:
    """The billing period (YYYY-MM) of a day: AWS's and Azure's exports are delivered per calendar month."""
    return f"{day.year:04d}-{day.month:02d}"


def gcp_invoice_month(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}"


def gcp_build_periods(intent: RunIntent, full_refresh: bool) -> list[str] | str | None:
    """What `gcp_costs`' SQL build rebuilds after its load: everything after a full refresh; the invoice months
    the run reloaded, as the build's YYYY-MM months (a month that came back empty is emptied; no later "changed"
    build would see it, as no row is newer); else the months of the rows changed loads wrote."""
    if full_refresh:
        return None
    if intent.periods:
        return [f"{month[:4]}-{month[4:]}" for month in intent.periods]
    return "changed"


def previous_dag_runs(context) -> Iterator[Any]:
    """The DAG runs before this one by logical date (any state, any type), newest first, asked one
    at a time from the Airflow API server (the task SDK's own "previous DAG run" request)."""
    ti = context.get("ti")
    if ti is None or not hasattr(ti, "get_previous_dagrun"):
        return
    run = ti.get_previous_dagrun()
    while run is not None and run.logical_date is not None:
        yield run
        from airflow.sdk.execution_time.comms import GetPreviousDagRun
        from airflow.sdk.execution_time.task_runner import SUPERVISOR_COMMS

        run = SUPERVISOR_COMMS.send(GetPreviousDagRun(dag_id=ti.dag_id, logical_date=run.logical_date)).dag_run


def _is_backfill(run) -> bool:
    return str(getattr(run.run_type, "value", run.run_type)) == BACKFILL


def backfill_owner(context, period_of: Callable[[date], str],
                   previous: Callable[[Any], Iterable[Any]] = previous_dag_runs) -> tuple[str, str | None]:
    """(the period of this backfill run, None if this run owns it, else the run id of an earlier
    backfill run in the same period). Scheduled or manual runs in between are looked past."""
    period = period_of(run_date(context))
    for before in previous(context):
        if before.logical_date is None or period_of(_as_date(before.logical_date)) != period:
            break
        if _is_backfill(before):
            return period, before.run_id
    return period, None


def _explicit_in_backfill(context, kind: str, periods: list[str] | None, what: str, previous) -> RunIntent | None:
    """Explicit periods (or full_refresh) in a backfill's conf: every run of the backfill gets them,
    so only the backfill's first run (no backfill run just before it) reloads them; None otherwise."""
    if kind != BACKFILL:
        return None
    before = next(iter(previous(context)), None)
    if before is None or not _is_backfill(before):
        return None
    reason = (f"{what}: reloaded by the backfill's first run, not this one (it follows backfill run "
              f"{before.run_id}); a backfill reloads each period once")
    return RunIntent(BACKFILL, [], False, f"backfill: {reason}", {p: reason for p in periods or ["all periods"]})


def _backfill_intent(context, period_of, label: str, previous) -> RunIntent:
    period, owner = backfill_owner(context, period_of, previous)
    if owner is None:
        return RunIntent(BACKFILL, [period], True,
                         f"backfill: this run is the first of the backfill in {label} {period}, so it reloads it")
    reason = f"reloaded by the backfill's first run in this {label} ({owner}); a backfill reloads each period once"
    return RunIntent(BACKFILL, [], False, f"backfill: {label} {period} belongs to an earlier run of the backfill",
                     {period: reason})


def _period_intent(context, requested: list, full_refresh: bool, previous, *, period_of, label: str,
                   everything: str, reload_note: str, full_note: str, default_note: str) -> RunIntent:
    """The intent of a provider whose runs load periods (AWS and Azure billing periods, GCP invoice months):
    explicit periods or full_refresh (in a backfill, its first run only), a backfill run's own period,
    or the provider's default."""
    kind = run_type(context)
    if requested or full_refresh:
        later_run = _explicit_in_backfill(context, kind, requested, ", ".join(requested) or everything, previous)
        if later_run is not None:
            return later_run
    if requested:
        return RunIntent(kind, list(requested), True, f"{kind} run with {reload_note.format(', '.join(requested))}")
    if full_refresh:
        return RunIntent(kind, None, True, f"{kind} run with full_refresh: {full_note}")
    if kind == BACKFILL:
        return _backfill_intent(context, period_of, label, previous)
    return RunIntent(kind, None, False, f"{kind} run: {default_note}")


def aws_intent(context, params: dict, previous: Callable[[Any], Iterable[Any]] = previous_dag_runs) -> RunIntent:
    """`aws_costs`: billing periods (YYYY-MM) for this run."""
    return _period_intent(
        context, params.get("billing_periods") or [], bool(params.get("full_refresh")), previous,
        period_of=aws_period, label="billing period", everything="every period",
        reload_note="billing_periods: reload {} even if AWS did not re-deliver",
        full_note="reload every delivered billing period",
        default_note="re-check the refresh window, load periods AWS re-delivered or never loaded",
    )


def azure_intent(context, params: dict, previous: Callable[[Any], Iterable[Any]] = previous_dag_runs) -> RunIntent:
    """`azure_costs`: billing periods (YYYY-MM, the months of the FOCUS export) for this run."""
    return _period_intent(
        context, params.get("billing_periods") or [], bool(params.get("full_refresh")), previous,
        period_of=aws_period, label="billing period", everything="every period",
        reload_note="billing_periods: reload {} even if Azure wrote no newer export run",
        full_note="reload every exported billing period",
        default_note="re-check the refresh window, load periods Azure re-exported or never loaded",
    )


def gcp_intent(context, params: dict, previous: Callable[[Any], Iterable[Any]] = previous_dag_runs) -> RunIntent:
    """`gcp_costs`: invoice months (YYYYMM) for this run."""
    return _period_intent(
        context, params.get("invoice_months") or [], bool(params.get("full_refresh")), previous,
        period_of=gcp_invoice_month, label="invoice month", everything="the whole export",
        reload_note="invoice_months: reload {}", full_note="reload the whole export",
        default_note="incremental on export_time with the lookback window",
    )


def stripe_intent(context, params: dict) -> tuple[RunIntent, dict]:
    """`stripe_revenue`: the range (start_date/end_date, both included) this run reloads, and the
    load params. A backfill run reloads its own data interval: the intervals of a backfill's runs do
    not overlap, so each day of the range is reloaded once."""
    kind = run_type(context)
    params = dict(params)
    if params.get("full_refresh"):
        return RunIntent(kind, None, True, f"{kind} run with full_refresh: reload all Stripe objects"), params
    if kind == BACKFILL and not params.get("start_date") and not params.get("end_date"):
        start = context.get("data_interval_start") or context.get("logical_date")
        end = context.get("data_interval_end")
        if start is not None:
            first = _as_date(start)
            # the interval's end is exclusive: the day before it is the last day reloaded
            last = date.fromordinal(_as_date(end).toordinal() - 1) if end is not None else first
            params["start_date"], params["end_date"] = first.isoformat(), max(first, last).isoformat()
    if params.get("start_date") or params.get("end_date"):
        span = f"{params.get('start_date') or 'the first object'} .. {params.get('end_date') or 'now'}"
        return RunIntent(kind, [span], True, f"{kind} run: reload objects created {span} (both days included)"), params
    return RunIntent(kind, None, False, f"{kind} run: incremental on `created` since the last load"), params


# ------------------------------------------------------------------------------ the load request
DATASET_UNITS = {"aws_costs": "billing period", "azure_costs": "billing period", "gcp_costs": "invoice month",
                 "stripe_revenue": "range"}


@dataclass(frozen=True)
class LoadRequest:
    """What one load task is asked to do, resolved once from the Airflow context (`from_context`)
    and handed to the dataset's loader (include/loaders): the run's intent, the date it is about and
    its params (for Stripe, with a backfill run's data interval filled in as start_date/end_date)."""

    dataset: str
    intent: RunIntent
    run_date: date
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        """What the dataset's periods are called in logs and the load summary."""
        return DATASET_UNITS[self.dataset]

    @property
    def nothing_to_load(self) -> bool:
        """Every period of this run belongs to another run (a backfill reloads each period once)."""
        return self.intent.periods == []


def from_context(context, dataset: str, previous: Callable[[Any], Iterable[Any]] = previous_dag_runs) -> LoadRequest:
    """The LoadRequest of a DAG run of `dataset` (`aws_costs`, `azure_costs`, `gcp_costs`, `stripe_revenue`)."""
    params = dict(context.get("params") or {})
    if dataset == "aws_costs":
        intent = aws_intent(context, params, previous)
    elif dataset == "azure_costs":
        intent = azure_intent(context, params, previous)
    elif dataset == "gcp_costs":
        intent = gcp_intent(context, params, previous)
    elif dataset == "stripe_revenue":
        intent, params = stripe_intent(context, params)
    else:
        raise ValueError(f"no load request for dataset {dataset!r}; expected one of {sorted(DATASET_UNITS)}")
    return LoadRequest(dataset, intent, run_date(context), params)


def request_for(dataset: str, params: dict | None = None, *, run_date: date | None = None,
                run_type: str = MANUAL) -> LoadRequest:
    """The LoadRequest a run of `run_type` on `run_date` (default today) with `params` makes, outside
    Airflow (tests, benchmarks, scripts): as `from_context`, with no earlier DAG runs."""
    from types import SimpleNamespace

    day = run_date or date.today()
    context = {
        "dag_run": SimpleNamespace(run_type=run_type, run_after=day, run_id=f"{run_type}__{day}"),
        "logical_date": day,
        "data_interval_start": day,
        "data_interval_end": date.fromordinal(day.toordinal() + 1),
        "params": dict(params or {}),
    }
    return from_context(context, dataset, previous=lambda _context: iter(()))
