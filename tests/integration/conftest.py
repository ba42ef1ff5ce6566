"""The integration suite: the production path against a real ClickHouse server.

Every test under tests/integration carries the `integration` marker. Without CLICKHOUSE_HOST the
suite is skipped (collected, reported with how to run it); see tests/integration/test_clickhouse.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)
