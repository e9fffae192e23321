"""CPU per command across every process of a deployment, embedded and distributed.

    .venv/bin/python -m bench.cpu_bench [embedded] [distributed]
        [--pairs 1000] [--rate 50] [--engines private|shared] [--set TICKETING_NAME=VALUE ...]

A figure that does not depend on the machine's load the way rates and latencies do: CPU-seconds
(utime + stime from /proc/<pid>/stat, every thread, and every process below each one) that the
whole deployment spends per open+reply, split by process.

- **embedded**: `ticketing run --port 0` (fresh data directory under `var/` or BENCH_TMPDIR,
  log level WARNING, defaults otherwise): that process and any below it.
- **distributed**: `ticketing.distributed`'s topology (the relay, the four services, the panel
  and the gateway, each its own process, started by the Supervisor as `make run-distributed`
  does) on Kafka and FerretDB of the bench's own (distributed_bench's `--engines private`, or
  the shared ones) and the shared S3 store; the processes read are the seven the Supervisor
  started and the engines' (their pid files: Kafka's JVM, the FerretDB launcher, MinIO).

Method, the same for both: 64 customers of a brand of the run's own (HS256 tokens with the dev
secret). First `WARMUP_PAIRS` untimed pairs at the same rate (a Kafka just started idles at ~300 ms
of CPU a second for its first minute, ~55 once warm), then `IDLE_SECONDS` with no load (each
process's idle CPU, reported apart: pollers, heartbeats, the JVM). Then, open-loop at `--rate` pairs
a second, `--pairs` pairs: `POST /v1/tickets` (Persian title and body, department `technical`) and,
on its answer, `POST /v1/tickets/{id}/messages` as the same customer, each pair on a keep-alive
connection of a pool (http_bench's raw client; a new connection when none is free). The CPU of every
process is read just before the first pair and again once the deployment has absorbed the load: the
last reply's position visible to a `GET /v1/tickets/{id}` and to a `GET /v1/notifications` (both
with `X-Min-Position`, retried on 503), then `TAIL_SECONDS` more for the consumers that cannot be
asked (attachments' references). The difference divided by the pairs answered 2xx is
`ms_per_open_reply`, per process and in all. The idle CPU is in the window too (it is part of what a
deployment costs at that rate); `idle_ms_per_s` says how much, and `net_of_idle_ms_per_open_reply`
is the figure with that idle rate over the window taken off (a JVM still warming up after its start
shows there as idle CPU).

`--set` gives every process of the distributed deployment a setting (their environment is
otherwise cleared of TICKETING_*), to measure what a setting costs: e.g. the relay's marker
interval.

`run()` returns the figures as a dict (bench/run.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.http_bench import (
    REPLY,
    Server,
    _json,
    _open_body,
    _server_env,
    _tokens,
    _tree_cpu_seconds,
)
from bench.query_bench import Pool

REPO = Path(__file__).resolve().parents[1]
PAIRS = 1000
RATE = 50.0  # pairs per second: 100 commands per second
CUSTOMERS = 64
WARMUP_PAIRS = 500  # a JVM just started (the private Kafka) compiles its hot paths first
IDLE_SECONDS = 5.0
TAIL_SECONDS = 2.0
SETTLE_TIMEOUT = 120.0
MODES = ("embedded", "distributed")
#: The engines' pid files, by the name they are reported under.
ENGINE_PIDS = {"kafka": "kafka.pid", "ferretdb": "ferretdb.pid", "minio": "minio.pid"}


# -- reading /proc ----------------------------------------------------------------------------


def cpu_by_process(pids: dict[str, int]) -> dict[str, float]:
    """CPU-seconds so far of each named process with everything below it (0 once it is gone)."""
    return {name: _tree_cpu_seconds(pid)[0] for name, pid in pids.items()}


def engine_pids(run_dirs: dict[str, Path]) -> dict[str, int]:
    """The pids in the engines' pid files (deploy/local/engines.sh), where one is alive."""
    found: dict[str, int] = {}
    for name, run_dir in run_dirs.items():
        with contextlib.suppress(OSError, ValueError):
            pid = int((run_dir / ENGINE_PIDS[name]).read_text().strip())
            if Path(f"/proc/{pid}/stat").exists():
                found[name] = pid
    return found


# -- load -------------------------------------------------------------------------------------


@dataclass
class Driven:
    pairs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    last: tuple[int, str, str] = (0, "", "")  # position, ticket id, token of the newest reply

    def record(self, label: str, status: int, body: bytes) -> bool:
        self.statuses[str(status)] += 1
        ok = 200 <= status < 300
        if not ok and len(self.failures) < 10:
            self.failures.append(f"{label} -> {status}: {body[:300].decode(errors='replace')}")
        return ok


