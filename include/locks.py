"""Exclusive, re-entrant file locks that a killed process cannot leave behind.

Used to serialise the runs of one dlt pipeline (include/pipelines.py) and the use of one embedded
ClickHouse folder (include/clickhouse.py): both break when two processes share them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from include import settings

log = logging.getLogger(__name__)


class PipelineBusyError(RuntimeError):
    """Another process held the lock (of a pipeline, or an embedded database) for longer than we wait."""


_held_locks: dict[str, tuple[Any, int]] = {}  # lock path -> (open file, depth): re-entrant per process


@contextmanager
def exclusive_lock(path: Path, what: str, timeout_seconds: float | None = None) -> Iterator[None]:
    """Hold an exclusive `flock` on `path` (created if missing) for the block; wait for it at most
    `timeout_seconds` (settings.lock_timeout_seconds()), then PipelineBusyError naming `what` and the
    holder. The kernel releases the lock when the holding process dies, even by SIGKILL, so a
    killed run never leaves a lock that blocks later runs. Re-entrant within a process."""
    import fcntl
    import time

    key = str(path)
    if key in _held_locks:
        handle, depth = _held_locks[key]
        _held_locks[key] = (handle, depth + 1)
        try:
            yield
        finally:
            handle, depth = _held_locks[key]
            _held_locks[key] = (handle, depth - 1)
        return
    timeout = settings.lock_timeout_seconds() if timeout_seconds is None else timeout_seconds
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - kept open for as long as the lock is held
    deadline, logged = time.monotonic() + timeout, False
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                if time.monotonic() >= deadline:
                    raise PipelineBusyError(
                        f"{what} is in use by {holder} (lock {path}); gave up after waiting {timeout:g}s. "
                        "Runs of the same pipeline take turns: retry when that run has finished."
                    ) from None
                if not logged:
                    log.warning("%s is in use by %s: waiting up to %gs for it (lock %s)", what, holder, timeout, path)
                    logged = True
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")
        handle.flush()
        _held_locks[key] = (handle, 1)
        try:
            yield
        finally:
            del _held_locks[key]
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()
