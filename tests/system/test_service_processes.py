"""Each service as its own process (`python -m ticketing_<service>`, `python -m
ticketing.gateway`): it starts from its environment alone, answers on TICKETING_PORT, and
stops gracefully on SIGTERM (exit 0, its lifespan shutdown run). Here on SQLite files, the way
a standalone service runs beside the embedded store; the distributed e2e test runs them on the
real engines."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .servers import free_port

pytestmark = pytest.mark.slow

MODULES = {
    "ticketing_tickets": "/readyz",
    "ticketing_query": "/readyz",
    "ticketing_attachments": "/readyz",
    "ticketing_notifications": "/readyz",
    "ticketing.gateway": "/healthz",  # ready only with its upstreams
}


@pytest.mark.parametrize("module", list(MODULES))
def test_a_service_process_serves_on_its_port_and_stops_cleanly_on_sigterm(
    module: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
    env |= {
        "TICKETING_PORT": str(port),
        "TICKETING_DATA_DIR": str(tmp_path),
        "TICKETING_EVENT_STORE_URL": f"sqlite:///{tmp_path / 'events.db'}",
        "TICKETING_INTERNAL_TOKEN": "a-token-for-this-test-only",
    }
    log = tmp_path / "process.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module], env=env, stdout=out, stderr=subprocess.STDOUT
        )
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