def _headers(token: str) -> bytes:
    return b"Authorization: Bearer %s\r\nContent-Type: application/json\r\n" % token.encode()


async def drive(port: int, tokens: list[str], pairs: int, rate: float, first: int = 0) -> Driven:
    """`pairs` open+reply pairs, open-loop at `rate` pairs a second."""
    pool, driven = Pool(port), Driven()
    reply = _json({"body": REPLY})

    async def pair(n: int) -> None:
        token = tokens[n % len(tokens)]
        conn = await pool.take()
        try:
            status, body = await conn.request("/v1/tickets", _headers(token), _open_body(n))
            if not driven.record("open", status, body):
                return
            ticket = json.loads(body)["ticket_id"]
            path = f"/v1/tickets/{ticket}/messages"
            status, body = await conn.request(path, _headers(token), reply)
            if driven.record("reply", status, body):
                driven.pairs += 1
                position = int(json.loads(body)["position"])
                if position > driven.last[0]:
                    driven.last = (position, ticket, token)
            pool.give(conn)
        except Exception as exc:  # a broken pair is a figure, not a crash
            driven.statuses["exception"] += 1
            if len(driven.failures) < 10:
                driven.failures.append(repr(exc))
            await conn.close()

    start, tasks = time.perf_counter(), []
    for n in range(pairs):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(pair(first + n)))
    await asyncio.gather(*tasks)
    await pool.close()
    return driven


async def settle(base_url: str, driven: Driven) -> float:
    """Until the newest reply is visible to the query side and the notifications consumer, then
    TAIL_SECONDS more; the seconds it took before the tail."""
    position, ticket, token = driven.last
    started = time.perf_counter()
    if position:
        headers = {"Authorization": f"Bearer {token}", "X-Min-Position": str(position)}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            for path in (f"/v1/tickets/{ticket}", "/v1/notifications?limit=1"):
                async with asyncio.timeout(SETTLE_TIMEOUT):
                    answer = await http.get(path, headers=headers)
                    while answer.status_code == 503:  # X-Min-Position not reached in its wait
                        answer = await http.get(path, headers=headers)
                if answer.status_code != 200:
                    raise RuntimeError(f"GET {path} -> {answer.status_code}: {answer.text[:300]}")
    waited = time.perf_counter() - started
    await asyncio.sleep(TAIL_SECONDS)
    return waited


async def measure(base_url: str, pids: dict[str, int], pairs: int, rate: float) -> dict[str, Any]:
    """Idle CPU, a warm-up, then the CPU of `pairs` pairs per process (the module docstring)."""
    port = httpx.URL(base_url).port
    assert port is not None
    from ticketing_tickets.settings import DEV_JWT_SECRET

    tokens = _tokens(DEV_JWT_SECRET, CUSTOMERS)
    warm = await drive(port, tokens, WARMUP_PAIRS, rate)
    await settle(base_url, warm)
    idle0, idle_at = cpu_by_process(pids), time.perf_counter()
    await asyncio.sleep(IDLE_SECONDS)
    idle1, idle_s = cpu_by_process(pids), time.perf_counter() - idle_at
    load0 = os.getloadavg()[0]
    before, began = cpu_by_process(pids), time.perf_counter()
    driven = await drive(port, tokens, pairs, rate, first=WARMUP_PAIRS)
    driven_s = time.perf_counter() - began
    caught_up_s = await settle(base_url, driven)
    after, window = cpu_by_process(pids), time.perf_counter() - began
    done = max(1, driven.pairs)
    processes = {
        name: {
            "ms_per_open_reply": 1000 * (after[name] - before[name]) / done,
            "cpu_pct": 100 * (after[name] - before[name]) / window,
            "idle_ms_per_s": 1000 * (idle1[name] - idle0[name]) / idle_s,
        }
        for name in pids
    }
    for figures in processes.values():  # what the load added to the idle rate
        idle_share = figures["idle_ms_per_s"] * window / done
        figures["net_of_idle_ms_per_open_reply"] = figures["ms_per_open_reply"] - idle_share
    return {
        "ms_per_open_reply": sum(p["ms_per_open_reply"] for p in processes.values()),
        "processes": processes,
        "net_of_idle_ms_per_open_reply": sum(
            p["net_of_idle_ms_per_open_reply"] for p in processes.values()
        ),
        "idle_ms_per_s": sum(p["idle_ms_per_s"] for p in processes.values()),
        "pairs": driven.pairs,
        "pairs_asked": pairs,
        "rate_pairs_per_s": rate,
        "reached_pairs_per_s": driven.pairs / driven_s,
        "load_seconds": driven_s,
        "caught_up_seconds": caught_up_s,
        "window_seconds": window,
        "statuses": dict(driven.statuses),
        "errors": sum(n for s, n in driven.statuses.items() if not s.startswith("2")),
        "failures": driven.failures,
        "loadavg_1m": [round(load0, 2), round(os.getloadavg()[0], 2)],
    }


