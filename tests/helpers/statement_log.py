"""pytest plugin (`-p tests.helpers.statement_log`): when FINOPS_STATEMENT_LOG names a folder, every statement a
test sends to ClickHouse is written there once it ran, one JSON line each ({"kind": "command" | "query", "sql",
"parameters", "failed"}), a file per test. `make compat` replays those files on ClickHouse 24.8 (tools/clickhouse_24/replay.py)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest


class _LoggingClient:
    """A clickhouse-connect client that writes each command and query it ran to `log`."""

    def __init__(self, client, log):
        self._client, self._log = client, log

    def __getattr__(self, name):
        return getattr(self._client, name)

    def _run(self, kind: str, sql: str, args, kwargs):
        failed = True
        try:
            result = getattr(self._client, kind)(sql, *args, **kwargs)
            failed = False
            return result
        finally:  # after it ran, with whether it failed: a test may send a statement that must fail
            self._log.write(json.dumps({"kind": kind, "sql": sql, "parameters": kwargs.get("parameters"),
                                        "failed": failed}, default=str) + "\n")
            self._log.flush()

    def command(self, cmd, *args, **kwargs):
        return self._run("command", cmd, args, kwargs)

    def query(self, sql, *args, **kwargs):
        return self._run("query", sql, args, kwargs)


@pytest.fixture(autouse=True)
def _statement_log(request, monkeypatch):
    folder = os.environ.get("FINOPS_STATEMENT_LOG")
    if not folder:
        yield
        return
    import include.clickhouse
    import include.transform.run

    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-200:]
    with open(Path(folder) / f"{name}.jsonl", "w") as log:
        opened = include.clickhouse.clickhouse_client

        def logging_client(*args, **kwargs):
            return _LoggingClient(opened(*args, **kwargs), log)

        # run.py imported the function by name; the others import it when they run
        monkeypatch.setattr(include.clickhouse, "clickhouse_client", logging_client)
        monkeypatch.setattr(include.transform.run, "clickhouse_client", logging_client)
        yield
