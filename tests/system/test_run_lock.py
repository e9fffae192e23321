"""`ticketing run` holds its data directory: `ticketing rebuild` on it is refused (exit 2, with
the reason) while the server lives, and runs once it is gone, saying what it reads; a server
does not start under a running rebuild. Real processes: the lock must hold across them, and a
server killed -9 must not leave it behind."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ticketing.data_dir_lock import held_exclusively

from .servers import Server, headers_for, killed_at_exit

pytestmark = pytest.mark.slow

NEW_TICKET = {
    "title": "درخواست پیش فاکتور",
    "department": "finance",
    "priority": "normal",
    "body": "لطفاً پیش فاکتور ارتقای پنل را بفرستید.",
}


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
    env |= {"TICKETING_DATA_DIR": str(data_dir), "TICKETING_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "ticketing.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_rebuild_is_refused_while_the_server_runs_and_reads_the_store_once_it_is_gone(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    server = Server(data_dir, tmp_path / "server.log")
    with killed_at_exit(server):
        server.start()
        await server.wait_healthy()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            opened = await client.post(
                "/v1/tickets", json=NEW_TICKET, headers=headers_for("customer", "مشتری-۱")
            )
        assert opened.status_code == 201, opened.text
        position = opened.json()["position"]
        log = server.log.read_text()
        assert f"  panel:   {server.url}/panel/" in log
        assert f"  sign in: {server.url}/panel/login  (dev mode)" in log

        refused = _cli(data_dir, "rebuild")
        assert refused.returncode == 2, refused.stderr
        assert f"a ticketing server is running on {data_dir}" in refused.stderr
        assert "rebuild:" not in refused.stderr  # it did not start
        server.kill()  # kill -9: the kernel lets go of the lock with the process

    rebuilt = _cli(data_dir, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    first = rebuilt.stderr.splitlines()[0]
    assert first == (
        f"rebuild: reading the event store sqlite:///{data_dir / 'events.db'}: "
        f"{position:,} events; rebuilding the read model sqlite:///{data_dir / 'query.db'}"
    )
    assert "eta inf" not in rebuilt.stderr


def test_a_server_does_not_start_while_a_rebuild_holds_the_data_directory(
    tmp_path: Path,
) -> None:
    with held_exclusively(tmp_path):
        refused = _cli(tmp_path, "run", "--port", "0")
    assert refused.returncode == 2, refused.stderr
    assert "locked by a running `ticketing rebuild`" in refused.stderr
    assert "listening" not in refused.stdout


def test_a_port_another_program_holds_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        refused = _cli(tmp_path, "run", "--port", str(port))
    assert refused.returncode == 1, refused.stderr
    assert refused.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in refused.stderr