# -- the two deployments ----------------------------------------------------------------------


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    base = Path(os.environ.get("BENCH_TMPDIR") or REPO / "var")
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-cpu-", dir=base))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def embedded_part(pairs: int, rate: float) -> dict[str, Any]:
    from ticketing_tickets.settings import DEV_JWT_SECRET

    with _scratch() as scratch:
        server = Server(
            "embedded app (ticketing run)",
            [sys.executable, "-m", "ticketing.cli", "run", "--host", "127.0.0.1", "--port", "0"],
            _server_env(
                TICKETING_DATA_DIR=str(scratch / "data"),
                TICKETING_LOG_LEVEL="WARNING",
                TICKETING_JWT_SECRET=DEV_JWT_SECRET,
            ),
            scratch / "embedded.log",
        )
        try:
            server.start()
            assert server.proc is not None
            pids = {"embedded": server.proc.pid}
            return asyncio.run(measure(f"http://127.0.0.1:{server.port}", pids, pairs, rate))
        finally:
            server.stop()


def distributed_part(
    pairs: int, rate: float, engines_kind: str, settings: dict[str, str] | None = None
) -> dict[str, Any]:
    from bench.distributed_bench import _environment, _topology, engines_for
    from ticketing.distributed import started

    async def measured(scratch: Path) -> dict[str, Any]:
        with engines_for(engines_kind, scratch) as engines:
            async with _topology(engines, scratch, "cpu") as topology:
                base_env = _environment() | (settings or {})
                with started(topology, base_env=base_env, timeout=120) as supervisor:
                    pids = {r.process.name: r.popen.pid for r in supervisor.running}
                    shared = REPO / "var" / "engines"
                    own = scratch if engines_kind == "private" else shared
                    pids |= engine_pids(
                        {"kafka": own / "kafka", "ferretdb": own / "ferretdb", "minio": shared}
                    )
                    if engines_kind == "shared":  # engines.sh keeps every pid file in one place
                        pids |= engine_pids({"kafka": shared, "ferretdb": shared})
                    url = supervisor.topology.gateway_url
                    return await measure(url, pids, pairs, rate)

    with _scratch() as scratch:
        return asyncio.run(measured(scratch))


# -- running ----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu_bench")
    parser.add_argument("modes", nargs="*", help=f"any of {', '.join(MODES)} (default: both)")
    parser.add_argument("--pairs", type=int, default=PAIRS)
    parser.add_argument("--rate", type=float, default=RATE, help="open+reply pairs per second")
    parser.add_argument("--engines", choices=("private", "shared"), default="private")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="TICKETING_NAME=VALUE",
        help="a setting for every process of the distributed deployment (repeatable), e.g. "
        "TICKETING_RELAY_MARKER_INTERVAL_MS=200",
    )
    return parser


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Both modes with the defaults (bench/run.py), or as `argv` says."""
    parser = _parser()
    args = parser.parse_args(argv or [])
    if unknown := set(args.modes) - set(MODES):
        parser.error(f"unknown mode(s) {sorted(unknown)}; choose from {', '.join(MODES)}")
    settings = dict(item.split("=", 1) for item in args.set)
    if bad := [name for name in settings if not name.startswith("TICKETING_")]:
        parser.error(f"--set takes TICKETING_* settings only, not {bad}")
    figures: dict[str, Any] = {"settings": settings} if settings else {}
    for mode in args.modes or MODES:
        if mode == "embedded":
            figures[mode] = embedded_part(args.pairs, args.rate)
        else:
            figures[mode] = distributed_part(args.pairs, args.rate, args.engines, settings)
        print(f"[cpu] {mode}: {_summary(figures[mode])}", flush=True)
    return figures


def _summary(figures: dict[str, Any]) -> str:
    split = ", ".join(
        f"{name} {p['ms_per_open_reply']:.2f}"
        for name, p in sorted(figures["processes"].items(), key=lambda kv: -kv[1]["cpu_pct"])
    )
    return (
        f"{figures['ms_per_open_reply']:.2f} ms of CPU per open+reply ({split}); "
        f"{figures['pairs']} pairs, {figures['errors']} errors, load {figures['loadavg_1m']}"
    )


def main() -> None:
    print(json.dumps(run(sys.argv[1:]), indent=2, default=str))


if __name__ == "__main__":
    main()
