"""The Azure load task: Cost Management FOCUS exports from Blob Storage into the raw `azure_costs`
dataset (table `focus_costs`).

Configuration: Airflow Variable `azure_costs_config` (JSON), e.g.

    {"azure_conn_id": "azure_cost_exports",  # a connection of the Microsoft Azure provider's type `wasb`
     "container": "cost-exports",            # the export's storage container
     "directory": "focus",                   # the export's directory in it ("" for none)
     "export_name": "finops-focus",          # the Cost Management export's name
     "refresh_months": 2}                    # scheduled runs re-check this many months

Each month is its own dlt load, which replaces exactly that month's rows, as in include.loaders.aws:
* filesystem: the month's files live in `raw/azure_costs/focus_costs/<YYYY-MM>/`; once the new load
  is committed, the older loads' files of that month are deleted;
* clickhouse: dlt's delete-insert merge on `billing_period` in the same load.
A month is loaded again when Azure wrote a newer run of it (the manifest's run id and time).
"""

from __future__ import annotations

import logging
import os
from datetime import date
from urllib.parse import urlparse

from include import settings

# The period bookkeeping is the AWS loader's: a folder per month, pruned after each committed load.
from include.loaders.aws import (
    completed_load_ids,
    month_window,
    newest_completed_load,
    prune_all_periods,
    prune_period,
    validate_periods,
)

log = logging.getLogger(__name__)

CONFIG_VARIABLE = "azure_costs_config"
DEFAULT_CONFIG = {
    "azure_conn_id": "azure_cost_exports",
    "container": None,
    "directory": "",
    "export_name": "finops-focus",
    "refresh_months": 2,
}
DATASET = "azure_costs"
RAW_TABLE = "focus_costs"
PUBLIC_BLOB_HOST = ".blob.core.windows.net"


def _extra(extras: dict, name: str):
    """A `wasb` connection extra, by its name or the provider's older `extra__wasb__` prefixed one."""
    return extras.get(name) or extras.get(f"extra__wasb__{name}") or None


def credentials_from_connection(azure_conn_id: str) -> dict:
    """Plain Blob Storage credentials from an Airflow connection of the Microsoft Azure provider's
    `wasb` type, read as that provider reads it (so the provider package need not be installed):
    extra `connection_string`; or login = storage account name with password = account key, or
    extra `sas_token`; or extra `tenant_id` with login = client id, password = client secret (a
    service principal, the account then taken from the host). Host: the account's blob endpoint
    (`https://<account>.blob.core.windows.net`, or Azurite's `http://127.0.0.1:10000/devstoreaccount1`)."""
    from airflow.sdk import BaseHook

    connection = BaseHook.get_connection(azure_conn_id)
    extras = connection.extra_dejson or {}
    host = (connection.host or "").strip()
    if host and "://" not in host:
        host = f"https://{host}"
    endpoint = host.rstrip("/") or None
    parsed = urlparse(endpoint or "")
    account_from_host = None
    if parsed.hostname and parsed.hostname.endswith(PUBLIC_BLOB_HOST):
        account_from_host = parsed.hostname[: -len(PUBLIC_BLOB_HOST)]
        endpoint = None  # the default endpoint of that account
    elif parsed.path.strip("/"):
        account_from_host = parsed.path.strip("/").split("/")[0]  # Azurite: http://host:port/<account>
    connection_string = _extra(extras, "connection_string")
    if connection_string:
        return {"connection_string": connection_string}
    tenant_id = _extra(extras, "tenant_id")
    if tenant_id:
        credentials = {
            "azure_storage_account_name": _extra(extras, "account_name") or account_from_host,
            "azure_tenant_id": tenant_id,
            "azure_client_id": connection.login,
            "azure_client_secret": connection.password,
            "blob_endpoint": endpoint,
        }
    else:
        credentials = {
            "azure_storage_account_name": connection.login or account_from_host,
            "azure_storage_account_key": connection.password or _extra(extras, "shared_access_key"),
            "azure_storage_sas_token": _extra(extras, "sas_token"),
            "blob_endpoint": endpoint,
        }
    if not credentials["azure_storage_account_name"]:
        raise ValueError(f"Airflow connection {azure_conn_id!r} names no storage account (login or host)")
    return {k: v for k, v in credentials.items() if v}


