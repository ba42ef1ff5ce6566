"""The BigQuery client the source reads with, built from an Airflow connection (the loader's side)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_KEY_FIELDS = ("key_path", "keyfile_dict", "credential_config_file", "key_secret_name")


def client_from_connection(conn_id: str = "google_cloud_default", location: str | None = None):
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
