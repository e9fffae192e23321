"""The MongoDB servers the read model contract suite runs on, and a database per test on them.

- `engines.mongodb_url`: the server at MONGODB_URL (FerretDB here, `make engines-up`).
- `CONTAINER.url`: a real MongoDB (the image deploy/compose.yaml runs, or MONGODB_IMAGE) started
  with testcontainers once per session where a container engine answers; the tests are skipped
  with the reason where none does (as here), or fail when TICKETING_REQUIRE_ENGINES lists
  `mongodb-container`, or when the container does not start.

Each test gets a database of its own, named after its scratch directory (so a second `make` in
the same test reopens it) and this run, and dropped once the test is over.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pymongo import AsyncMongoClient
from ticketing_query.adapters.readmodel_mongo import MongoReadModel

from tests import engines

if TYPE_CHECKING:
    from testcontainers.community.mongodb import MongoDbContainer

Url = Callable[[], str]

#: Tells this run's databases apart from those of other runs on the same server.
_RUN = uuid.uuid4().hex[:8]
MONGODB_IMAGE = os.environ.get("MONGODB_IMAGE", "mongo:8.0.13")
NO_CONTAINER_ENGINE = (
    "no container engine reachable to start a real MongoDB (testcontainers);"
    " the MongoDB read model runs on FerretDB here (MONGODB_URL)"
)


def database_for(directory: Path) -> str:
    """The test's own database: the same for every `make` of one test, unique across tests."""
    return f"test_readmodel_{_RUN}_{hashlib.sha256(bytes(directory)).hexdigest()[:16]}"


def maker(url: Url, *, guard_in_filter: bool | None = None) -> Callable[[Path], MongoReadModel]:
    def make(directory: Path) -> MongoReadModel:
        return MongoReadModel(
            url(), database=database_for(directory), guard_in_filter=guard_in_filter
        )

    return make


def dropper(url: Url) -> Callable[[Path], Awaitable[None]]:
    async def drop(directory: Path) -> None:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url())
        try:
            await client.drop_database(database_for(directory))
        finally:
            await client.close()

    return drop


class MongoDBContainer:
    """A real MongoDB for the session, started at first use, stopped when the tests end."""

    def __init__(self) -> None:
        self._url: str | None = None
        self._looked = False
        self._broken: str | None = None

    def url(self) -> str:
        if not self._looked:
            self._looked = True
            self._start()
        if self._url is not None:
            return self._url
        if self._broken is not None:
            pytest.fail(self._broken)
        if "mongodb-container" in engines.required():
            pytest.fail(
                f"mongodb-container is required (TICKETING_REQUIRE_ENGINES): {NO_CONTAINER_ENGINE}"
            )
        pytest.skip(NO_CONTAINER_ENGINE)

    def _start(self) -> None:
        if not _container_engine_answers():
            return
        from testcontainers.community.mongodb import MongoDbContainer

        container: MongoDbContainer = MongoDbContainer(MONGODB_IMAGE)
        try:
            container.start()
            self._url = container.get_connection_url()
        except Exception as error:  # then every test on it fails with this reason
            self._broken = f"the MongoDB container ({MONGODB_IMAGE}) did not start: {error!r}"
            container.stop()
            return
        atexit.register(container.stop)


def _container_engine_answers() -> bool:
    import docker
    from docker.errors import DockerException

    try:
        docker.from_env().ping()
    except DockerException:  # a client with no daemon to talk to, or no engine at all
        return False
    return True


CONTAINER = MongoDBContainer()
