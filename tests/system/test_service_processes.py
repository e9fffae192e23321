"""Each service as its own process (`python -m ticketing_<service>`, `python -m
ticketing.gateway`): it starts from its environment alone, answers on the listening socket it
inherits (TICKETING_LISTEN_FD, as `ticketing.distributed` hands them over: bound here on a port
the kernel picks, so no other program can take it before the process serves), and stops
gracefully on SIGTERM (exit 0, its lifespan shutdown run). Here on SQLite files, the way
a standalone service runs beside the embedded store; the distributed e2e test runs them on the
real engines."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

MODULES = {
    "ticketing_tickets": "/readyz",
    "ticketing_query": "/readyz",
    "ticketing_attachments": "/readyz",
    "ticketing_notifications": "/readyz",
    "ticketing.gateway": "/healthz",  # ready only with its upstreams
}


@pytest.mark.parametrize("module", list(MODULES))
def test_a_service_process_serves_on_the_socket_it_inherits_and_stops_cleanly_on_sigterm(
    module: str, tmp_path: Path
) -> None:
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
    env |= {
        "TICKETING_LISTEN_FD": str(listening.fileno()),
        "TICKETING_PORT": "1",  # never bound: the inherited socket wins
        "TICKETING_DATA_DIR": str(tmp_path),
        "TICKETING_EVENT_STORE_URL": f"sqlite:///{tmp_path / 'events.db'}",
        "TICKETING_INTERNAL_TOKEN": "a-token-for-this-test-only",
    }
    log = tmp_path / "process.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(listening.fileno(),),
        )
    listening.close()  # the process holds it now; the port stays bound while it runs
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"not answering in 30 s:\n{log.read_text()}"
            try:
                if httpx.get(f"http://127.0.0.1:{port}{MODULES[module]}").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal so that the exit status
        # says what stopped it: -SIGTERM, after the lifespan's shutdown has run.
        assert process.wait(timeout=20) in (0, -signal.SIGTERM), log.read_text()
        assert "Application shutdown complete" in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
