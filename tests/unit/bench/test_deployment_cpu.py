"""The http bench's CPU per command counts every process a deployment runs, not only the one
it started: a child's CPU is in the total, and the count of processes says how many were read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.http_bench import _cpu_seconds, _tree_cpu_seconds

#: A child that burns 0.6 s of CPU, then waits to be killed.
_CHILD = "\n".join(
    [
        "import time",
        "end = time.process_time() + 0.6",
        "while time.process_time() < end: pass",
        "time.sleep(60)",
    ]
)
#: A parent that starts that child, then waits to be killed.
_PARENT = "\n".join(
    [
        "import subprocess, sys, time",
        f"subprocess.Popen([sys.executable, '-c', {_CHILD!r}])",
        "time.sleep(60)",
    ]
)


def test_a_childs_cpu_is_counted_with_its_parents() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT])
    try:
        deadline = time.monotonic() + 20
        total, processes = _tree_cpu_seconds(parent.pid)
        while (
            processes < 2 or total - _cpu_seconds(parent.pid) < 0.5
        ) and time.monotonic() < deadline:
            time.sleep(0.1)
            total, processes = _tree_cpu_seconds(parent.pid)
        assert processes == 2
        assert total - _cpu_seconds(parent.pid) >= 0.5  # the child's busy loop
    finally:
        children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()
        for child in children:
            os.kill(int(child), signal.SIGKILL)
        parent.kill()
        parent.wait()


def test_a_process_that_has_ended_counts_as_nothing() -> None:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    assert _tree_cpu_seconds(done.pid) == (0.0, 0)
