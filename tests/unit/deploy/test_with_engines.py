"""deploy/local/with-engines.sh: start only the engines that are missing, stop only those.

The real engines.sh is replaced by a recorder in a copy of the folder, so the script's decisions
are checked without starting Kafka, FerretDB or MinIO (tests/system runs the real ones).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "deploy" / "local" / "with-engines.sh"

RECORDER = """#!/usr/bin/env bash
# Stand-in for engines.sh: prints a status from $FAKE_STATUS, records every other call.
case $1 in
status) printf '%b' "$FAKE_STATUS" ;;
*) echo "$1 ${*:2} engines=${TICKETING_ENGINES:-}" >>"$CALLS" ;;
esac
"""


def run(tmp_path: Path, status: str) -> list[str]:
    folder = tmp_path / "local"
    folder.mkdir()
    shutil.copy(SCRIPT, folder / "with-engines.sh")
    (folder / "engines.sh").write_text(RECORDER)
    calls = tmp_path / "calls"
    calls.touch()
    subprocess.run(
        ["bash", str(folder / "with-engines.sh"), "bash", "-c", "echo command >>$CALLS"],
        check=True,
        env={"PATH": "/usr/bin:/bin", "FAKE_STATUS": status, "CALLS": str(calls)},
    )
    return calls.read_text().splitlines()


RUNNING = "kafka     running  pid 1\\nferretdb  running  pid 2\\nminio     running  pid 3\\n"


def test_engines_already_running_are_used_and_left_running(tmp_path: Path) -> None:
    assert run(tmp_path, RUNNING) == ["command"]


@pytest.mark.parametrize(
    ("status", "started", "stopped"),
    [
        ("", "kafka ferretdb s3", "down "),
        (
            "kafka     running  pid 1\\nferretdb  stopped\\nminio     stopped\\n",
            "ferretdb s3",
            "down ferretdb minio",
        ),
        (
            "kafka     stopped\\nferretdb  running  pid 2\\nminio     running  pid 3\\n",
            "kafka",
            "down kafka",
        ),
    ],
)
def test_only_the_missing_engines_are_started_and_only_they_are_stopped(
    tmp_path: Path, status: str, started: str, stopped: str
) -> None:
    assert run(tmp_path, status) == [f"up  engines={started}", "command", f"{stopped} engines="]
