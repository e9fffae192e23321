"""The embedded app in a real uvicorn process on 127.0.0.1, and the people who use it.

`LiveServer` binds a socket to port 0 here, hands it to the child (`serve.py`), and waits for
`/healthz`; `token_for` mints tokens the way `ticketing token` does (HS256, the dev secret).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from ticketing_tickets.settings import DEV_JWT_SECRET
from ticketing_web.auth import mint_token

REPO = Path(__file__).resolve().parents[2]
BRAND = "acme"
OTHER_BRAND = "shahrvand"


def token_for(role: str, sub: str, *, brand: str = BRAND, ttl: int = 1800, **claims: Any) -> str:
    """A token as `ticketing token --role ROLE --sub SUB --brand BRAND …` prints it."""
    return mint_token(
        secret=DEV_JWT_SECRET,
        sub=sub,
        role=role,  # type: ignore[arg-type]
        brand=brand,
        ttl_seconds=ttl,
        now=int(time.time()),
        **claims,
    )


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, token: str) -> httpx.Client:
        """A plain API client for one person (for setting up and checking what the panel wrote)."""
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )


@contextlib.contextmanager
def live_server(data_dir: Path, log: Path) -> Iterator[LiveServer]:
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(128)
    port = listening.getsockname()[1]
    # A developer's own TICKETING_* settings must not leak into the test server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
    env |= {
        "TICKETING_MODE": "dev",
        "TICKETING_DATA_DIR": str(data_dir),
        "TICKETING_LOG_LEVEL": "WARNING",
        "TICKETING_PANEL_BASE_URL": f"http://127.0.0.1:{port}",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.browser.serve", str(listening.fileno())],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(listening.fileno(),),
        )
    listening.close()  # the child holds its own copy
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_healthy(server)
        yield server
    finally:
        _stop(process)


def _wait_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + 30
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{server.log.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server was not healthy in 30 s:\n{server.log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
