"""The panel is a client of the public API only: it imports no service and no store."""

from __future__ import annotations

import ast
from pathlib import Path

import ticketing_panel

FORBIDDEN = (
    "ticketing_tickets",
    "ticketing_query",
    "ticketing_attachments",
    "ticketing_notifications",
    "ticketing_eventstore",
    "ticketing_feed",
    "ticketing.",
    "sqlite3",
    "pymongo",
    "minio",
)


def _imports(source: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_module_of_the_panel_imports_a_service_or_a_store() -> None:
    root = Path(ticketing_panel.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) > 10
    for module in modules:
        for name in _imports(module):
            assert not f"{name}.".startswith(FORBIDDEN), f"{module.name} imports {name}"
