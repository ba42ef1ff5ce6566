"""The peak memory figure every benchmark reports for its own measuring process."""

from __future__ import annotations

import resource
from pathlib import Path


def own_peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM). Not getrusage: Linux carries ru_maxrss across
    fork+exec, so a child would report the benchmark parent's size when that is larger."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
