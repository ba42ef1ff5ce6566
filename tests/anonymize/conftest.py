"""Fixtures: the demo marts (shared with tests/rill_dashboards) and their anonymized copy, made once
with a test key into database finops_anonymized and exported as parquet (the local mode)."""

from __future__ import annotations

import pytest

from tests.helpers.anonymize import TEST_KEY
from tests.helpers.chdb import chdb_client


@pytest.fixture(scope="session")
def marts(demo_marts):
    return demo_marts  # the session's one demo build (tests/fixtures/demo_marts.py)


@pytest.fixture(scope="session")
def anonymized(marts):
    from include.anonymize import anonymize, export_copy
    from include.transform.config import sql_config

    client = chdb_client(marts["data_dir"])
    try:
        result = anonymize(client, TEST_KEY, {}, tag_keys=sql_config({})["tags"])
        result["parquet"] = export_copy(client, result["database"], list(result["tables"]), marts["data_dir"])
    finally:
        client.close()
    return result


@pytest.fixture
def client(marts):
    connection = chdb_client(marts["data_dir"])
    yield connection
    connection.close()
