"""Fixtures: the demo marts (shared with tests/rill_dashboards) and their anonymized copy, made once
with a test key into database finops_anonymized and exported as parquet (the local mode)."""

from __future__ import annotations

import pytest

from tests.rill_dashboards.demo_marts import chdb_client, demo_marts

TEST_KEY = b"test-key-not-a-secret-0123456789"


@pytest.fixture(scope="session")
def marts(tmp_path_factory):
    return demo_marts(tmp_path_factory)


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
