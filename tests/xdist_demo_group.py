"""Under pytest-xdist (`make test` runs `-n auto --dist loadgroup`), every test that reads the session's demo
build (fixture `demo_marts`, directly or through another fixture) runs on one worker, so the demo is built once,
not once per worker; likewise the tests of a module that share a module-scoped fixture.

pytest-xdist 3.8's own `loadgroup` renames each node id to carry its `xdist_group` mark, through an attribute
pytest 9 no longer reads: its groups are silently ignored. This does the same with xdist's public scheduler
hook: each worker writes the node ids of its demo tests to a folder the controller made, and the controller's
scheduler gives those one scope (every other test is a scope of its own, as with `load`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

GROUP = "demo_marts"
# Units handed out before any other, in this order (by scope prefix): the longest ones, so that none is left
# running alone on one worker at the end of the suite (test_local_airflow runs a real scheduler: 94 to 287 s).
FIRST = (GROUP, "tests/runners/test_local_airflow.py", "tests/runners/test_demo_end_to_end.py")
FOLDER_VARIABLE = "FINOPS_TEST_GROUPS_DIR"  # inherited by the workers, which start after pytest_configure


def pytest_configure(config):
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        os.environ[FOLDER_VARIABLE] = tempfile.mkdtemp(prefix="finops-test-groups-")


def _unit(item) -> str | None:
    """The demo group, or the module of a test that shares a module- or class-scoped fixture (built once per
    worker that runs any of its tests), or None: a unit of its own."""
    if GROUP in item.fixturenames:
        return GROUP
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})  # pytest's own record
    if any(d.scope in ("module", "class") for defs in definitions.values() for d in defs):
        return item.nodeid.split("::", 1)[0]
    return None


@pytest.hookimpl(trylast=True)  # after -k / -m deselection: the ids the worker reports
def pytest_collection_modifyitems(config, items):
    folder = os.environ.get(FOLDER_VARIABLE)
    if folder and hasattr(config, "workerinput"):
        units = {item.nodeid: unit for item in items if (unit := _unit(item))}
        Path(folder, f"{config.workerinput['workerid']}.json").write_text(json.dumps(units))


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class DemoGroupScheduling(LoadScopeScheduling):
        """`load`, but the demo tests are one unit and so are the tests of a module sharing a module-scoped
        fixture; the FIRST units are handed out first."""

        units: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.units is None:  # first called once every worker has collected, so has written its ids
                self.units = {}
                for path in Path(os.environ[FOLDER_VARIABLE]).glob("*.json"):
                    self.units.update(json.loads(path.read_text()))
            return self.units.get(nodeid, nodeid)

        def _assign_work_unit(self, node) -> None:
            for prefix in reversed(FIRST):  # each FIRST unit still queued moves to the front, in FIRST's order
                if scope := next((s for s in self.workqueue if s.startswith(prefix)), None):
                    self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return DemoGroupScheduling(config, log)
