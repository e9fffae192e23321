"""The attacked world, built once per module, and the per-category summary at the end of the
run ("requests tried, leaks, 5xx")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from .probe import summary_lines
from .world import World, built_world


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.security)


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["memory", "sqlite"])
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    """The world on in-memory stores, then on SQLite files (FTS5 search, on-disk blobs)."""
    on_disk = request.param == "sqlite"
    async with built_world(tmp_path_factory.mktemp("world"), on_disk=on_disk) as built:
        yield built


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = summary_lines()
    if lines:
        terminalreporter.section("security probes")
        for line in lines:
            terminalreporter.write_line(line)
