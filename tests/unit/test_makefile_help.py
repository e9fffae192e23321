"""`make help` lists every public target with one line saying what it does, and `make` alone
prints the same list (and builds or starts nothing)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make(*args: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", "-s", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def _phony_targets() -> list[str]:
    text = (ROOT / "Makefile").read_text()
    found = re.search(r"^\.PHONY:(.*?)(?<!\\)\n", text, re.MULTILINE | re.DOTALL)
    assert found is not None
    return found.group(1).replace("\\\n", " ").split()


def test_every_public_target_is_listed_once_with_what_it_does() -> None:
    lines = _make("help").splitlines()
    listed = {}
    for line in lines:
        parts = re.fullmatch(r"  make (\S+)\s+(\S.*)", line)
        assert parts is not None, f"not a target line: {line!r}"
        assert parts.group(1) not in listed, f"{parts.group(1)} listed twice"
        listed[parts.group(1)] = parts.group(2)
    assert sorted(listed) == sorted(_phony_targets())
    assert "$(" not in "".join(listed.values())  # no unexpanded make variables


def test_make_without_a_target_prints_the_list_and_nothing_else() -> None:
    assert _make() == _make("help")
