"""Starting the topology's processes, waiting until they are ready, stopping them by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from .topology import Process, Topology


class StartFailed(RuntimeError):
    """A process exited or did not get ready; the message carries its log's tail."""


@dataclass
class Running:
    process: Process
    popen: subprocess.Popen[bytes]
    log: Path


class Supervisor:
    """Starts the topology's processes, waits until each is ready, stops them by pid."""

    def __init__(self, topology: Topology, *, base_env: Mapping[str, str] | None = None) -> None:
        self.topology = topology
        self._base_env = dict(os.environ if base_env is None else base_env)
        self.running: list[Running] = []

    def start(self) -> None:
        for process in self.topology.processes:
            self.running.append(self._spawn(process))
        self._write_pids()

    def _spawn(self, process: Process) -> Running:
        logs = self.topology.run_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = self._base_env | self.topology.environment(process.name)
        if "TICKETING_DATA_DIR" in env:
            Path(env["TICKETING_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        if _port_taken(process.port):
            raise StartFailed(f"port {process.port} ({process.name}) is already in use")
        log = logs / f"{process.name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", process.module],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a terminal's Ctrl-C reaches the supervisor only
            )
        return Running(process, popen, log)

    def _write_pids(self) -> None:
        pids = "".join(f"{r.process.name} {r.popen.pid}\n" for r in self.running)
        (self.topology.run_dir / "pids").write_text(pids)

    def _running(self, name: str) -> Running:
        for running in self.running:
            if running.process.name == name:
                return running
        raise LookupError(f"no running process named {name!r}")

    def kill(self, name: str) -> None:
        """`kill -9` one process (a crash, for the failure tests) and reap it; `restart` brings
        it back."""
        running = self._running(name)
        if running.popen.poll() is None:
            running.popen.kill()
        running.popen.wait(timeout=10)

    def restart(self, name: str, timeout: float = 90.0) -> None:
        """Start one process again (killed, or stopped here first) with the same environment
        and log, and wait until its /readyz answers 200."""
        old = self._running(name)
        if old.popen.poll() is None:
            old.popen.send_signal(signal.SIGTERM)
            old.popen.wait(timeout=30)
        # Its port may linger for a moment after a kill: wait rather than fail on it.
        deadline = time.monotonic() + 10
        while _port_taken(old.process.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        new = self._spawn(old.process)
        self.running[self.running.index(old)] = new
        self._write_pids()
        self._wait([new], timeout)

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until every process's /readyz answers 200; StartFailed if one exits or is late."""
        self._wait(self.running, timeout)

    def _wait(self, processes: list[Running], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(processes)
        with httpx.Client(timeout=2) as client:
            while pending:
                for running in list(pending):
                    self._check_alive(running)
                    with contextlib.suppress(httpx.HTTPError):
                        if client.get(f"{running.process.url}/readyz").status_code == 200:
                            pending.remove(running)
                if pending and time.monotonic() > deadline:
                    names = ", ".join(r.process.name for r in pending)
                    raise StartFailed(
                        f"not ready after {timeout:.0f} s: {names}\n" + _tails(pending)
                    )
                if pending:
                    time.sleep(0.2)

    def check(self) -> None:
        """StartFailed if a process has exited."""
        for running in self.running:
            self._check_alive(running)

    def _check_alive(self, running: Running) -> None:
        code = running.popen.poll()
        if code is not None:
            raise StartFailed(f"{running.process.name} exited with {code}\n" + _tails([running]))

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM to the gateway, then to the others; SIGKILL what is still up after `grace`."""
        gateway = [r for r in self.running if r.process.name == "gateway"]
        others = [r for r in self.running if r.process.name != "gateway"]
        for group in (gateway, others):
            for running in group:
                if running.popen.poll() is None:
                    running.popen.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + grace
            for running in group:
                try:
                    running.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    running.popen.kill()
                    running.popen.wait(timeout=10)
        self.running = []
        with contextlib.suppress(FileNotFoundError):
            (self.topology.run_dir / "pids").unlink()


@contextlib.contextmanager
def started(
    topology: Topology, *, base_env: Mapping[str, str] | None = None, timeout: float = 90.0
) -> Iterator[Supervisor]:
    """The topology running and ready; stopped at exit, whatever happened."""
    supervisor = Supervisor(topology, base_env=base_env)
    try:
        supervisor.start()
        supervisor.wait_ready(timeout)
        yield supervisor
    finally:
        supervisor.stop()


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _tails(running: list[Running], lines: int = 30) -> str:
    parts = []
    for r in running:
        text = r.log.read_text(errors="replace").splitlines()[-lines:] if r.log.exists() else []
        parts.append(f"--- {r.log} (last {lines} lines)\n" + "\n".join(text))
    return "\n".join(parts)
