"""Commands over HTTP: the embedded app vs a no-op FastAPI endpoint served the same way.

Goal (issue 2): at 64 clients, open+reply commands reach at least 50% of the no-op endpoint's
request rate, with a p99 at most twice its p99.

- Server A, the real thing: `python -m ticketing.cli run --host 127.0.0.1 --port <free>` in a
  subprocess, with TICKETING_DATA_DIR a fresh directory under `<repo>/var` (or BENCH_TMPDIR), so
  the event store sits on the repo's disk, TICKETING_LOG_LEVEL=WARNING (silences the per-request
  access line) and every other setting at its default (SQLite WAL, synchronous=FULL).
- Server B, the baseline: `python -m bench.noop_app` (FastAPI, a pydantic `{title, body}` body,
  201 `{ok: true}`) served by the same `uvicorn.run` call with the same defaults (uvloop,
  httptools, one worker, one process).
- Load: 64 clients, one keep-alive connection each, looping for `warmup + duration` seconds;
  only requests that start after the warm-up and finish before the end are counted. Against A a
  client opens a ticket as its own customer (Persian title and ~200-character body) and replies to
  it, again and again: each request is one command. Against B it posts the same-sized body with
  the same headers.
- Client: by default a minimal asyncio HTTP/1.1 client on uvloop that writes pre-built request
  bytes and reads `Content-Length` bodies (`client="raw"`); `client="httpx"` uses one
  `httpx.AsyncClient` per client instead (see bench/README.md for why raw is the default).

Run alone: `.venv/bin/python -m bench.http_bench [--client raw|httpx] [--duration 10]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

REPO = Path(__file__).resolve().parents[1]
CLIENTS = 64
WARMUP_S = 2.0
DURATION_S = 10.0
BRAND = "bench"
LOG_LEVEL = "WARNING"

TITLE = "پنل پیامکی از دیروز پیامک ارسال نمی‌کند و مشتریان کد تایید دریافت نمی‌کنند"
BODY = (
    "سلام، از دیروز عصر هیچ پیامکی از پنل ارسال نمی‌شود و مشتریان ما کد تایید ورود را "
    "دریافت نمی‌کنند. اعتبار حساب کافی است و خطایی هم در گزارش‌ها دیده نمی‌شود. لطفاً "
    "بررسی کنید و نتیجه را اطلاع دهید."
)
REPLY = (
    "ممنون از پاسخ سریع شما. دوباره امتحان کردم و هنوز پیامک‌ها ارسال نمی‌شوند؛ شماره "
    "خط اختصاصی ما ۳۰۰۰۱۲۳۴ است و مشکل از ساعت شش عصر دیروز شروع شد. لطفاً پیگیری "
    "کنید و خبر بدهید."
)


# --- servers ------------------------------------------------------------------------------


#: The line a server started with `--port 0` prints once it listens (`ticketing run`, the
#: no-op app): the port is the kernel's pick, so no other program can have taken it first.
_LISTENING = re.compile(r"is listening on http://127\.0\.0\.1:(\d+)$", re.MULTILINE)


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(pid: int) -> tuple[float, int]:
    """utime + stime of a process and every process below it (all their threads), from /proc,
    and how many processes that was: the CPU of a whole deployment started as one command."""
    total, count, todo = 0.0, 0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += _cpu_seconds(current)
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended meanwhile
        count += 1
        for task in tasks:
            try:
                todo += [int(child) for child in (task / "children").read_text().split()]
            except FileNotFoundError:
                continue
    return total, count


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    _port: int | None = None

    @property
    def port(self) -> int:
        assert self._port is not None, f"{self.name} has not said where it listens yet"
        return self._port

    def start(self, timeout: float = 30.0) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode} before /healthz answered:\n"
                    + self.log_tail()
                )
            if self._port is None:
                found = _LISTENING.search("\n".join(self.log_lines()))
                self._port = int(found.group(1)) if found else None
            with contextlib.suppress(OSError):
                if self._port is None:
                    raise OSError("not listening yet")
                conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=1)
                try:
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        return
                finally:
                    conn.close()
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer /healthz in {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_lines(self) -> list[str]:
        if not self.log_path.exists():
            return []
        return self.log_path.read_text(errors="replace").splitlines()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_lines()[-lines:])


def _server_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any TICKETING_* setting: the service's defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
    return env | extra


@contextlib.contextmanager
def _serving(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- clients ------------------------------------------------------------------------------


class Connection(Protocol):
    async def connect(self) -> None: ...
    async def request(self, path: str, headers: bytes, body: bytes) -> tuple[int, bytes]: ...
    async def close(self) -> None: ...


class RawConnection:
    """One keep-alive HTTP/1.1 connection; POST only; responses must carry Content-Length."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.host_header = f"Host: {host}:{port}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, path: str, headers: bytes, body: bytes) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            await self.connect()
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(
            b"POST %s HTTP/1.1\r\n%s%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self.host_header, headers, len(body), body)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, closing = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                raise RuntimeError(f"unsupported Transfer-Encoding: {value.strip()!r}")
            elif name == b"connection" and value.strip().lower() == b"close":
                closing = True
        payload = await self.reader.readexactly(length) if length else b""
        if closing:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class HttpxConnection:
    """One `httpx.AsyncClient` limited to one keep-alive connection."""

    def __init__(self, host: str, port: int) -> None:
        import httpx

        self.client = httpx.AsyncClient(
            base_url=f"http://{host}:{port}",
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=60,
        )
        self.headers: dict[bytes, dict[str, str]] = {}

    async def connect(self) -> None:
        return None

    async def request(self, path: str, headers: bytes, body: bytes) -> tuple[int, bytes]:
        parsed = self.headers.get(headers)
        if parsed is None:
            parsed = dict(
                (name.strip(), value.strip())
                for name, _, value in (
                    line.partition(":") for line in headers.decode().split("\r\n") if line
                )
            )
            self.headers[headers] = parsed
        response = await self.client.post(path, content=body, headers=parsed)
        return response.status_code, response.content

    async def close(self) -> None:
        await self.client.aclose()


CLIENT_KINDS: dict[str, Callable[[str, int], Connection]] = {
    "raw": RawConnection,
    "httpx": HttpxConnection,
}


# --- load ---------------------------------------------------------------------------------


@dataclass
class Tally:
    measure_from: float
    measure_to: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def record(self, label: str, started: float, ended: float, status: int, body: bytes) -> None:
        self.statuses[str(status)] += 1
        if not 200 <= status < 300 and len(self.failures) < 10:
            self.failures.append(f"{label} -> {status}: {body[:500].decode(errors='replace')}")
        if started >= self.measure_from and ended <= self.measure_to:
            self.latencies.setdefault(label, []).append(ended - started)

    def exception(self, label: str, exc: BaseException) -> None:
        self.statuses["exception"] += 1
        if len(self.failures) < 10:
            self.failures.append(f"{label} -> {exc!r}")


Scenario = Callable[[Connection, int, Tally], Awaitable[None]]


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _headers(token: str) -> bytes:
    return f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n".encode()


def _tokens(secret: str, clients: int) -> list[str]:
    from ticketing_web.auth import mint_token

    now = int(time.time())
    return [
        mint_token(
            secret=secret,
            sub=f"bench-customer-{i:03d}",
            role="customer",
            brand=BRAND,
            ttl_seconds=3600,
            now=now,
        )
        for i in range(clients)
    ]


def _open_body(i: int) -> bytes:
    return _json(
        {
            "title": f"{TITLE} ({i:03d})",
            "department": "technical",
            "priority": "normal",
            "body": BODY,
        }
    )


async def _timed(
    conn: Connection, tally: Tally, label: str, path: str, headers: bytes, body: bytes
) -> bytes | None:
    started = time.perf_counter()
    try:
        status, payload = await conn.request(path, headers, body)
    except Exception as exc:  # a failed request is a figure, not a crash
        tally.exception(label, exc)
        await conn.close()
        await asyncio.sleep(0.05)
        return None
    tally.record(label, started, time.perf_counter(), status, payload)
    return payload if 200 <= status < 300 else None


def embedded_scenario(tokens: list[str]) -> Scenario:
    """Open a ticket, reply to it; repeat."""
    reply = _json({"body": REPLY})

    async def loop(conn: Connection, i: int, tally: Tally) -> None:
        headers, opening = _headers(tokens[i]), _open_body(i)
        while time.perf_counter() < tally.measure_to:
            opened = await _timed(conn, tally, "open", "/v1/tickets", headers, opening)
            if opened is None or time.perf_counter() >= tally.measure_to:
                continue
            ticket_id = json.loads(opened)["ticket_id"]
            path = f"/v1/tickets/{ticket_id}/messages"
            await _timed(conn, tally, "reply", path, headers, reply)

    return loop


def noop_scenario(tokens: list[str]) -> Scenario:
    """Post a body of the open command's size, with the same headers; repeat."""

    async def loop(conn: Connection, i: int, tally: Tally) -> None:
        headers = _headers(tokens[i])
        body = _json({"title": f"{TITLE} ({i:03d})", "body": BODY})
        while time.perf_counter() < tally.measure_to:
            await _timed(conn, tally, "noop", "/v1/noop", headers, body)

    return loop


def _percentiles(latencies: list[float]) -> dict[str, float]:
    if len(latencies) < 2:
        return {"p50_ms": float("nan"), "p99_ms": float("nan")}
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000}


