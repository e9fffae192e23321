"""The end-to-end scenario (tests/scenario.py) against the embedded process, `ticketing run`,
over real HTTP: the same story the distributed processes must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenario import run_scenario

from .servers import Server, killed_at_exit

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_the_embedded_process_passes_the_end_to_end_scenario(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", tmp_path / "server.log")
    with killed_at_exit(server):
        server.start()
        await server.wait_healthy()
        await run_scenario(server.url)
