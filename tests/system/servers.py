"""The real server as a child process, for the system tests that start one or two.

`Server` runs `python -m ticketing.cli run --port 0` on a data directory, with its output in a
log file, and learns its port from the line the server prints once it listens (a port picked
here and bound later by the server could be taken by another program in between);
`headers_for` mints the bearer token of a caller of brand `BRAND`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
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

from ticketing.serve_embedded import LISTENING

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


ANNOUNCED = re.compile(rf"^{re.escape(LISTENING)} http://127\.0\.0\.1:(\d+)$", re.MULTILINE)


def announced_port(output: str) -> int | None:
    """The port a `ticketing run --port 0` printed it listens on, if it has yet."""
    found = ANNOUNCED.search(output)
    return int(found.group(1)) if found else None


@dataclass
class Server:
    """One `ticketing run` process on a data directory."""

    data_dir: Path
    log: Path
    port: int | None = None  # known once it listens (`wait_healthy`)
    process: subprocess.Popen[bytes] | None = None
    _log_start: int = field(default=0, repr=False)  # where this start's output begins

    @property
    def url(self) -> str:
        assert self.port is not None, "not listening yet: wait_healthy() first"
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
        env |= {"TICKETING_DATA_DIR": str(self.data_dir), "TICKETING_LOG_LEVEL": "WARNING"}
        self._log_start = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ticketing.cli", "run", "--port", "0"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 15
        self.port = None  # a new process: a new port
        while self.port is None:
            assert self.process.poll() is None, f"server exited:\n{self.log.read_text()}"
            assert time.monotonic() < deadline, f"not listening in 15 s:\n{self.log.read_text()}"
            with self.log.open("rb") as log:
                log.seek(self._log_start)
                self.port = announced_port(log.read().decode(errors="replace"))
            await asyncio.sleep(0.05)
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