async def _drive(
    server: Server, scenario: Scenario, kind: str, clients: int, warmup: float, duration: float
) -> dict[str, Any]:
    assert server.proc is not None
    pid = server.proc.pid
    conns = [CLIENT_KINDS[kind]("127.0.0.1", server.port) for _ in range(clients)]
    await asyncio.gather(*(c.connect() for c in conns))
    start = time.perf_counter()
    tally = Tally(measure_from=start + warmup, measure_to=start + warmup + duration)
    cpu: dict[str, float] = {}

    async def sample() -> None:
        await asyncio.sleep(warmup)
        cpu["server0"], cpu["client0"] = _cpu_seconds(pid), time.process_time()
        cpu["tree0"], _ = _tree_cpu_seconds(pid)
        cpu["wall0"] = time.perf_counter()
        await asyncio.sleep(duration)
        cpu["server1"], cpu["client1"] = _cpu_seconds(pid), time.process_time()
        cpu["tree1"], cpu["processes"] = _tree_cpu_seconds(pid)
        cpu["wall1"] = time.perf_counter()

    try:
        await asyncio.gather(sample(), *(scenario(c, i, tally) for i, c in enumerate(conns)))
    finally:
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
    wall = cpu["wall1"] - cpu["wall0"]
    every = [x for values in tally.latencies.values() for x in values]
    result: dict[str, Any] = {
        "requests": len(every),
        "requests_per_s": len(every) / duration,
        **_percentiles(every),
        "by_request": {
            label: {"requests": len(values), **_percentiles(values)}
            for label, values in sorted(tally.latencies.items())
        },
        "statuses": dict(tally.statuses),
        "errors": sum(n for s, n in tally.statuses.items() if not s.startswith("2")),
        "failures": tally.failures,
        "server_cpu_pct": 100 * (cpu["server1"] - cpu["server0"]) / wall,
        "client_cpu_pct": 100 * (cpu["client1"] - cpu["client0"]) / wall,
        # CPU of the server and every process below it over the measured window, per request
        # counted in it (requests straddling the window's edges are not counted: ~64 of them)
        "deployment_cpu_seconds": cpu["tree1"] - cpu["tree0"],
        "deployment_processes": int(cpu["processes"]),
        "cpu_ms_per_request": 1000 * (cpu["tree1"] - cpu["tree0"]) / max(1, len(every)),
    }
    return result


