"""The real server as a child process, for the system tests that start one or two.

`Server` runs `python -m ticketing.cli run` on a free port and a data directory, with its
output in a log file; `headers_for` mints the bearer token of a caller of brand `BRAND`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from ticketing_tickets.settings import DEV_JWT_SECRET
from ticketing_web.auth import mint_token

BRAND = "acme"


def headers_for(role: str, sub: str, **claims: Any) -> dict[str, str]:
    token = mint_token(
        secret=DEV_JWT_SECRET,
        sub=sub,
        role=role,  # type: ignore[arg-type]
        brand=BRAND,
        ttl_seconds=600,
        now=int(time.time()),
        **claims,
    )
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """One `ticketing run` process on a data directory."""

    data_dir: Path
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
        env |= {"TICKETING_DATA_DIR": str(self.data_dir), "TICKETING_LOG_LEVEL": "WARNING"}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ticketing.cli", "run", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 15
        async with httpx.AsyncClient(base_url=self.url, timeout=1) as client:
            while True:
                assert self.process.poll() is None, f"server exited:\n{self.log.read_text()}"
                assert time.monotonic() < deadline, f"not healthy in 15 s:\n{self.log.read_text()}"
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """`kill -9`, and wait for the process to be gone (a no-op once it is)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@contextlib.contextmanager
def killed_at_exit(*servers: Server) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            server.kill()
