"""The local FerretDB launcher gives every collection an index its `_id` lookups use.

FerretDB 1.24's own `_id` index is built on another expression than the one its `_id` pushdown
queries with, so without ours every find, update and delete by `_id` scans the whole table
(deploy/local/ferretdb/idindex.go). Checked in the SQLite files of a FerretDB of the test's own.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from tests.engines import mongodb_url

from .private_engines import PrivateEngine

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PUSHDOWN = "SELECT _ferretdb_sjson FROM {table} WHERE _ferretdb_sjson->'$._id' = ?"


@pytest.fixture(scope="module")
def ferretdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateEngine]:
    mongodb_url()  # the shared FerretDB answering means the launcher is built and cached
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
    engine = PrivateEngine("ferretdb", tmp_path_factory.mktemp("ferretdb-index"), env)
    engine.up()
    try:
        yield engine
    finally:
        engine.down()


def plans(engine: PrivateEngine, database: str, collection: str, within: float = 10) -> str:
    """SQLite's plan for the `_id` pushdown on the collection's table, once it is indexed."""
    path = engine.run_dir / "ferretdb" / "data" / f"{database}.sqlite"
    deadline = time.monotonic() + within
    while True:
        plan = _plan(path, collection)
        if "USING INDEX" in plan or time.monotonic() > deadline:
            return plan
        time.sleep(0.1)


def _plan(path: Path, collection: str) -> str:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        (table,) = db.execute(
            "SELECT table_name FROM _ferretdb_collections WHERE name = ?", (collection,)
        ).fetchone()
        rows = db.execute("EXPLAIN QUERY PLAN " + PUSHDOWN.format(table=f'"{table}"'), ("x",))
        return " ".join(str(row[-1]) for row in rows)


def test_every_collection_gets_an_index_its_id_lookups_use(ferretdb: PrivateEngine) -> None:
    with MongoClient(ferretdb.address) as client:
        db = client["indexed"]
        db["tickets"].insert_many([{"_id": f"t{n}", "n": n} for n in range(500)])
        assert "USING INDEX" in plans(ferretdb, "indexed", "tickets")
        assert "ticketing_id_path" in plans(ferretdb, "indexed", "tickets")

        db["messages"].insert_one({"_id": "m1"})  # a collection made later, in the same file
        assert "USING INDEX" in plans(ferretdb, "indexed", "messages")

        db.drop_collection("tickets")  # a new table under the same name gets one again
        db["tickets"].insert_one({"_id": "t1"})
        assert "USING INDEX" in plans(ferretdb, "indexed", "tickets")

        found = db["tickets"].find_one({"_id": "t1"})
        assert found == {"_id": "t1"}
        assert db["tickets"].index_information().keys() == {"_id_"}  # ours is not listed
