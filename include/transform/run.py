"""Build a target's models on ClickHouse (chdb over local parquet, or the server).

Targets: a provider (`aws`, `azure`, `gcp`, `stripe`) builds the seeds and that provider's staging and
intermediate models, right after its load; `marts` builds the cross-provider models and the marts
once, and exports them as parquet for Rill in the filesystem mode. See include/sql/README.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from include import settings
from include.clickhouse import clickhouse_client
from include.transform import build_state, statements
from include.transform.change_plan import (
    SKIP,
    changed_months,
    export_candidates,
    export_months,
    marts_plan,
    target_fingerprint,
    view_inputs,
)
from include.transform.config import CHANGED, parse_periods, sql_config
from include.transform.errors import MissingRawDataError, ModelError, SqlConfigError
from include.transform.export import table_fingerprint
from include.transform.materialize import ensure_table, materialize
from include.transform.models import PROVIDERS, load_models, select_models, upstream_tables
from include.transform.month_batches import input_rows_by_month, month_batches
from include.transform.raw_views import raw_columns, refresh_raw_views
from include.transform.templates import MissingSourceError, render, template_environment

log = logging.getLogger(__name__)

TARGETS = (*PROVIDERS, "marts")


def run_transformations(
    target: str,
    destination: str | None = None,
    periods: Any = None,
    config: Mapping | None = None,
    export: bool = True,
) -> dict:
    """Build the models of `target` (`aws`, `azure`, `gcp`, `stripe` or `marts`).

    `periods` chooses what a provider's month-partitioned tables rebuild:
    * None: everything (each table rebuilt in `<table>__next` and swapped in);
    * "changed": the months of the rows written by completed loads newer than the last successful
      None or "changed" build of this provider (the first such build rebuilds everything);
    * a list of `YYYY-MM` months: those, each swapped in with REPLACE PARTITION (a month no longer
      in the raw data is emptied).
    Every month is rebuilt while the provider's last full or "changed" build ran other SQL. Views and unpartitioned tables
    are always rebuilt in full; `marts` takes no periods. `config` replaces the Airflow Variable
    `finops_sql_config` (tests). `export=False` skips the marts' parquet files for local dashboards
    (SQL tests that never read them).
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    periods = parse_periods(periods)
    if target == "marts" and periods is not None:
        raise SqlConfigError(f"the marts are rebuilt in full: periods must be None, got {periods!r}")
    destination = destination or settings.destination_name()
    started_at = time.time()
    cfg = sql_config(config)
    engine = cfg["table_engine"]
    models = load_models()
    chosen = select_models(models, target)
    upstream = upstream_tables(models, chosen)
    client = clickhouse_client(destination)
    try:
        client.command(f"CREATE DATABASE IF NOT EXISTS {settings.MART_DATABASE}{engine.on_cluster}")
        build_state.ensure_state_table(client, engine)
        # Only staging reads raw data, each provider's its own dataset's, and the marts read no staging model.
        views = refresh_raw_views(client, destination, datasets={d for d, _, _ in build_state.provider_sources(target)},
                                  skip_unchanged=True) if target in PROVIDERS else []
        columns = raw_columns(client)
        if target in PROVIDERS:
            dataset, table, _ = build_state.PROVIDER_SOURCES[target]
            if not any(f"{d}__{t}" in columns for d, t, _ in build_state.provider_sources(target)):
                raise MissingRawDataError(
                    f"{target}: no raw data yet ({settings.RAW_DATABASE}.{dataset}__{table} does not exist): the "
                    f"{dataset} load task has loaded nothing so far (for AWS: no billing period has a delivered "
                    "manifest yet). Run the SQL again after the first load that brings data."
                )
        relations = build_state.existing_tables(client)
        existed = set(relations)
        # Tables read from other targets exist even when their provider never loaded (empty then).
        for model in [*upstream, *(m for m in chosen if m.materialized == "table")]:
            if relations.get(model.name) == "View":
                # a model an upgrade turned from a view into a table: CREATE TABLE IF NOT EXISTS would keep the
                # view, so it goes, and the new table is built in full
                statements.execute(client, f"DROP VIEW {model.relation}{engine.on_cluster}",
                                   source=f"include/sql/{model.relative_path} (was a view)")
                existed.discard(model.name)
            for number, statement in enumerate(ensure_table(model, engine), start=1):
                statements.execute(client, statement, source=f"include/sql/{model.relative_path} (structure) statement {number}")
        context = {
            "target": target,
            "periods": periods if periods != CHANGED else None,
            "config": cfg,
            "raw_columns": columns,
            # ClickHouse >= 25.x refuses REPLACE PARTITION from an empty source unless this is set;
            # older servers do it without the setting (and do not know it).
            "replace_empty_setting": statements.server_supports(client, "allow_replace_partition_from_empty_source"),
            "insert_settings": statements.memory_settings(client) if destination == "filesystem" else "",
            "table_engine": engine,
        }
        sql_hash = target_fingerprint(chosen, models, context)
        selected = None
        watermark = None
        if target in PROVIDERS:
            watermark = build_state.completed_load_watermark(client, target, columns)
            last = build_state.last_build(client, target)
            selected = periods
            if periods == CHANGED:
                selected = build_state.changed_periods(client, target, columns, last[0]) if last else None
            # Months built by other SQL (an upgrade, a new model, a configuration its SQL reads, new raw
            # columns) would sit beside months built by this SQL: every month is built again.
            if selected is not None and (last is None or last[1] != sql_hash):
                log.info("%s: no earlier full or changed build with this SQL: rebuilding every month", target)
                selected = None
            context["periods"] = selected
        unpartitioned = [m.name for m in chosen if m.materialized == "table" and not m.partition_by]
        changed = None if target == "marts" else build_state.provider_changes(
            client, target, selected, watermark, sql_hash, only_partitioned=not unpartitioned)
        # An unpartitioned table (Stripe's, GCP's CUD inventory) is rebuilt whole from every new load; when it comes
        # out with the same rows, the rebuilt months are still all that moved for the marts.
        before = {} if target == "marts" or changed is not None or selected is None else \
            {name: table_fingerprint(client, name) for name in unpartitioned if name in existed}
        if target == "marts":
            plan = marts_plan(client, chosen, models, sql_hash, existed)
            changed = changed_months(plan["changes"])
        else:
            # no new load, same SQL: the unpartitioned tables (Stripe's) would be rebuilt identical
            plan = {"periods": {m.name: SKIP for m in chosen if m.materialized == "table" and not m.partition_by
                                and m.name in existed}} if changed == [] else None
        built, statement_count = build(client, chosen, template_environment(context, models), context,
                                       plan=plan and plan["periods"], models=models)
        if before and len(before) == len(unpartitioned) and \
                all(table_fingerprint(client, name) == fingerprint for name, fingerprint in before.items()):
            changed = build_state.provider_changes(client, target, selected, watermark, sql_hash, only_partitioned=True)
        if target in PROVIDERS and (periods == CHANGED or selected is None) and watermark is not None:
            build_state.record_build(client, target, watermark, sql_hash)
        marts = {}
        if target == "marts" and destination == "filesystem" and export:
            # Local dashboards (Rill on DuckDB) read the marts as parquet: data/marts/<table>.parquet, each
            # rewritten only when it changed (include/transform/export.py); tables nothing upstream of
            # changed since the last marts build are not even read.
            from include.transform.export import export_marts

            marts = export_marts(client, settings.data_dir(), tables=export_candidates(client, models, plan, settings.data_dir()),
                                 months=export_months(models, plan), after_write=lambda: statements.release_memory(client))
        build_state.log_build(client, target, changed, watermark, sql_hash, started_at)
    finally:
        client.close()
    log.info("%s models on %s (periods %s): %d raw views, %d models, %d statements, %d marts exported", target,
             destination, "all" if selected is None else selected, len(views), len(built), statement_count,
             sum(outcome["written"] for outcome in marts.values()))
    return {"raw_views": views, "models": built, "statements": statement_count, "periods": selected, "marts": marts}


