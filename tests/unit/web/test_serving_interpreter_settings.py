"""Every process that serves runs with a short GIL switch interval (its SQLite threads take the
GIL back after each statement step, and at Python's default 5 ms they queued behind a busy event
loop for so long that read-your-writes lag went from milliseconds to seconds under load) and with
the garbage collector's serving thresholds (a young collection every few requests cost ~13% of a
command's CPU)."""

from __future__ import annotations

import gc
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from ticketing_web.serve import GC_THRESHOLDS, SWITCH_INTERVAL_SECONDS, run_server

from ticketing import serve_embedded


@pytest.fixture
def default_interval() -> Iterator[None]:
    """Python's defaults for the test, and what the test runner had put back afterwards."""
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(0.005)
    gc.set_threshold(700, 10, 10)
    yield
    sys.setswitchinterval(interval)
    gc.set_threshold(*thresholds)
    gc.unfreeze()


@pytest.fixture
def interval_when_serving(
    monkeypatch: pytest.MonkeyPatch,
) -> list[tuple[float, tuple[int, int, int]]]:
    """uvicorn's Server.run replaced by one that notes the interval it started with."""
    seen: list[tuple[float, tuple[int, int, int]]] = []

    def run(self: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        seen.append((sys.getswitchinterval(), gc.get_threshold()))
        self.started = True

    monkeypatch.setattr(uvicorn.Server, "run", run)
    return seen


def test_the_interval_is_well_under_pythons_default_and_collections_rarer() -> None:
    assert 0 < SWITCH_INTERVAL_SECONDS <= 0.001
    assert GC_THRESHOLDS[0] >= 10_000


def test_a_service_process_serves_with_short_gil_turns_and_rarer_collections(
    default_interval: None, interval_when_serving: list[tuple[float, tuple[int, int, int]]]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        run_server(uvicorn.Config(app=lambda *_: None, log_config=None), [sock])
    assert interval_when_serving == [(SWITCH_INTERVAL_SECONDS, GC_THRESHOLDS)]


def test_the_embedded_process_serves_with_short_gil_turns_and_rarer_collections(
    default_interval: None,
    interval_when_serving: list[tuple[float, tuple[int, int, int]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TICKETING_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("ticketing.embedded.create_embedded_app", lambda: None)
    code = serve_embedded.run_embedded(host="127.0.0.1", port=0, data_dir=tmp_path, dev_mode=True)
    assert code == 0
    assert interval_when_serving == [(SWITCH_INTERVAL_SECONDS, GC_THRESHOLDS)]
