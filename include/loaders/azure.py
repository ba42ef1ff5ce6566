"""The `azure_costs` load task: Cost Management FOCUS exports from Blob Storage into the raw
`azure_costs` dataset (table `focus_costs`).

Configuration: Airflow Variable `azure_costs_config` (JSON), e.g.

    {"azure_conn_id": "azure_cost_exports",  # a connection of the Microsoft Azure provider's type `wasb`
     "container": "cost-exports",            # the export's storage container
     "directory": "focus",                   # the export's directory in it ("" for none)
     "export_name": "finops-focus",          # the Cost Management export's name
     "refresh_months": null}                 # null: re-check every month; N: only the last N

Each billing period (month) is its own dlt load, which replaces exactly that month's rows
(include/loaders/period_loads.py): files in `raw/azure_costs/focus_costs/<YYYY-MM>/` on the
filesystem, dlt's delete-insert merge on `billing_period` on ClickHouse. A month is loaded again
when Azure wrote a newer run of it (the manifest's run id and time).
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlparse

from include import settings
from include.load_summary import LoadReport
from include.loaders.period_loads import Delivery, PeriodExport, load_periods
from include.run_intent import LoadRequest

log = logging.getLogger(__name__)

CONFIG_VARIABLE = settings.AZURE_CONFIG_VARIABLE
DEFAULT_CONFIG = {
    "azure_conn_id": settings.AZURE_CONN_ID,
    "container": None,
    "directory": "",
    "export_name": "finops-focus",
    # None: scheduled runs reload every month Azure exported again since its last load, however old (a closed
    # month changes with late adjustments). A number N: only the run's month and the N - 1 before it; older
    # months are loaded once, then frozen.
    "refresh_months": None,
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


def load(request: LoadRequest, config: dict | None = None) -> LoadReport:
    """Load the months of the FOCUS export `request` asks for (which ones:
    include.loaders.period_loads.load_periods); returns what was loaded, per billing period.
    `config` overrides the Airflow Variable `azure_costs_config` (merged over DEFAULT_CONFIG).
    """
    from include.pipelines import configure_dlt, loading_modules

    report = LoadReport(DATASET, request.intent, unit=request.unit)
    if request.nothing_to_load:
        return report
    configure_dlt()
    with loading_modules():  # dlt, Airflow (Variable, connection), adlfs and the Azure SDK
        from include.sources.azure_focus import azure_focus_source, list_runs

        config = {**DEFAULT_CONFIG, **config} if config is not None else settings.variable_json(
            CONFIG_VARIABLE, DEFAULT_CONFIG)
        if not config["container"]:
            raise ValueError(f"Airflow Variable {CONFIG_VARIABLE!r} must name the export's storage `container`")
        credentials = credentials_from_connection(config["azure_conn_id"])
    runs = list_runs(config["container"], config["directory"], config["export_name"], credentials)
    where = "az://" + "/".join(p.strip("/") for p in (config["container"], config["directory"], config["export_name"])
                               if p and p.strip("/")) + "/"
    if not runs:
        log.warning("no export run with a manifest under %s: nothing to load (is the Variable %s right?)",
                    where, CONFIG_VARIABLE)
    # The raw table keeps Microsoft's column names (dlt's `direct` naming), under which dlt warns that
    # a table name could hold the layout's `/`; these table names (focus_costs, _dlt_*) hold none.
    os.environ.setdefault(f"{DATASET.upper()}__DESTINATION__FILESYSTEM__WARN_UNSAFE_LAYOUT_SEPARATORS", "false")
    export = PeriodExport(
        "Azure", DATASET, RAW_TABLE, where,
        [Delivery(run.month, run.run_id, len(run.blobs), run) for run in runs],
        make_source=lambda run, **how: azure_focus_source(
            config["container"], config["directory"], config["export_name"], credentials,
            runs=[run], **how,  # listed once above
        ),
    )
    return load_periods(request, report, export, config["refresh_months"])
