"""Run a load or SQL build in a child process (tests/faults/child.py) that SIGKILLs itself at a named point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_child(job: str, point: str = "none", timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run a load or SQL build in a child process (tests/faults/child.py), killed at `point`."""
    environment = {**os.environ, **{k: str(v) for k, v in env.items()}}
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "plugins")])
    return subprocess.run([sys.executable, "-m", "tests.faults.child", job, point], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def assert_killed(result: subprocess.CompletedProcess, point: str) -> None:
    assert result.returncode == -signal.SIGKILL, (
        f"the child was to die at {point}, rc {result.returncode}\n{result.stdout}\n{result.stderr[-4000:]}"
    )
    assert f"fault: SIGKILL at {point}" in result.stderr
