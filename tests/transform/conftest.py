"""Fixtures of the SQL layer tests: a data folder per test (raw parquet + embedded ClickHouse)."""

import pytest


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_DESTINATION", "filesystem")
    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path))
    return tmp_path