def load(params: dict | None = None, logical_date: date | None = None, run_type: str | None = None,
         report=None) -> dict:
    """Load months of the FOCUS export. Returns rows loaded per month (0 = unchanged, skipped).

    * `params.billing_periods` (YYYY-MM list): exactly those months, reloaded even when Azure wrote
      no newer run; a month without a run fails the load (a backfill run skips it and says so);
    * a backfill run without months: the month of its logical date, reloaded;
    * a scheduled run: the refresh window when Azure wrote a newer run, plus months never loaded;
    * `params.full_refresh`: reload even months whose newest run did not change.
    `report` (include.load_summary.LoadReport) records per month what was loaded, unchanged or skipped.
    """
    from include.pipelines import discard_pending_packages, loading_modules, pipeline_lock, run_pipeline_with_load_id

    params = params or {}
    with loading_modules():  # dlt, Airflow, adlfs and the Azure SDK
        from include.sources.azure_focus import azure_focus_source, list_runs

        config = settings.variable_json(CONFIG_VARIABLE, DEFAULT_CONFIG)
        if not config["container"]:
            raise ValueError(f"Airflow Variable {CONFIG_VARIABLE!r} must name the export's storage `container`")
        credentials = credentials_from_connection(config["azure_conn_id"])
    runs = list_runs(config["container"], config["directory"], config["export_name"], credentials)
    by_month = {run.month: run for run in runs}
    available = list(by_month)
    full_refresh = bool(params.get("full_refresh"))
    window = month_window(logical_date or date.today(), int(config["refresh_months"]))
    refresh_from = None
    where = "az://" + "/".join(p.strip("/") for p in (config["container"], config["directory"], config["export_name"])
                               if p and p.strip("/")) + "/"

    if not runs:
        log.warning("no export run with a manifest under %s: nothing to load (is the Variable %s right?)",
                    where, CONFIG_VARIABLE)
    requested = validate_periods(params.get("billing_periods") or [])
    if not requested and run_type == "backfill":
        requested = month_window(logical_date or date.today(), 1)
    if requested:
        missing = [m for m in requested if m not in available]
        if missing and run_type != "backfill":
            raise ValueError(f"months {missing} have no export run with a manifest under {where} (found {available})")
        for month in missing:
            if report is not None:
                report.skipped(month, f"Azure has written no export run with a manifest for it under {where}")
        months, full_refresh = [m for m in requested if m in available], True
    else:
        months, refresh_from = available, window[0]

    destination = settings.destination_name()
    # The raw table keeps Microsoft's column names (dlt's `direct` naming), under which dlt warns that
    # a table name could hold the layout's `/`; these table names (focus_costs, _dlt_*) hold none.
    os.environ.setdefault(f"{DATASET.upper()}__DESTINATION__FILESYSTEM__WARN_UNSAFE_LAYOUT_SEPARATORS", "false")
    table_dir = settings.raw_dir() / DATASET / RAW_TABLE
    loaded: dict[str, int] = {}
    with pipeline_lock(DATASET):  # one run at a time: backfills may start several
        # A package of a killed run does not say which month's folder it was bound for: discard it
        # (dlt rewinds its state) and load that month again below.
        discard_pending_packages(DATASET, destination)
        on_disk: set[str] = set()
        if destination == "filesystem":
            removed = prune_all_periods(table_dir)
            if removed:
                log.info("removed files no reader counts (superseded or never completed loads): %s", removed)
            completed = completed_load_ids(table_dir.parent)
            on_disk = {p.name for p in table_dir.glob("*") if p.is_dir() and newest_completed_load(p, completed)}
        for index, month in enumerate(months, 1):
            run = by_month[month]
            if report is not None:
                report.progress(month, index, len(months), files=len(run.blobs), delivery=run.run_id)
            # dlt's state says which run each month holds; on the filesystem it is only believed
            # when the month's data is there (a lost folder is loaded again).
            folder_lost = destination == "filesystem" and month not in on_disk
            source = azure_focus_source(
                config["container"],
                config["directory"],
                config["export_name"],
                credentials,
                full_refresh=full_refresh or folder_lost,
                replace_by_month=destination == "clickhouse",
                refresh_from=refresh_from,
                runs=[run],  # listed once above
            )
            counts, load_id = run_pipeline_with_load_id(
                DATASET, source, destination=destination, partition=month if destination == "filesystem" else None
            )
            loaded[month] = counts.get(RAW_TABLE, 0)
            if report is not None:
                if loaded[month] or full_refresh or folder_lost:
                    report.loaded(month, loaded[month], load_id, delivery=run.run_id, files=len(run.blobs),
                                  tables=counts)
                else:
                    report.unchanged(month, f"loaded before and older than the refresh window (from {refresh_from})"
                                     if refresh_from and month < refresh_from
                                     else "Azure wrote no newer export run of it since its last load",
                                     delivery=run.run_id)
            if loaded[month] and destination == "filesystem":
                month_dir = table_dir / month
                completed = completed_load_ids(table_dir.parent)
                if newest_completed_load(month_dir, completed) != load_id:
                    raise RuntimeError(f"month {month}: load {load_id} is not the newest completed load in {month_dir}")
                removed_files = prune_period(month_dir, completed)
                log.info("month %s: %d rows (load %s, export run %s), %d superseded files removed",
                         month, loaded[month], load_id, run.run_id, removed_files)
    return loaded
