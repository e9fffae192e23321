"""The read model's lists, searches and counters at the larger sizes of issue 12.

Sizes (`--sizes`, or `BENCH_QUERY_SIZES` under `bench.run`): `1m` is 1,000,000 tickets in one
brand; `100x10k` is 100 brands of 10,000 tickets each (any `<brands>x<tickets>` or `<tickets>`
with `k`/`m` works, e.g. `10x1k` for a quick look). Each size is a fresh `SqliteReadModel` filled
through its own `apply` path by `query_bench.fill` (the 100k bench's generator: the same
histories, a customer per 20 tickets, skewed; 6 weighted departments), brand by brand for the
multi-brand sizes. One history in 10 is generated and folded; the other nine are copies of it
(same age, words and states) under their own id, tracking code, customer and time, without
messages (see `fill`'s `distinct`): a million folded histories would take an hour here.
Then every case of `query_bench` (first pages, deep cursors, unread, search, counters) runs
`samples` times with a random caller, of a random brand where there are several, and each list
case's `EXPLAIN QUERY PLAN` is kept (every statement a search ran).

`--keep DIR` keeps the filled file (and the order numbers the searches draw from) in DIR and
reuses it on the next run with the same size, so two versions of the queries can be timed on
the very same file (the `before` figures in bench/README.md were taken that way).

Run alone: `.venv/bin/python -m bench.query_scale [--sizes 1m,100x10k] [--samples 1000]
[--keep DIR]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.query_bench import (
    SAMPLES,
    Case,
    Filled,
    Listed,
    _cases,
    _plans,
    _time_case,
    fill,
)

SIZES = ("1m", "100x10k")
TICKETS_PER_CUSTOMER = 20
#: Each folded history stands for this many tickets (itself and copies; see `fill`'s `distinct`).
COPIES = 10
_SIZE = re.compile(r"(?:(\d+)x)?(\d+)([km]?)")
_UNIT = {"": 1, "k": 1_000, "m": 1_000_000}


def parse_size(text: str) -> tuple[int, int]:
    """(brands, tickets per brand) of `1m`, `100k`, `100x10k` …"""
    found = _SIZE.fullmatch(text.strip().lower())
    if found is None:
        raise ValueError(f"a size is <tickets> or <brands>x<tickets> (k, m allowed), not {text!r}")
    brands = int(found.group(1) or 1)
    return brands, int(found.group(2)) * _UNIT[found.group(3)]


def brand_names(brands: int) -> list[str]:
    return ["bench"] if brands == 1 else [f"bench{b:03d}" for b in range(brands)]


async def _fill_all(path: Path, brands: int, per_brand: int, seed: int) -> dict[str, Filled]:
    from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel

    customers = max(1, per_brand // TICKETS_PER_CUSTOMER)
    filled: dict[str, Filled] = {}
    read_model = await SqliteReadModel(path).open()
    try:
        position = 0
        for n, brand in enumerate(brand_names(brands)):
            filled[brand] = await fill(
                read_model,
                per_brand,
                customers,
                seed + n,
                brand=brand,
                first_position=position,
                keep_views=False,
                distinct=max(1, per_brand // COPIES),
            )
            position = filled[brand].last_position
    finally:
        await read_model.close()
    return filled


def _reloaded(path: Path, orders: dict[str, list[str]]) -> dict[str, Filled]:
    """The `Filled` records of a kept file, read back from its tickets table."""
    from ticketing_model import AgentState
    from ticketing_query.adapters.readmodel_sqlite_schema import moment

    per_brand: dict[str, list[Listed]] = {brand: [] for brand in orders}
    connection = sqlite3.connect(path)
    try:
        for row in connection.execute(
            "SELECT brand_id, ticket_id, last_activity_at, department, customer_id,"
            " tracking_code, agent_state, customer_read, closed FROM tickets"
        ):
            brand, ticket_id, at, department, customer, code, state, read, closed = row
            per_brand[brand].append(
                Listed(
                    brand, ticket_id, moment(at), department, customer, code,
                    AgentState(state), bool(read), bool(closed),
                )
            )  # fmt: skip
    finally:
        connection.close()
    return {
        brand: Filled(
            views=listed,
            customers=sorted({v.customer_id for v in listed}),
            order_numbers=orders[brand],
            events=0,
            messages=0,
            seconds=0.0,
            by_department=dict(Counter(v.department for v in listed)),
        )
        for brand, listed in per_brand.items()
    }


def _mixed(per_brand: dict[str, list[Case]]) -> list[Case]:
    """One case per query kind whose caller is of a random brand each time."""
    brands = sorted(per_brand)
    first = per_brand[brands[0]]

    def make(index: int) -> Any:
        return lambda rng: per_brand[rng.choice(brands)][index].make(rng)

    return [Case(case.name, case.kind, make(i)) for i, case in enumerate(first)]


async def _measure(
    path: Path, filled: dict[str, Filled], samples: int, seed: int
) -> tuple[dict[str, Any], list[Case]]:
    from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel

    cases = _mixed({brand: _cases(f, brand) for brand, f in filled.items()})
    results: dict[str, Any] = {}
    read_model = await SqliteReadModel(path).open()
    try:
        for i, case in enumerate(cases):
            results[case.name] = await _time_case(read_model, case, samples, seed + i)
    finally:
        await read_model.close()
    return results, cases


def run_size(size: str, samples: int, seed: int, keep: Path | None) -> dict[str, Any]:
    import uvloop

    brands, per_brand = parse_size(size)
    base = Path(os.environ.get("BENCH_TMPDIR") or Path(__file__).resolve().parents[1] / "var")
    base.mkdir(parents=True, exist_ok=True)
    where = (keep / size) if keep else Path(tempfile.mkdtemp(prefix="bench-query-scale-", dir=base))
    where.mkdir(parents=True, exist_ok=True)
    path, orders_file = where / "query.db", where / "orders.json"
    figures: dict[str, Any] = {"brands": brands, "tickets_per_brand": per_brand}
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            if path.exists() and orders_file.exists():
                started = time.perf_counter()
                filled = _reloaded(path, json.loads(orders_file.read_text()))
                figures["reused_file"] = str(path)
                figures["reload_seconds"] = time.perf_counter() - started
            else:
                print(f"[query] filling {brands} x {per_brand:,} tickets ...", flush=True)
                for stale in where.glob("query.db*"):
                    stale.unlink()
                started = time.perf_counter()
                filled = runner.run(_fill_all(path, brands, per_brand, seed))
                figures["fill_seconds"] = time.perf_counter() - started
                figures["events"] = sum(f.events for f in filled.values())
                figures["messages"] = sum(f.messages for f in filled.values())
                orders = {brand: f.order_numbers for brand, f in filled.items()}
                orders_file.write_text(json.dumps(orders))
            print(f"[query] {size}: timing queries ...", flush=True)
            started = time.perf_counter()
            figures["queries"], cases = runner.run(_measure(path, filled, samples, seed))
            figures["query_seconds"] = time.perf_counter() - started
        figures["plans"] = _plans(path, cases, seed)
        figures["db_bytes"] = sum(p.stat().st_size for p in where.glob("query.db*"))
        figures["tickets"] = sum(len(f.views) for f in filled.values())
        per_customer = Counter(v.customer_id for v in next(iter(filled.values())).views)
        figures["tickets_per_customer_max"] = max(per_customer.values())
        lists = [r["p99_ms"] for n, r in figures["queries"].items() if n.startswith("list_")]
        counts = [r["p99_ms"] for n, r in figures["queries"].items() if n.startswith("counters_")]
        figures["worst_list_p99_ms"] = max(lists)
        figures["worst_counters_p99_ms"] = max(counts)
    finally:
        if keep is None:
            shutil.rmtree(where, ignore_errors=True)
    return figures


def sizes_from(text: str | None) -> list[str]:
    """The sizes a comma-separated text names (None: SIZES; "none": no size)."""
    if text is not None and text.strip().lower() == "none":
        return []
    chosen = [s.strip() for s in (text or ",".join(SIZES)).split(",") if s.strip()]
    for size in chosen:
        parse_size(size)  # refuse a malformed one before hours of filling
    return chosen


def run(
    sizes: list[str] | None = None,
    samples: int = SAMPLES,
    seed: int = 3,
    keep: Path | None = None,
) -> dict[str, Any]:
    chosen = sizes if sizes is not None else sizes_from(os.environ.get("BENCH_QUERY_SIZES"))
    return {size: run_size(size, samples, seed, keep) for size in chosen}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.query_scale", description=__doc__)
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = run(sizes_from(args.sizes), args.samples, args.seed, args.keep)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
