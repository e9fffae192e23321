"""Imports point inward: what a layer loads when it is imported (issue 11, clean package edges).

Each package is imported with every one of its modules in a fresh interpreter, and `sys.modules`
is then searched for the libraries that layer must not load. Only `bootstrap.py` picks adapters,
so an application layer that drags in SQLite, Kafka, MongoDB, S3 or an HTTP stack has an adapter
leaking through a package `__init__` or a module-level import.

pydantic is not refused at run time: the contract's event models are pydantic models and the
domains fold them. What a domain module itself imports is checked statically instead (the second
test), so none of them reaches for pydantic, structlog or the web stack directly.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

STORAGE_BROKER_HTTP = ("sqlite3", "aiokafka", "pymongo", "minio", "httpx", "fastapi", "starlette")
#: A domain, and the shared model of a ticket, also stay out of logging and settings libraries.
DOMAIN_EXTRA = ("structlog", "pydantic_settings", "uvicorn", "prometheus_client")

SERVICES = ("tickets", "query", "attachments", "notifications")

#: (what is imported, what must then be absent); a name ending in ".*" is the package and
#: every module in it.
PACKAGES: list[tuple[str, tuple[str, ...]]] = [
    *((f"ticketing_{service}.application.*", STORAGE_BROKER_HTTP) for service in SERVICES),
    *(
        (f"ticketing_{service}.domain.*", STORAGE_BROKER_HTTP + DOMAIN_EXTRA)
        for service in SERVICES
    ),
    ("ticketing_model.*", STORAGE_BROKER_HTTP + DOMAIN_EXTRA),
    # The ports' packages: importing a lib and its port must not open its adapters.
    ("ticketing_eventstore.ports", STORAGE_BROKER_HTTP),
    ("ticketing_feed.ports", STORAGE_BROKER_HTTP),
]

PROBE = """
import importlib, json, pkgutil, sys
name = sys.argv[1]
package = importlib.import_module(name.removesuffix(".*"))
if name.endswith(".*"):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
print(json.dumps(sorted(name for name in sys.argv[2:] if name in sys.modules)))
"""


def loaded_by(target: str, forbidden: tuple[str, ...]) -> list[str]:
    """The forbidden top-level modules present after importing `target` (its parent packages
    too, as Python does)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, target, *forbidden],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stdout)
    return found


@pytest.mark.parametrize(("target", "forbidden"), PACKAGES, ids=[name for name, _ in PACKAGES])
def test_importing_a_layer_loads_no_storage_broker_or_http_library(
    target: str, forbidden: tuple[str, ...]
) -> None:
    assert loaded_by(target, forbidden) == []


def test_the_probe_notices_a_library_that_is_loaded() -> None:
    # The adapters' module does load SQLite: the probe must say so, or the table above proves
    # nothing.
    assert loaded_by("ticketing_eventstore.sqlite", ("sqlite3", "pymongo")) == ["sqlite3"]


DIRECT_IMPORTS_REFUSED_IN_DOMAIN = frozenset(
    {"pydantic", "pydantic_settings", "structlog", "fastapi", "starlette", "httpx", "sqlite3"}
)


def domain_modules() -> list[Path]:
    services = sorted((ROOT / "services").glob("*/src/*/domain/**/*.py"))
    model = sorted((ROOT / "libs" / "ticketmodel" / "src" / "ticketing_model").glob("**/*.py"))
    return services + model


def top_level_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_domain_module_imports_pydantic_logging_or_the_web_stack_itself() -> None:
    modules = domain_modules()
    assert len(modules) > 10  # the glob found the domains
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            top_level_imports(path) & DIRECT_IMPORTS_REFUSED_IN_DOMAIN
        )
        for path in modules
        if top_level_imports(path) & DIRECT_IMPORTS_REFUSED_IN_DOMAIN
    }
    assert offenders == {}
