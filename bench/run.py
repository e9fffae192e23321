"""Run the benchmarks, print one table, keep every figure as JSON.

`python -m bench.run` runs all of them; `python -m bench.run http` (or `eventstore`, `query`) runs
one.
The figures go to `bench/results/<UTC timestamp>.json` and `bench/results/latest.json`, with the
machine they were measured on. The exit status is 1 if a benchmark failed to run (a goal not met
is a figure, not a failure).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import math
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
REPO = RESULTS.parents[1]

#: name on the command line -> module
BENCHES = {
    "eventstore": "bench.eventstore_bench",
    "http": "bench.http_bench",
    "query": "bench.query_bench",
    "attachments": "bench.attachments_bench",
    "notifications": "bench.notifications_bench",
    "relay": "bench.relay_bench",
    "distributed": "bench.distributed_bench",
    "cpu": "bench.cpu_bench",
    "panel": "bench.panel_bench",
    "rebuild": "bench.rebuild_bench",
    "scale": "bench.scale_bench",
}


@dataclass(frozen=True)
class Row:
    label: str
    path: tuple[str, ...]
    unit: str
    goal: tuple[str, float] | None = None  # (">=" | "<=" | "==", threshold)

    def figure(self, figures: dict[str, Any]) -> float | None:
        value: Any = figures
        for key in self.path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return float(value) if isinstance(value, int | float) else None

    def met(self, value: float | None) -> bool | None:
        if self.goal is None or value is None or math.isnan(value):
            return None
        op, threshold = self.goal
        checks: dict[str, Callable[[float, float], bool]] = {
            ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b,
            "==": lambda a, b: a == b,
        }
        return checks[op](value, threshold)


#: The processes of the distributed deployment, as bench.cpu_bench names them.
DISTRIBUTED_PROCESSES = (
    "gateway",
    "tickets",
    "relay",
    "kafka",
    "query",
    "ferretdb",
    "notifications",
    "attachments",
    "panel",
    "minio",
)

#: (label, key) of the read model's query cases, at every size the query bench measures.
_QUERY_CASES = (
    ("list customer 1st page", "list_customer_first_page"),
    ("list agent 1 dept", "list_agent_department"),
    ("list agent all depts", "list_agent_all_departments"),
    ("list deep cursor, all", "list_deep_cursor_all"),
    ("list deep cursor, 1 dept", "list_deep_cursor_department"),
    ("list unread, customer", "list_unread_customer"),
    ("list unread, agent 1 dept", "list_unread_agent_department"),
    ("list search, customer", "list_search_customer"),
    ("list search, all depts", "list_search_all_departments"),
    ("counters customer", "counters_customer"),
    ("counters agent 1 dept", "counters_agent_department"),
    ("counters admin", "counters_admin"),
)

ROWS: dict[str, list[Row]] = {
    "eventstore": [
        Row("store append, 64 writers", ("ours", "events_per_s"), "events/s"),
        Row("store append p99", ("ours", "p99_ms"), "ms"),
        Row("raw SQLite, batches of 100", ("raw_sqlite_batch100", "rows_per_s"), "rows/s"),
        Row("eventsourcing lib, 64 threads", ("eventsourcing", "events_per_s"), "events/s"),
        Row("store / raw SQLite", ("ours_vs_raw",), "x", (">=", 0.5)),
        Row("store / eventsourcing", ("ours_vs_eventsourcing",), "x", (">=", 2.0)),
    ],
    "http": [
        Row("open+reply, 64 clients", ("embedded", "requests_per_s"), "req/s"),
        Row("open+reply p50", ("embedded", "p50_ms"), "ms"),
        Row("open+reply p99", ("embedded", "p99_ms"), "ms"),
        Row("open+reply errors (non-2xx)", ("embedded", "errors"), "requests", ("==", 0)),
        Row("no-op FastAPI, 64 clients", ("noop", "requests_per_s"), "req/s"),
        Row("no-op p50", ("noop", "p50_ms"), "ms"),
        Row("no-op p99", ("noop", "p99_ms"), "ms"),
        Row("server CPU, commands", ("embedded", "server_cpu_pct"), "% of a core"),
        Row("server CPU, no-op", ("noop", "server_cpu_pct"), "% of a core"),
        Row(
            "CPU per open+reply, every process",
            ("cpu_per_command", "ms_per_open_reply"),
            "ms of CPU",
        ),
        Row("CPU per no-op request", ("cpu_per_command", "noop_ms_per_request"), "ms of CPU"),
        Row(
            "CPU per command / per no-op request",
            ("cpu_per_command", "command_vs_noop"),
            "x",
        ),
        Row("commands / no-op rate", ("rate_ratio",), "x", (">=", 0.5)),
        Row("commands / no-op p99", ("p99_ratio",), "x", ("<=", 2.0)),
    ],
    "query": [
        *(
            Row(
                f"{label} p99, 100k tickets",
                ("read_model", "queries", key, "p99_ms"),
                "ms",
                ("<=", 20.0),
            )
            for label, key in _QUERY_CASES
        ),
        *(
            Row(
                f"{label} p99, {size}",
                ("scale", size, "queries", key, "p99_ms"),
                "ms",
                ("<=", 20.0),
            )
            for size in ("1m", "100x10k")
            for label, key in _QUERY_CASES
        ),
        *(
            # CPU time per call: what the wall p99 would be without other programs' queue.
            Row(f"{label} CPU p99, {size}", ("scale", size, "queries", key, "cpu_p99_ms"), "ms")
            for size in ("1m", "100x10k")
            for label, key in _QUERY_CASES
            if "search" in key
        ),
        *(
            Row(f"/v1/events {label} p99", ("history", "pages", key, "p99_ms"), "ms", goal)
            for label, key, goal in (
                ("page, brand of 1k among 1M", "small_brand_page", ("<=", 20.0)),
                ("walk, brand of 1k among 1M", "small_brand_walk", ("<=", 20.0)),
                ("page, brand of 100k", "big_brand_page", None),
                ("page, every ticket stream", "every_ticket_page", None),
                ("page, unfiltered", "unfiltered_page", None),
            )
        ),
        Row("lag to visible p50, 200 cmd/s", ("http", "lag", "get", "p50_ms"), "ms"),
        Row("lag to visible p99, 200 cmd/s", ("http", "lag", "get", "p99_ms"), "ms", ("<=", 50.0)),
        Row("lag to visible max", ("http", "lag", "get", "max_ms"), "ms"),
        Row("plain GET p50 (no header)", ("http", "baseline", "get", "p50_ms"), "ms"),
        Row("plain GET p99 (no header)", ("http", "baseline", "get", "p99_ms"), "ms"),
        Row("achieved command rate", ("http", "lag", "commands_per_s"), "cmd/s"),
        Row("command p99 under that load", ("http", "lag", "command", "p99_ms"), "ms"),
        Row("lag errors (non-2xx)", ("http", "lag", "errors"), "requests", ("==", 0)),
        Row("stale reads with X-Min-Position", ("http", "lag", "stale_reads"), "reads", ("==", 0)),
    ],
    "panel": [
        *(
            Row(f"{label} p99, 100k tickets", (who, kind, key, "p99_ms"), "ms")
            for who in ("customer", "agent")
            for label, kind, key in (
                (f"{who}: /panel/tickets", "pages", "tickets_page"),
                (f"{who}: ticket page, 50 messages", "pages", "ticket_page"),
                (f"{who}: API list", "api", "list"),
                (f"{who}: API counters", "api", "counters"),
                (f"{who}: API notifications (bell)", "api", "bell"),
                (f"{who}: API read", "api", "read"),
                (f"{who}: API ticket detail", "api", "detail"),
            )
        ),
        Row("first visit, tickets page", ("bytes", "first_visit_bytes"), "bytes"),
        Row("repeat visit, tickets page", ("bytes", "repeat_visit_bytes"), "bytes"),
    ],
    "rebuild": [
        Row(
            "rebuild, 200k events (SQLite)", ("rebuild", "events_per_s"), "events/s", (">=", 30_000)
        ),
        Row("rebuild per CPU-second", ("rebuild", "events_per_cpu_s"), "events/CPU-s"),
        Row("raw executemany, same rows", ("raw_sqlite", "events_per_s"), "events/s"),
        Row("rebuild / raw writes", ("rebuild_vs_raw",), "x"),
        *(
            Row(f"rebuild CPU: {step}", ("split", "cpu_us_per_event", step), "us/event")
            for step in ("read", "parse", "fold", "write", "finish")
        ),
        Row("rebuild peak RSS (bench process)", ("rebuild", "hwm_kib"), "KiB"),
    ],
    "scale": [
        Row("events in the store", ("events",), "events"),
        Row("server RSS after catch-up + requests", ("server", "rss_mib"), "MiB", ("<=", 150)),
        Row("server peak RSS (VmHWM)", ("server", "hwm_mib"), "MiB"),
        Row("server catch-up at start", ("server", "catch_up_seconds"), "s"),
        Row("rebuild peak RSS", ("rebuild", "peak_rss_mib"), "MiB"),
        Row("rebuild (ticketing rebuild)", ("rebuild", "events_per_s"), "events/s"),
        Row("disk: event store", ("disk", "store_bytes_per_event"), "bytes/event"),
        Row("disk: read model", ("disk", "read_model_bytes_per_event"), "bytes/event"),
    ],
    "attachments": [
        Row("upload 10 MiB, sequential", ("sequential", "mb_per_s"), "MB/s"),
        Row("upload p50, sequential", ("sequential", "p50_ms"), "ms"),
        Row("upload p99, sequential", ("sequential", "p99_ms"), "ms"),
        Row("upload 10 MiB, 4 clients", ("concurrent", "mb_per_s"), "MB/s"),
        Row("upload p50, 4 clients", ("concurrent", "p50_ms"), "ms"),
        Row("upload p99, 4 clients", ("concurrent", "p99_ms"), "ms"),
        Row("raw write+fsync", ("raw", "write_fsync", "mb_per_s"), "MB/s"),
        Row(
            "raw write+fsync+rename+dirfsync",
            ("raw", "write_fsync_rename_dirfsync", "mb_per_s"),
            "MB/s",
        ),
        Row("server CPU, 4 clients", ("concurrent", "server_cpu_pct"), "% of a core"),
        Row("client CPU, 4 clients", ("concurrent", "client_cpu_pct"), "% of a core"),
        Row("upload errors (non-201, bad sha)", ("concurrent", "errors"), "uploads", ("==", 0)),
        Row("sequential / raw (+rename)", ("sequential_vs_raw",), "x", (">=", 0.5)),
        Row("4 clients / raw (+rename)", ("concurrent_vs_raw",), "x", (">=", 0.5)),
        Row("sequential / raw write+fsync", ("sequential_vs_raw_plain",), "x"),
    ],
    "notifications": [
        Row("reply response -> SSE p50", ("response_to_sse", "p50_ms"), "ms"),
        Row("reply response -> SSE p99", ("response_to_sse", "p99_ms"), "ms", ("<=", 100.0)),
        Row("reply response -> SSE max", ("response_to_sse", "max_ms"), "ms"),
        Row("reply sent -> SSE p50", ("request_to_sse", "p50_ms"), "ms"),
        Row("reply sent -> SSE p99", ("request_to_sse", "p99_ms"), "ms"),
        Row("reply p99 (HTTP)", ("reply", "p99_ms"), "ms"),
        Row("replies sent", ("replies_sent",), "replies"),
        Row("reply errors (non-201)", ("reply_errors",), "replies", ("==", 0)),
        Row("missing SSE deliveries", ("missing",), "events", ("==", 0)),
        Row("extra SSE deliveries", ("extra",), "events", ("==", 0)),
        Row("duplicate notification ids", ("duplicate_ids",), "events", ("==", 0)),
        Row("misdelivered events", ("misdelivered",), "events", ("==", 0)),
    ],
    "relay": [
        Row("relay store -> Kafka, 100k events", ("relay", "events_per_s"), "events/s"),
        Row("raw aiokafka send() per record", ("raw_producer", "events_per_s"), "events/s"),
        Row("raw aiokafka send_batch()", ("raw_producer_batches", "events_per_s"), "events/s"),
        Row("relay / raw send()", ("relay_vs_raw",), "x", (">=", 0.5)),
        Row("relay / raw send_batch()", ("relay_vs_raw_batches",), "x"),
    ],
    "distributed": [
        Row("projector Kafka -> FerretDB", ("projector", "ours", "events_per_s"), "events/s"),
        Row("raw bulk writes, same documents", ("projector", "raw", "events_per_s"), "events/s"),
        Row("projector / raw", ("projector", "ours_vs_raw"), "x", (">=", 0.5)),
        Row("commands/s reached (asked: 200)", ("lag", "commands_per_s"), "commands/s"),
        Row("end-to-end lag p50", ("lag", "lag_ms", "p50"), "ms"),
        Row("end-to-end lag p99", ("lag", "lag_ms", "p99"), "ms", ("<=", 250)),
        Row("commands never visible", ("lag", "not_visible_after_drain"), "commands", ("==", 0)),
        Row("kill -9 run: kills", ("kill", "kills"), "kills"),
        Row("kill -9 run: checks failed", ("kill", "failures"), "runs", ("==", 0)),
    ],
    "cpu": [
        Row(
            "CPU per open+reply, embedded, every process",
            ("embedded", "ms_per_open_reply"),
            "ms of CPU",
        ),
        Row("  the same, net of idle", ("embedded", "net_of_idle_ms_per_open_reply"), "ms of CPU"),
        Row(
            "CPU per open+reply, distributed, every process",
            ("distributed", "ms_per_open_reply"),
            "ms of CPU",
        ),
        Row(
            "  the same, net of idle",
            ("distributed", "net_of_idle_ms_per_open_reply"),
            "ms of CPU",
        ),
        *(
            Row(
                f"  distributed: {name}",
                ("distributed", "processes", name, "ms_per_open_reply"),
                "ms of CPU",
            )
            for name in DISTRIBUTED_PROCESSES
        ),
        Row("distributed: idle CPU, every process", ("distributed", "idle_ms_per_s"), "ms/s"),
        Row(
            "distributed: pairs/s reached (asked: 50)",
            ("distributed", "reached_pairs_per_s"),
            "pairs/s",
        ),
        Row("errors (non-2xx)", ("distributed", "errors"), "requests", ("==", 0)),
    ],
}


def machine() -> dict[str, Any]:
    facts: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = meminfo.read_text().split("\n", 1)[0].split()
        facts["mem_total_kib"] = int(total[1])
    git = _git("rev-parse", "HEAD")
    if git:
        facts["git_commit"] = git
        facts["git_dirty"] = bool(_git("status", "--porcelain"))
    return facts


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def run_one(name: str) -> dict[str, Any]:
    """Import and run one benchmark; never raises."""
    module_name = BENCHES[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            print(f"[{name}] skipped: {module_name} is not there yet", flush=True)
            return {"status": "skipped", "reason": f"{module_name} not found"}
        return _failed(name, exc)
    except Exception as exc:
        return _failed(name, exc)
    print(f"[{name}] running {module_name} ...", flush=True)
    load_before = os.getloadavg()
    started = time.perf_counter()
    try:
        outcome = module.run()
        if inspect.isawaitable(outcome):
            outcome = asyncio.run(_awaited(outcome))
    except Exception as exc:
        return _failed(name, exc)
    seconds = time.perf_counter() - started
    print(f"[{name}] done in {seconds:.1f}s", flush=True)
    return {
        "status": "ok",
        "seconds": seconds,
        # other work on the machine skews every figure: the 1-minute load before and after
        "loadavg_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "figures": outcome,
    }


async def _awaited(outcome: Any) -> Any:
    return await outcome


def _failed(name: str, exc: BaseException) -> dict[str, Any]:
    text = "".join(traceback.format_exception(exc))
    print(f"[{name}] FAILED:\n{text}", file=sys.stderr, flush=True)
    return {"status": "error", "error": repr(exc), "traceback": text}


def _fmt(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(results: dict[str, dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The printed table and the same rows as data."""
    rows: list[dict[str, Any]] = []
    for name, outcome in results.items():
        if outcome["status"] != "ok":
            rows.append(
                {
                    "bench": name,
                    "name": f"{name}: {outcome['status']}",
                    "figure": None,
                    "unit": "",
                    "goal": "",
                    "met": None,
                }
            )
            continue
        for row in ROWS.get(name, []):
            value = row.figure(outcome["figures"])
            goal = f"{row.goal[0]} {row.goal[1]:g}" if row.goal else ""
            rows.append(
                {
                    "bench": name,
                    "name": row.label,
                    "figure": value,
                    "unit": row.unit,
                    "goal": goal,
                    "met": row.met(value),
                }
            )
    header = ("name", "figure", "unit", "goal", "met?")
    cells = [
        (
            r["name"],
            _fmt(r["figure"]) if r["figure"] is not None or r["unit"] else "",
            r["unit"],
            r["goal"],
            {True: "yes", False: "NO", None: ""}[r["met"]] if r["goal"] else "",
        )
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
    lines = []
    for i, cell in enumerate([header, *cells]):
        lines.append(
            "  ".join(
                str(c).rjust(w) if j == 1 else str(c).ljust(w)
                for j, (c, w) in enumerate(zip(cell, widths, strict=True))
            ).rstrip()
        )
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines), rows


def main(argv: list[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv) or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {list(BENCHES)}", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    if load > 0.5:
        print(
            f"warning: the 1-minute load average is {load:.2f} before starting;"
            " other work on the machine skews the figures",
            flush=True,
        )
    started_at = datetime.now(UTC)
    results = {name: run_one(name) for name in names}
    text, rows = table(results)
    print()
    print(text)
    report = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.run", *names]),
        "machine": machine(),
        "table": rows,
        "benches": results,
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    payload = json.dumps(report, indent=2, ensure_ascii=False, allow_nan=True) + "\n"
    (RESULTS / f"{stamp}.json").write_text(payload, encoding="utf-8")
    (RESULTS / "latest.json").write_text(payload, encoding="utf-8")
    print(f"\nfigures: {RESULTS / f'{stamp}.json'} (and latest.json)")
    return 1 if any(r["status"] == "error" for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
