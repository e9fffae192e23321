"""Where the real engines are, for the tests marked `integration`.

Addresses come from the environment (KAFKA_BOOTSTRAP, MONGODB_URL, S3_URL, S3_ACCESS_KEY,
S3_SECRET_KEY, KURRENTDB_URL), else from `var/engines/env`, which `make engines-up` writes. An
engine that does not answer a TCP connect is skipped with the reason, unless its name is listed in
TICKETING_REQUIRE_ENGINES (comma-separated; `.ci/run` sets it): then the test fails instead, so CI
can never pass by skipping what it promised to run.
"""

from __future__ import annotations

import os
import shlex
import socket
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / "var" / "engines" / "env"


@cache
def _env_file() -> dict[str, str]:
    """The `export NAME=value` lines of var/engines/env (empty if there is none)."""
    values: dict[str, str] = {}
    if not ENV_FILE.is_file():
        return values
    for line in ENV_FILE.read_text().splitlines():
        line = line.strip().removeprefix("export ").strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, raw = line.partition("=")
        parts = shlex.split(raw)
        values[name.strip()] = parts[0] if parts else ""
    return values


def setting(name: str, default: str | None = None) -> str | None:
    """An engine setting: the environment first, then var/engines/env, then `default`."""
    return os.environ.get(name) or _env_file().get(name) or default


def required() -> set[str]:
    names = os.environ.get("TICKETING_REQUIRE_ENGINES", "")
    return {name.strip() for name in names.split(",") if name.strip()}


def _answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    if "://" not in address:
        address = f"tcp://{address}"
    parts = urlsplit(address)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def _unavailable(engine: str, why: str) -> None:
    if engine in required():
        pytest.fail(f"{engine} is required (TICKETING_REQUIRE_ENGINES) but {why}")
    pytest.skip(f"{engine}: {why} (run `make engines-up`)")


def kafka_bootstrap() -> str:
    """`host:port` of a Kafka broker that answers, else skip (or fail when required)."""
    address = setting("KAFKA_BOOTSTRAP")
    if not address:
        _unavailable("kafka", "KAFKA_BOOTSTRAP is not set and var/engines/env has none")
    assert address is not None
    first = address.split(",")[0]
    if not _answers(*_host_port(first, 9092)):
        _unavailable("kafka", f"nothing answers at {first}")
    return address


def mongodb_url() -> str:
    """A MongoDB wire-protocol URL that answers (FerretDB here), else skip (or fail)."""
    url = setting("MONGODB_URL")
    if not url:
        _unavailable("mongodb", "MONGODB_URL is not set and var/engines/env has none")
    assert url is not None
    if not _answers(*_host_port(url.split(",")[0], 27017)):
        _unavailable("mongodb", f"nothing answers at {url}")
    return url


@cache
def _s3() -> tuple[str, str, str] | None:
    url, key, secret = setting("S3_URL"), setting("S3_ACCESS_KEY"), setting("S3_SECRET_KEY")
    if not (url and key and secret):
        return None
    return url, key, secret


def s3() -> tuple[str, str, str]:
    """(endpoint URL, access key, secret key) of an S3 store that answers, else skip (or fail)."""
    found = _s3()
    if found is None:
        _unavailable("s3", "S3_URL / S3_ACCESS_KEY / S3_SECRET_KEY are not set")
    assert found is not None
    if not _answers(*_host_port(found[0], 9000)):
        _unavailable("s3", f"nothing answers at {found[0]}")
    return found


def kurrentdb_url() -> str:
    """A KurrentDB/EventStoreDB connection string that answers, else skip (or fail).

    No KurrentDB can be installed on these machines (no container engine); where one exists,
    KURRENTDB_URL names it (the tests' conftest may start one with testcontainers).
    """
    url = setting("KURRENTDB_URL")
    if not url:
        _unavailable(
            "kurrentdb",
            "KURRENTDB_URL is not set and no container engine is reachable to start one",
        )
    assert url is not None
    if not _answers(*_host_port(url.split(",")[0].replace("kurrentdb://", "tcp://"), 2113)):
        _unavailable("kurrentdb", f"nothing answers at {url}")
    return url
