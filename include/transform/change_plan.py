"""What a build needs to redo: fingerprints of a target's SQL and of a view's inputs, and the marts' plan
(which tables to rebuild, for which months, and which dashboard tables to re-export) from the provider
builds logged since the last marts build (include/transform/build_state.py keeps the log).

Conservative by construction: whatever is not known to be unchanged is rebuilt. A different SQL
fingerprint (a model's SQL or YAML, the configuration, the table engine) rebuilds everything the
target builds; a provider build that may have changed anything (full, Stripe's unpartitioned tables
after a new load, a new SQL version) rebuilds every marts table reading that provider.
"""

from __future__ import annotations

import json
from pathlib import Path

from include import settings
from include.transform import build_state
from include.transform.models import PROVIDERS, Model
from include.transform.templates import MissingSourceError, render, template_environment

SKIP = "skip"  # a marts table none of whose inputs changed: not rebuilt
# A month's cost_forecast row says whether a later month has data ("the month is over"): for a table whose
# months depend on later months (config depends_on_later_months), besides the changed months the table's newest
# month and the newest months of what it reads are rebuilt, so the month before a new (or an emptied) newest month
# is recomputed too. Other tables rebuild the changed months only (a restated month: one month, not three).
NEWEST_MONTHS_OF_INPUTS = 2


def upstream_names(model: Model, models: dict[str, Model]) -> set[str]:
    """Every model `model` reads, directly or through other models."""
    seen: set[str] = set()
    pending = list(model.refs)
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(models[name].refs)
    return seen


def providers_of(model: Model, models: dict[str, Model]) -> set[str]:
    """The providers whose models `model` is, or reads."""
    names = upstream_names(model, models) | {model.name}
    return {models[name].group for name in names if models[name].group in PROVIDERS}


def _config_text(config: dict) -> str:
    return json.dumps(config, sort_keys=True, default=repr)


def view_inputs(model: Model, models: dict[str, Model], raw_columns: dict, config: dict, statement: str) -> list[str]:
    """What a view's columns depend on besides its own statement: the SQL and YAML of every model
    upstream of it, the configuration (tag columns of the `_tagged` views) and the columns of the raw
    views it reads (ClickHouse fixes a view's columns when it is created)."""
    parts = [_config_text(config)]
    for name in sorted(upstream_names(model, models)):
        path = models[name].path
        parts += [name, path.read_text(), path.with_suffix(".yml").read_text()]
    for view, columns in sorted(raw_columns.items()):
        if f"{settings.RAW_DATABASE}.{view}" in statement:
            parts.append(f"{view}: {json.dumps(columns, sort_keys=True, default=str)}")
    return parts


def target_fingerprint(chosen: list[Model], models: dict[str, Model], context: dict) -> str:
    """A fingerprint of everything a target builds: each model's SQL as rendered for a full rebuild
    (so the configuration it reads), its structure and the table engine."""
    env = template_environment({**context, "periods": None}, models)
    parts = [repr(context["table_engine"])]
    for model in chosen:
        try:
            text = render(env, model)
        except MissingSourceError as missing:
            text = f"missing source {missing}"
        parts += [model.name, model.materialized, str(model.partition_by), repr(model.order_by),
                  repr([(c.name, c.data_type) for c in model.columns]), text]
    return build_state.fingerprint(parts)


def merged_months(month_lists) -> list[str] | None:
    """The months of several "what changed" lists together; None (every month) when one of them is None."""
    month_lists = list(month_lists)
    if any(months is None for months in month_lists):
        return None
    return sorted({month for months in month_lists for month in months})


def changed_months(changes: dict | None) -> list[str] | None:
    """What the marts build logs as changed: the months some provider build changed since the last marts build
    (None: any month). The marts the checks compare are a month's sums of that month's rows, so their other
    months cannot have moved (include/reconciliation/runner.py checks only these)."""
    return None if changes is None else merged_months(changes.values())


def marts_plan(client, chosen: list[Model], models: dict[str, Model], marts_hash: str, existed: set[str]) -> dict:
    """{"changes": {provider: months or None} since the last marts build (None: everything changed),
    "periods": {table model: None (rebuild all), [months], or SKIP}}. `existed`: the tables of database
    finops before this run created the missing ones (a new table is built in full)."""
    changes = build_state.provider_changes_since_marts(client, marts_hash)
    tables = [m for m in chosen if m.materialized == "table"]
    periods: dict[str, object] = {}
    for model in tables:
        moved = [changes[p] for p in sorted(providers_of(model, models)) if p in changes] if changes is not None else None
        if changes is None or model.name not in existed:
            periods[model.name] = None
        elif not moved:
            periods[model.name] = SKIP
        elif (merged := merged_months(moved)) is None or not model.partition_by:
            periods[model.name] = None
        elif not model.depends_on_later_months:
            periods[model.name] = merged
        else:
            inputs = [name for name in upstream_names(model, models)
                      if models[name].materialized == "table" and models[name].partition_by]
            periods[model.name] = sorted({*merged,
                                          *build_state.newest_partitions(client, [model.name], 1),
                                          *build_state.newest_partitions(client, inputs, NEWEST_MONTHS_OF_INPUTS)})
    return {"changes": changes, "periods": periods}


def export_candidates(client, models: dict[str, Model], plan: dict | None, data_dir: Path) -> list[str] | None:
    """The dashboard tables the marts export should look at (None: all of them): those reading a
    provider that changed, those that are not models (reconciliation_checks, written by the checks) and
    those without a parquet file yet. The export still skips a table whose rows did not change."""
    from include.transform.export import DASHBOARD_TABLES, discover_tables, is_exported

    if plan is None or plan["changes"] is None:
        return None
    existing = set(discover_tables(client))
    return [table for table in DASHBOARD_TABLES if table in existing and (
        table not in models or not is_exported(table, data_dir)
        or providers_of(models[table], models) & set(plan["changes"]))]


def export_months(models: dict[str, Model], plan: dict | None) -> dict[str, list[str] | None]:
    """{per-month exported table: the months the export should look at (None: every month)}: the months the
    providers it reads changed since the last marts build (a line item's month is its provider's month)."""
    from include.transform.export import MONTHLY_TABLES

    changes = None if plan is None else plan["changes"]
    months: dict[str, list[str] | None] = {}
    for table in MONTHLY_TABLES:
        if table not in models:
            continue
        months[table] = None if changes is None else merged_months(
            changes[p] for p in sorted(providers_of(models[table], models)) if p in changes)
    return months
