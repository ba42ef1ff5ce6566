"""The source's one error type, and Google API errors turned into it (naming the table)."""

from __future__ import annotations


class BillingExportError(RuntimeError):
    """The billing export table cannot be read as configured (missing, schema, permissions)."""


def wrap_error(table: str, exc: Exception, doing: str) -> BillingExportError:
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.NotFound):
        msg = f"GCP billing export table {table} was not found while {doing} (check project, dataset and table name): {exc}"
    elif isinstance(exc, (gexc.Forbidden, gexc.Unauthorized)):
        msg = (
            f"permission denied on GCP billing export table {table} while {doing}: the credentials need "
            f"bigquery.tables.get / bigquery.tables.getData on the table and bigquery.jobs.create on the "
            f"project: {exc}"
        )
    else:
        msg = f"reading GCP billing export table {table} failed while {doing}: {exc}"
    return BillingExportError(msg)
