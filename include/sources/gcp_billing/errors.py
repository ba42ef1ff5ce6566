"""The source's one error type, and Google API errors turned into it (naming the table)."""

from __future__ import annotations


class BillingExportError(RuntimeError):
    """The billing export table cannot be read as configured (missing, schema, permissions)."""


def wrap_error(table: str, exc: Exception, doing: str, what: str = "GCP billing export table") -> BillingExportError:
    """`exc` (a Google API error) as a BillingExportError naming `what` (the kind of table) `table`."""
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.NotFound):
        msg = f"{what} {table} was not found while {doing} (check project, dataset and table name): {exc}"
    elif isinstance(exc, (gexc.Forbidden, gexc.Unauthorized)):
        msg = (
            f"permission denied on {what} {table} while {doing}: the credentials need "
            f"bigquery.tables.get / bigquery.tables.getData on the table and bigquery.jobs.create on the "
            f"project: {exc}"
        )
    else:
        msg = f"reading {what} {table} failed while {doing}: {exc}"
    return BillingExportError(msg)
