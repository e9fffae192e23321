"""Uploads of 10 MiB files over HTTP vs a raw write + fsync of the same bytes to the same disk.

Goal: the upload throughput (MB/s, 10^6 bytes) is at least 0.5x the raw baseline's.

- Server: `ticketing run` (embedded) in a subprocess, as in bench/http_bench.py: a fresh
  TICKETING_DATA_DIR under `<repo>/var` (or BENCH_TMPDIR), deleted afterwards,
  TICKETING_LOG_LEVEL=WARNING, every other setting at its default (blobs under
  `<data_dir>/attachments`, the catalog in SQLite with synchronous=FULL, a 10 MiB cap).
- Files: `files` (20) different PDF-looking files of exactly 10 MiB each (`%PDF-1.4\\n`, random
  bytes, `\\n%%EOF\\n`), made before anything is timed. One extra upload first checks that such a
  file is accepted (201, `application/pdf`, the right size and sha256); it is not counted.
- Uploads: `POST /v1/attachments`, multipart field `file`, as one customer; the body (boundary,
  part headers, the file, the closing boundary) is streamed by httpx from an async generator in
  64 KiB slices with an explicit Content-Length (not chunked). Sequential: the `files` files one
  after another on one connection. Concurrent: 4 clients (one connection each) take from a queue
  of 2 x `files` uploads (each file twice; every upload gets its own attachment id). Figures: MB/s
  over the phase's wall time, per-upload p50/p99/max (with 20-40 samples the p99 is close to the
  max), the server's and the bench process's CPU over the phase (% of one core, from /proc and
  `process_time`), so a client-bound run would show. Every response's sha256 is checked.
- Raw baseline, after the server has stopped, in the bench process, in `<data_dir>/raw/` (same
  disk): each file written with one `write` call and then (a) `fsync` + close ("write+fsync"), and
  (b) to a temp name, `fsync`, close, `os.replace` to its final name, `fsync` of the directory
  ("write+fsync+rename+dirfsync", what the service's LocalBlobStore does). Two rounds of all the
  files per variant, alternating a, b, a, b, every file kept until the end, so each write lands on
  newly allocated blocks like the service's (on this VM's disk, rewriting blocks just freed is
  ~3x faster than first writes, which would flatter whichever variant came second). MB/s of each
  over both rounds (and per round).
  The goal's ratio uses (b), the service's own durability; the ratio to (a) is reported too.

Run alone: `.venv/bin/python -m bench.attachments_bench [--files 20] [--clients 4]`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from bench.http_bench import (
    BRAND,
    LOG_LEVEL,
    REPO,
    Server,
    _cpu_seconds,
    _server_env,
    _serving,
)

FILES = 20
CLIENTS = 4
FILE_BYTES = 10 * 1024 * 1024
SLICE = 64 * 1024
HEAD, TAIL = b"%PDF-1.4\n", b"\n%%EOF\n"
BOUNDARY = "bench-boundary-7f3a9c2e5d"
MB = 1_000_000
ROUNDS = 2


def _make_files(count: int) -> list[bytes]:
    middle = FILE_BYTES - len(HEAD) - len(TAIL)
    return [HEAD + os.urandom(middle) + TAIL for _ in range(count)]


def _stats(latencies: Sequence[float]) -> dict[str, float]:
    if len(latencies) < 2:
        nan = float("nan")
        return {"p50_ms": nan, "p99_ms": nan, "max_ms": nan}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000, "max_ms": max(latencies) * 1000}


def _multipart(data: bytes, filename: str) -> tuple[bytes, bytes]:
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


async def _body(head: bytes, data: bytes, tail: bytes) -> AsyncIterator[bytes]:
    yield head
    view = memoryview(data)
    for start in range(0, len(view), SLICE):
        yield bytes(view[start : start + SLICE])
    yield tail


class Uploader:
    """One httpx.AsyncClient with one keep-alive connection."""

    def __init__(self, port: int, token: str) -> None:
        import httpx

        self.client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=120,
        )
        self.token = token

    async def upload(self, data: bytes, filename: str) -> tuple[int, dict[str, Any], float]:
        head, tail = _multipart(data, filename)
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(len(head) + len(data) + len(tail)),
        }
        started = time.perf_counter()
        response = await self.client.post(
            "/v1/attachments", content=_body(head, data, tail), headers=headers
        )
        elapsed = time.perf_counter() - started
        try:
            payload = response.json()
        except ValueError:
            payload = {"raw": response.text[:300]}
        return response.status_code, payload, elapsed

    async def close(self) -> None:
        await self.client.aclose()


def _token() -> str:
    from ticketing_tickets.settings import DEV_JWT_SECRET
    from ticketing_web.auth import mint_token

    return mint_token(
        secret=DEV_JWT_SECRET,
        sub="bench-uploader-1",
        role="customer",
        brand=BRAND,
        ttl_seconds=7200,
        now=int(time.time()),
    )


async def _phase(
    server: Server, uploaders: list[Uploader], jobs: list[tuple[bytes, str]], digests: list[str]
) -> dict[str, Any]:
    assert server.proc is not None
    queue = list(enumerate(jobs))
    queue.reverse()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    bad_digest = 0

    async def client(uploader: Uploader) -> None:
        nonlocal bad_digest
        while queue:
            index, (data, name) = queue.pop()
            try:
                status, payload, elapsed = await uploader.upload(data, name)
            except Exception as exc:  # a failed upload is a figure, not a crash
                statuses["exception"] += 1
                failures.append(f"{name} -> {exc!r}")
                continue
            statuses[str(status)] += 1
            if status != 201:
                failures.append(f"{name} -> {status}: {str(payload)[:300]}")
                continue
            latencies.append(elapsed)
            bad_digest += payload.get("sha256") != digests[index % len(digests)]

    cpu_server0, cpu_client0 = _cpu_seconds(server.proc.pid), time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(client(u) for u in uploaders))
    wall = time.perf_counter() - started
    cpu_server1, cpu_client1 = _cpu_seconds(server.proc.pid), time.process_time()
    uploaded = len(latencies) * FILE_BYTES
    return {
        "clients": len(uploaders),
        "uploads": len(latencies),
        "bytes": uploaded,
        "seconds": wall,
        "mb_per_s": uploaded / MB / wall,
        **_stats(latencies),
        "statuses": dict(statuses),
        "errors": sum(n for s, n in statuses.items() if s != "201") + bad_digest,
        "sha256_mismatches": bad_digest,
        "failures": failures[:10],
        "server_cpu_pct": 100 * (cpu_server1 - cpu_server0) / wall,
        "client_cpu_pct": 100 * (cpu_client1 - cpu_client0) / wall,
    }


async def _drive(server: Server, files: list[bytes], clients: int) -> dict[str, Any]:
    token = _token()
    digests = [hashlib.sha256(f).hexdigest() for f in files]
    out: dict[str, Any] = {}
    first = Uploader(server.port, token)
    try:
        status, payload, elapsed = await first.upload(files[0], "check.pdf")
        out["check"] = {
            "status": status,
            "response": payload,
            "ms": elapsed * 1000,
            "accepted": status == 201
            and payload.get("content_type") == "application/pdf"
            and payload.get("size") == FILE_BYTES
            and payload.get("sha256") == digests[0],
        }
        if not out["check"]["accepted"]:
            raise RuntimeError(f"a 10 MiB PDF-looking file was not accepted: {status} {payload}")
        jobs = [(f, f"bench-{i:02d}.pdf") for i, f in enumerate(files)]
        out["sequential"] = await _phase(server, [first], jobs, digests)
    finally:
        await first.close()
    many = [Uploader(server.port, token) for _ in range(clients)]
    try:
        jobs = [(f, f"bench-c{i:02d}.pdf") for i, f in enumerate(files * 2)]
        out["concurrent"] = await _phase(server, many, jobs, digests)
    finally:
        await asyncio.gather(*(u.close() for u in many), return_exceptions=True)
    return out


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(directory: Path, final: Path, data: bytes, *, rename: bool) -> None:
    if not rename:
        with final.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".upload-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, final)
    _fsync_dir(directory)


def raw_baseline(directory: Path, files: list[bytes], rounds: int = ROUNDS) -> dict[str, Any]:
    """Write every file once per variant per round, in the bench process, variants alternating
    round by round; nothing is deleted until the end (each write lands on newly allocated blocks,
    as the service's do). MB/s over all rounds, each round's MB/s, per-file p50/p99."""
    directory.mkdir(parents=True, exist_ok=True)
    variants = {"write_fsync": False, "write_fsync_rename_dirfsync": True}
    latencies: dict[str, list[float]] = {v: [] for v in variants}
    by_round: dict[str, list[float]] = {v: [] for v in variants}
    for r in range(rounds):
        for variant, rename in variants.items():
            started = time.perf_counter()
            for i, data in enumerate(files):
                t0 = time.perf_counter()
                _write(directory, directory / f"{variant}-{r}-{i:02d}", data, rename=rename)
                latencies[variant].append(time.perf_counter() - t0)
            wall = time.perf_counter() - started
            by_round[variant].append(len(files) * FILE_BYTES / MB / wall)
    return {
        variant: {
            "files": len(latencies[variant]),
            "seconds": sum(latencies[variant]),
            "mb_per_s": len(latencies[variant]) * FILE_BYTES / MB / sum(latencies[variant]),
            "mb_per_s_by_round": by_round[variant],
            **_stats(latencies[variant]),
        }
        for variant in variants
    }


def run(files: int = FILES, clients: int = CLIENTS) -> dict[str, Any]:
    import uvloop
    from ticketing_tickets.settings import DEV_JWT_SECRET

    base = Path(os.environ.get("BENCH_TMPDIR") or REPO / "var")
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-attachments-", dir=base))
    data_dir = scratch / "data"
    contents = _make_files(files)
    figures: dict[str, Any] = {}
    try:
        server = Server(
            "embedded app (ticketing run)",
            [sys.executable, "-m", "ticketing.cli", "run", "--host", "127.0.0.1", "--port", "0"],
            _server_env(
                TICKETING_DATA_DIR=str(data_dir),
                TICKETING_LOG_LEVEL=LOG_LEVEL,
                TICKETING_JWT_SECRET=DEV_JWT_SECRET,
            ),
            scratch / "embedded.log",
        )
        with _serving(server), asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            figures.update(runner.run(_drive(server, contents, clients)))
        lines = server.log_lines()
        figures["server_log_lines"] = len(lines)
        if lines:
            figures["server_log_tail"] = lines[-20:]
        figures["raw"] = raw_baseline(data_dir / "raw", contents)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    durable = figures["raw"]["write_fsync_rename_dirfsync"]["mb_per_s"]
    plain = figures["raw"]["write_fsync"]["mb_per_s"]
    for phase in ("sequential", "concurrent"):
        rate = figures[phase]["mb_per_s"]
        figures[f"{phase}_vs_raw"] = rate / durable
        figures[f"{phase}_vs_raw_plain"] = rate / plain
    figures["method"] = {
        "files": files,
        "file_bytes": FILE_BYTES,
        "clients": clients,
        "slice_bytes": SLICE,
        "mb": "10^6 bytes",
        "goal_ratio_against": "write_fsync_rename_dirfsync",
        "scratch_under": str(base),
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.attachments_bench", description=__doc__)
    parser.add_argument("--files", type=int, default=FILES)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.files, args.clients), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