def _measure(
    server: Server, scenario: Scenario, kind: str, clients: int, warmup: float, duration: float
) -> dict[str, Any]:
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(_drive(server, scenario, kind, clients, warmup, duration))
    lines = server.log_lines()
    result["server_log_lines"] = len(lines)
    if lines:
        result["server_log_tail"] = lines[-20:]
    return result


def run(
    clients: int = CLIENTS,
    warmup: float = WARMUP_S,
    duration: float = DURATION_S,
    client: str = "raw",
) -> dict[str, Any]:
    """Measure B (no-op) then A (embedded), each on a fresh server; return the figures."""
    from ticketing_tickets.settings import DEV_JWT_SECRET

    if client not in CLIENT_KINDS:
        raise ValueError(f"client must be one of {sorted(CLIENT_KINDS)}")
    base = Path(os.environ.get("BENCH_TMPDIR") or REPO / "var")
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-http-", dir=base))
    tokens = _tokens(DEV_JWT_SECRET, clients)
    python = sys.executable
    try:
        noop = Server(
            "no-op FastAPI app",
            [python, "-m", "bench.noop_app", "--host", "127.0.0.1", "--port", "0"],
            _server_env(),
            scratch / "noop.log",
        )
        with _serving(noop):
            b = _measure(noop, noop_scenario(tokens), client, clients, warmup, duration)
        data_dir = scratch / "data"
        embedded = Server(
            "embedded app (ticketing run)",
            [python, "-m", "ticketing.cli", "run", "--host", "127.0.0.1", "--port", "0"],
            _server_env(
                TICKETING_DATA_DIR=str(data_dir),
                TICKETING_LOG_LEVEL=LOG_LEVEL,
                TICKETING_JWT_SECRET=DEV_JWT_SECRET,
            ),
            scratch / "embedded.log",
        )
        with _serving(embedded):
            a = _measure(embedded, embedded_scenario(tokens), client, clients, warmup, duration)
        store_bytes = sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    a["data_dir_bytes"] = store_bytes
    return {
        "embedded": a,
        "noop": b,
        # An open and a reply are two requests: the deployment's CPU for one of each.
        "cpu_per_command": {
            "ms_per_open_reply": 2 * a["cpu_ms_per_request"],
            "ms_per_command": a["cpu_ms_per_request"],
            "noop_ms_per_request": b["cpu_ms_per_request"],
            # Both CPU-bound on one core, the rate ratio tends to the inverse of this one; CPU
            # per request is far less moved by other programs on the machine than rates are.
            "command_vs_noop": a["cpu_ms_per_request"] / max(b["cpu_ms_per_request"], 1e-9),
            "processes": a["deployment_processes"],
        },
        "rate_ratio": a["requests_per_s"] / b["requests_per_s"],
        "p99_ratio": a["p99_ms"] / b["p99_ms"],
        "method": {
            "clients": clients,
            "warmup_s": warmup,
            "duration_s": duration,
            "client": client,
            "server": "uvicorn.run defaults (uvloop, httptools), 1 worker, log level WARNING",
            "data_dir_under": str(base),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.http_bench", description=__doc__)
    parser.add_argument("--client", choices=sorted(CLIENT_KINDS), default="raw")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--warmup", type=float, default=WARMUP_S)
    parser.add_argument("--duration", type=float, default=DURATION_S)
    args = parser.parse_args(argv)
    figures = run(args.clients, args.warmup, args.duration, args.client)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
