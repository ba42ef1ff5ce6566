"""Task entry point of the `gcp_costs` DAG: load the Cloud Billing export (raw table `billing_export`) and/or
Google's FOCUS export (raw table `focus_export`) into the `gcp_costs` dataset, and, after them, Google's CUD metadata
export (raw table `cud_subscriptions`: a snapshot of the spend-based commitments, appended whole on every run).

Configuration: Airflow Variable `gcp_costs_config` (JSON), e.g.

    {"billing_table": "my-project.billing.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9",
     "export_format": "auto",            # auto | billing_export | focus: auto reads the table's columns; a
                                         # table that is not the format asked for fails naming it. billing_table
                                         # may also be a dataset ("project.dataset"): its export table is found
                                         # by name (auto: the billing export if it has one, else the FOCUS table)
     "exports": null,                    # several, e.g. the same bill as billing export and FOCUS table:
                                         # [{"billing_table": ..., "export_format": ...}, ...] (replaces the two above)
     "gcp_conn_id": "google_cloud_default",
     "export_type": "standard",          # billing export: or "detailed"; default: from the table name
     "lookback_days": 5,                 # incremental re-read window on export_time
     "month_tail_days": 40,              # invoice-month reload: export window after month end
     "start_month": null,                # YYYYMM: load that invoice month and later ones only
     "partition_slack_days": 1,          # partition filter starts this many days before the window
     "maximum_bytes_billed": null,       # optional per-query BigQuery guard rail
     "location": null,                   # optional BigQuery location for the jobs
     "cud_table": null}                  # Google's CUD metadata export, "project.dataset.table"; null (auto): the
                                         # table cud_subscriptions_export in the billing export's dataset (else the
                                         # first entry's), loaded if it exists, skipped (INFO log) if not; false:
                                         # never. A configured table that does not exist is an error naming it.

DAG params: `invoice_months` (list of YYYYMM: reload exactly those months) and `full_refresh`, resolved
into a LoadRequest (include/run_intent.py) before the load (the CUD snapshot is loaded whatever they ask). Which input
counts when both exports cover a billing account and month is the SQL's choice (`cost_inputs.gcp` in
finops_sql_config, int_cloud_cost_inputs.sql).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from include import settings
from include.load_summary import LoadReport
from include.run_intent import LoadRequest

log = logging.getLogger(__name__)

CONFIG_VARIABLE = settings.GCP_CONFIG_VARIABLE
DATASET = "gcp_costs"
TABLE = "billing_export"
FOCUS_TABLE = "focus_export"
# Per raw table: its export-time column as written to the destination (dlt's snake_case names).
EXPORT_TIME_COLUMNS = {TABLE: "export_time", FOCUS_TABLE: "x_export_time"}
DEFAULT_CONN_ID = settings.GCP_CONN_ID


def read_config() -> dict:
    from airflow.sdk import Variable

    config = Variable.get(CONFIG_VARIABLE, default=None, deserialize_json=True)
    if not config or not (config.get("billing_table") or config.get("exports")):
        raise ValueError(
            f"Airflow Variable {CONFIG_VARIABLE!r} must be JSON with at least "
            '{"billing_table": "project.dataset.gcp_billing_export_v1_..."} (or "exports")'
        )
    return config


# The connection fields that carry a key; with none and an `api_endpoint`, the client is anonymous.
_KEY_FIELDS = ("key_path", "keyfile_dict", "credential_config_file", "key_secret_name")


def client_from_connection(conn_id: str, location: str | None = None):
    """A `google.cloud.bigquery.Client` built from the Airflow connection `conn_id`.

    Credentials and project come from the Google provider's `BigQueryHook` (key file, keyfile JSON,
    workload identity / ADC, impersonation...). The extra `project` overrides the project. If the
    extra has `api_endpoint` (bqemulator, or a private endpoint), the client talks to that endpoint;
    with an `api_endpoint` and no key in the connection, it uses anonymous credentials.
    """
    from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook
    from google.cloud import bigquery

    hook = BigQueryHook(gcp_conn_id=conn_id, location=location)
    endpoint = hook._get_field("api_endpoint", None)
    project = hook._get_field("project", None) or hook._get_field("project_id", None)
    has_key = any(hook._get_field(field, None) for field in _KEY_FIELDS)
    if endpoint and not has_key:
        from google.auth.credentials import AnonymousCredentials

        credentials = AnonymousCredentials()
        if not project:
            raise ValueError(
                f"Airflow connection {conn_id!r} sets api_endpoint {endpoint!r} without a key; "
                "set the extra 'project' to the BigQuery project id"
            )
    else:
        credentials, cred_project = hook.get_credentials_and_project_id()
        project = project or cred_project
    client_options = {"api_endpoint": endpoint} if endpoint else hook.get_client_options()
    return bigquery.Client(project=project, credentials=credentials, client_options=client_options, location=location)


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def cud_table_to_load(client: Any, config: dict, chosen: dict[str, str]) -> str | None:
    """The CUD metadata export table to load, or None. `chosen`: export format -> the cost table resolved for it.

    `cud_table` false: none; a name: that table (checked when its source is created); absent or null: the table
    `cud_subscriptions_export` of the dataset of the billing export (else of the first configured export), if it
    exists there (Google writes it beside the billing export; the FOCUS table lives in a dataset of its own). When
    permissions keep auto-detection from seeing the table, a warning is logged and the costs load without it."""
    from google.api_core import exceptions as gexc

    from include.sources.gcp_billing.cud_table import TABLE_NAME, WHAT
    from include.sources.gcp_billing.errors import wrap_error
    from include.sources.gcp_billing.export_format import BILLING_EXPORT

    configured = config.get("cud_table")
    if configured is False:
        return None
    if configured is not None:
        if not isinstance(configured, str) or not configured.strip():
            raise ValueError(f'"cud_table" in {CONFIG_VARIABLE!r} must be a "project.dataset.table" name, null (auto) '
                             f"or false (never), not {configured!r}")
        return configured.strip()
    billing_table = chosen.get(BILLING_EXPORT) or next(iter(chosen.values()))
    candidate = f"{billing_table.rsplit('.', 1)[0]}.{TABLE_NAME}"
    try:
        client.get_table(candidate)
    except gexc.NotFound:
        log.info("no CUD metadata export %s: not loading CUD subscriptions (set cud_table to load one from elsewhere, "
                 "false to stop looking)", candidate)
        return None
    except (gexc.Forbidden, gexc.Unauthorized) as exc:  # not asked for: the cost exports still load
        log.warning("%s; not loading CUD subscriptions (set cud_table to false to stop looking)",
                    wrap_error(candidate, exc, "looking for it", WHAT))
        return None
    except gexc.GoogleAPICallError as exc:
        raise wrap_error(candidate, exc, "looking for it", WHAT) from exc
    return candidate


def load(request: LoadRequest, config: dict | None = None, client: Any = None) -> LoadReport:
    """Load the invoice months `request` asks for (none: incremental on export_time; `full_refresh`
    param: the whole export); returns what was loaded (rows, tables and load id).

    `config` overrides the Airflow Variable and `client` the BigQuery client built from the connection
    (both for tests).
    """
    from include.pipelines import configure_dlt, run_pipeline_with_load_id

    report = LoadReport(DATASET, request.intent, unit=request.unit)
    if request.nothing_to_load:
        return report
    configure_dlt()
    from include.sources.gcp_billing import (
        DEFAULT_LOOKBACK_DAYS,
        DEFAULT_MONTH_TAIL_DAYS,
        DEFAULT_PARTITION_SLACK_DAYS,
        gcp_billing_source,
        month_window,
        normalize_invoice_months,
    )
    from include.sources.gcp_billing.cud_source import gcp_cud_source
    from include.sources.gcp_billing.export_format import FOCUS, resolve_export
    from include.sources.gcp_billing.focus_source import gcp_focus_source

    config = config or read_config()
    months = normalize_invoice_months(request.intent.periods or [])
    full_refresh = _as_bool(request.params.get("full_refresh", False))
    if full_refresh and months:
        raise ValueError("use either invoice_months or full_refresh, not both")
    tail_days = int(config.get("month_tail_days", DEFAULT_MONTH_TAIL_DAYS))
    if client is None:
        client = client_from_connection(config.get("gcp_conn_id", DEFAULT_CONN_ID), location=config.get("location"))
    how = {
        "lookback_days": float(config.get("lookback_days", DEFAULT_LOOKBACK_DAYS)),
        "invoice_months": months or None,
        "full_refresh": full_refresh,
        "month_tail_days": tail_days,
        "start_month": config.get("start_month"),
        "partition_slack_days": int(config.get("partition_slack_days", DEFAULT_PARTITION_SLACK_DAYS)),
        "maximum_bytes_billed": config.get("maximum_bytes_billed"),
    }
    exports = config.get("exports") or [{"billing_table": config["billing_table"],
                                         "export_format": config.get("export_format", "auto")}]
    chosen: dict[str, str] = {}
    for entry in exports:
        export_format, table = resolve_export(client, entry["billing_table"], entry.get("export_format", "auto"))
        if export_format in chosen:  # both would land in one raw table, each load replacing the other's rows
            raise ValueError(f"GCP tables {chosen[export_format]} and {table} are both {export_format!r} exports: "
                             "configure one billing export and at most one FOCUS table")
        chosen[export_format] = table
    # the CUD table is checked before any cost load, so a misconfigured one fails the task with nothing loaded
    cud_table = cud_table_to_load(client, config, chosen)
    cud_source = gcp_cud_source(client, cud_table, how["maximum_bytes_billed"]) if cud_table else None
    # arrow tables get dlt's `_dlt_load_id` column only when asked (scoped to this pipeline)
    os.environ[f"{DATASET.upper()}__NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID"] = "true"
    destination = settings.destination_name()
    period = ", ".join(months) if months else ("whole export" if full_refresh else "incremental (export_time lookback)")
    report.progress(period, 1, 1)
    rows, load_ids, tables = 0, [], {}
    for export_format, table in chosen.items():
        if export_format == FOCUS:
            raw_table, source = FOCUS_TABLE, gcp_focus_source(client, table, **how)
        else:
            raw_table, source = TABLE, gcp_billing_source(client, table, export_type=config.get("export_type"), **how)
        counts, load_id = run_pipeline_with_load_id(DATASET, source, destination=destination)
        rows += counts.get(raw_table, 0)
        tables.update(counts)
        load_ids.append(load_id)
        if months:
            start, end = month_window(months, tail_days)
            # no load id: the reload found no rows, so every earlier row of those months in the window goes
            removed = remove_superseded_month_rows(destination, months, start, end, load_id or "", raw_table)
            log.info("invoice months %s of %s reloaded by load %s; removed %s rows of earlier loads", months, table,
                     load_id, removed)
    if cud_source is not None:  # a snapshot: appended whole on every run, whatever the months asked for
        counts, load_id = run_pipeline_with_load_id(DATASET, cud_source, destination=destination)
        tables.update(counts)  # not cost rows
        log.info("CUD metadata export %s loaded by load %s: %s", cud_table, load_id, counts)
    report.loaded(period, rows, next((i for i in reversed(load_ids) if i), None), tables=tables)
    return report


def remove_superseded_month_rows(destination: str, months: list[str], start, end, load_id: str,
                                 table: str = TABLE) -> int:
    """Delete raw rows of `months` in `table` (billing_export or focus_export) with their export time in
    [start, end) written by loads other than `load_id` (the reload that just succeeded). Returns the number of
    rows removed."""
    export_time = EXPORT_TIME_COLUMNS[table]
    if destination == "filesystem":
        return _remove_filesystem(months, start, end, load_id, table, export_time)
    if destination == "clickhouse":
        return _remove_clickhouse(months, start, end, load_id, table, export_time)
    raise ValueError(f"unknown destination {destination!r}")


def _month_mask(tbl, months, start, end, load_id, export_time="export_time"):
    import pyarrow as pa
    import pyarrow.compute as pc

    superseded = pc.and_(
        pc.and_(
            pc.is_in(tbl["invoice_month"], value_set=pa.array(months, pa.string())),
            pc.and_(
                pc.greater_equal(tbl[export_time], pa.scalar(start, pa.timestamp("us", tz="UTC"))),
                pc.less(tbl[export_time], pa.scalar(end, pa.timestamp("us", tz="UTC"))),
            ),
        ),
        pc.not_equal(pc.cast(tbl["_dlt_load_id"], pa.string()), pa.scalar(load_id, pa.string())),
    )
    return pc.fill_null(superseded, False)


def _remove_filesystem(months, start, end, load_id, table=TABLE, export_time="export_time") -> int:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table_dir = settings.raw_dir() / DATASET / table
    removed = 0
    for path in sorted(table_dir.rglob("*.parquet")):
        if path.name.startswith(f"{load_id}."):
            continue
        tbl = pq.read_table(path)
        if "_dlt_load_id" not in tbl.column_names:
            continue
        mask = _month_mask(tbl, months, start, end, load_id, export_time)
        n = pc.sum(mask).as_py() or 0
        if not n:
            continue
        kept = tbl.filter(pc.invert(mask))
        removed += n
        if kept.num_rows == 0:
            path.unlink()
            continue
        tmp = path.with_name(path.name + ".tmp")
        pq.write_table(kept, tmp)
        os.replace(tmp, path)
    return removed


def _remove_clickhouse(months, start, end, load_id, table=TABLE, export_time="export_time") -> int:
    from include.clickhouse import clickhouse_client

    client = clickhouse_client("clickhouse")
    name = f"`{DATASET}___{table}`"
    condition = (
        f"invoice_month IN %(months)s AND `{export_time}` >= %(start)s AND `{export_time}` < %(end)s"
        " AND _dlt_load_id != %(load_id)s"
    )
    bind = {"months": list(months), "start": start, "end": end, "load_id": load_id}
    try:
        n = client.query(f"SELECT count() FROM {name} WHERE {condition}", parameters=bind).result_rows[0][0]
        if n:
            client.command(f"ALTER TABLE {name} DELETE WHERE {condition}", parameters=bind,
                           settings={"mutations_sync": 2})
    finally:
        client.close()
    return int(n)