def build(client, chosen, env, context, plan: dict | None = None, models: dict | None = None) -> tuple[list[str], int]:
    """Render and materialize each model in order; stop at the first failure. A staging model whose
    raw table no load has written yet is skipped, and so is a view whose statement and inputs are those
    it was created with. `plan` (the marts): {table model: periods (None: all), or SKIP}. Returns
    (models built, statements run)."""
    built, count = [], 0
    models = models or {m.name: m for m in chosen}
    existing_views = build_state.unchanged_views(client)
    created_views = {}
    default_periods = context["periods"]
    try:
        for model in chosen:
            model_periods = default_periods if plan is None else plan.get(model.name, default_periods)
            if model_periods is SKIP:
                log.info("%s: nothing it reads changed since the last build, not rebuilt", model.name)
                continue
            context["periods"] = model_periods  # what in_periods() renders
            try:
                text = render(env, model)
            except MissingSourceError as missing:
                log.info("skipping %s: raw table %s not loaded yet", model.name, missing)
                continue
            selects = statements.split_statements(text)
            if len(selects) != 1:
                raise ModelError(f"include/sql/{model.relative_path}: a model is one SELECT, found {len(selects)} statements")
            batches = None
            # a month-partitioned table's full rebuild, a batch of months per INSERT; not one whose months read later
            # months (every batch would read them all again: cost_forecast took 4x as long, for little memory)
            if (model.materialized == "table" and model.partition_by and model_periods is None
                    and not model.depends_on_later_months):
                months = month_batches(input_rows_by_month(client, model, models, context["raw_columns"]))
                if len(months) > 1:  # a full rebuild too large for one statement: a batch of months at a time
                    batches = []
                    for batch in months:
                        context["periods"] = batch
                        batches.append((batch, statements.split_statements(render(env, model))[0]))
                    context["periods"] = model_periods
            steps = materialize(model, selects[0], model_periods, context["replace_empty_setting"],
                                context["table_engine"], batches=batches, settings=context["insert_settings"])
            if model.materialized == "view":
                view_hash = build_state.fingerprint([*steps, *view_inputs(model, models, context["raw_columns"], context["config"], steps[0])])
                if existing_views.get(model.name) == view_hash:
                    log.info("%s: view unchanged, not created again", model.name)
                    continue
                created_views[model.name] = view_hash
            log.info("building %s (%s, %d statements)", model.name, model.materialized, len(steps))
            for number, statement in enumerate(steps, start=1):
                statements.execute(client, statement, source=f"include/sql/{model.relative_path} statement {number}")
                count += 1
                if context["insert_settings"] and statement.startswith("INSERT"):
                    statements.release_memory(client)
            built.append(model.name)
    finally:
        context["periods"] = default_periods
    # only after a build without error: a failed build's views are simply created again next time
    build_state.record_views(client, {v: h for v, h in created_views.items() if v in built})
    return built, count


def query(sql: str, destination: str | None = None, parameters: dict | None = None):
    """Run a read query on the active destination; returns (column names, rows)."""
    client = clickhouse_client(destination)
    try:
        result = client.query(sql, parameters=parameters)
        return list(result.column_names), result.result_rows
    finally:
        client.close()
