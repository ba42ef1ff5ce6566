"""Which export a configured table (or dataset) is: the Cloud Billing export (standard or detailed) or the FOCUS
export, chosen per export by `export_format` (auto | billing_export | focus) and checked against the table's columns."""

from __future__ import annotations

from typing import Any

from include.sources.gcp_billing.errors import BillingExportError, wrap_error
from include.sources.gcp_billing.focus import TABLE_PREFIX, is_focus

BILLING_EXPORT = "billing_export"
FOCUS = "focus"
FORMATS = ("auto", BILLING_EXPORT, FOCUS)
# Table name prefixes of each export in a dataset, preferred first (the detailed export has every standard field).
_PREFIXES = {BILLING_EXPORT: ("gcp_billing_export_resource_v1_", "gcp_billing_export_v1_"), FOCUS: (TABLE_PREFIX,)}


def _table_format(client: Any, table: str) -> str:
    from google.api_core import exceptions as gexc

    try:
        schema = client.get_table(table).schema
    except gexc.GoogleAPICallError as exc:
        raise wrap_error(table, exc, "reading its metadata") from exc
    return FOCUS if is_focus(field.name for field in schema) else BILLING_EXPORT


def _dataset_table(client: Any, dataset: str, wanted: str) -> tuple[str, str]:
    """The export table of `dataset` ("project.dataset") of format `wanted` (auto: the billing export if the
    dataset has one, else the FOCUS table)."""
    from google.api_core import exceptions as gexc

    try:
        names = sorted(item.table_id for item in client.list_tables(dataset))
    except gexc.GoogleAPICallError as exc:
        raise wrap_error(dataset, exc, "listing its tables") from exc
    for export_format in ((BILLING_EXPORT, FOCUS) if wanted == "auto" else (wanted,)):
        for prefix in _PREFIXES[export_format]:
            found = [name for name in names if name.startswith(prefix)]
            if len(found) > 1:
                raise BillingExportError(f"GCP dataset {dataset} has {len(found)} {prefix}* tables ({', '.join(found)}): "
                                         "name the table in billing_table")
            if found:
                return export_format, f"{dataset}.{found[0]}"
    expected = " or ".join(f"{prefix}*" for fmt in ((BILLING_EXPORT, FOCUS) if wanted == "auto" else (wanted,))
                           for prefix in _PREFIXES[fmt])
    raise BillingExportError(f"GCP dataset {dataset} has no {expected} table (export_format {wanted!r}); "
                             f"its tables: {', '.join(names) or 'none'}")


def resolve_export(client: Any, name: str, wanted: str = "auto") -> tuple[str, str]:
    """(export format, "project.dataset.table") of the configured `name`: a table, or a dataset ("project.dataset")
    whose export table is found by its name. A table whose columns are not the format asked for fails naming it."""
    wanted = (wanted or "auto").lower()
    if wanted not in FORMATS:
        raise ValueError(f"export_format {wanted!r} must be one of {FORMATS}")
    if name.count(".") == 1:
        export_format, table = _dataset_table(client, name, wanted)
    elif name.count(".") == 2:
        table = name
        export_format = _table_format(client, table)
    else:
        raise ValueError(f"billing table {name!r} must be 'project.dataset.table' or 'project.dataset'")
    if wanted not in ("auto", export_format):
        raise BillingExportError(f"GCP table {table} is configured as export_format {wanted!r} but has the columns "
                                 f"of the {export_format!r} export")
    return export_format, table
