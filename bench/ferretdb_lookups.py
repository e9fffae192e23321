"""Operations by `_id` on the shared FerretDB as a collection grows (deploy/local/README.md).

    .venv/bin/python -m bench.ferretdb_lookups

For 1,000, 5,000 and 20,000 documents of ~400 bytes in a scratch database (dropped at the end):
200 `find_one` by `_id`, 200 `UpdateOne` and 200 `ReplaceOne` by `_id` (bulk commands of 50),
and one `find` with an `$in` of 50 ids. On FerretDB 1.24 without the launcher's index on the
expression of its `_id` lookups, every update by `_id` scans the table (8/s at 20,000); with it
they stay flat. An `$in` is never looked up by index there.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from pymongo import AsyncMongoClient, ReplaceOne, UpdateOne

from tests.engines import mongodb_url

SIZES = (1_000, 5_000, 20_000)
OPERATIONS = 200
STATEMENTS = 50


def _document(n: int) -> dict[str, Any]:
    return {"_id": f"b:{n:08d}", "brand_id": "b", "code": n % 8, "version": 1, "pad": "x" * 200}


async def _rates() -> dict[str, dict[str, float]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url())
    name = f"bench_lookups_{uuid.uuid4().hex[:8]}"
    collection = client[name]["documents"]
    rates: dict[str, dict[str, float]] = {}
    stored = 0
    try:
        for size in SIZES:
            for start in range(stored, size, 500):
                await collection.insert_many([_document(n) for n in range(start, start + 500)])
            stored = size
            ids = [f"b:{n * 3:08d}" for n in range(OPERATIONS)]
            started = time.perf_counter()
            for i in ids:
                await collection.find_one({"_id": i})
            finds = OPERATIONS / (time.perf_counter() - started)
            updates = await _bulk(
                collection, lambda n: UpdateOne({"_id": f"b:{n:08d}"}, {"$inc": {"version": 1}})
            )
            replaces = await _bulk(
                collection, lambda n: ReplaceOne({"_id": f"b:{n:08d}"}, _document(n))
            )
            started = time.perf_counter()
            await collection.find({"_id": {"$in": ids[:STATEMENTS]}}).to_list()
            in_ms = (time.perf_counter() - started) * 1000
            rates[str(size)] = {
                "find_one_per_s": finds,
                "update_per_s": updates,
                "replace_per_s": replaces,
                "in_50_ms": in_ms,
            }
            print(f"{size:>6} documents: {json.dumps(rates[str(size)])}", flush=True)
    finally:
        await client.drop_database(name)
        await client.close()
    return rates


async def _bulk(collection: Any, statement: Any) -> float:
    started = time.perf_counter()
    for start in range(0, OPERATIONS, STATEMENTS):
        chunk = [statement(n) for n in range(start, start + STATEMENTS)]
        await collection.bulk_write(chunk, ordered=False)
    return OPERATIONS / (time.perf_counter() - started)


def run() -> dict[str, dict[str, float]]:
    return asyncio.run(_rates())


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
