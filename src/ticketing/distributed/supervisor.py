"""Starting the topology's processes, waiting until they are ready, stopping them by pid."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from .listeners import Listeners, PortInUse
from .topology import Process, Topology


class StartFailed(RuntimeError):
    """A process exited or did not get ready; the message carries its log's tail."""


@dataclass
class Running:
    process: Process
    popen: subprocess.Popen[bytes]
    log: Path


class Supervisor:
    """Starts the topology's processes, waits until each is ready, stops them by pid.

    It binds every process's listening socket when it is made (StartFailed if a fixed port is
    taken; a topology with `port_base=0` gets free ones, and `self.topology` says which) and
    hands it to the process it starts, and again to a restarted one (see listeners.py); the
    sockets are closed by `stop`.
    """

    def __init__(self, topology: Topology, *, base_env: Mapping[str, str] | None = None) -> None:
        try:
            self._listeners = Listeners.bind({p.name: p.port for p in topology.processes})
        except PortInUse as taken:
            raise StartFailed(str(taken.strerror)) from taken
        self.topology = dataclasses.replace(topology, ports=self._listeners.ports)
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
        fd = self._listeners.fileno(process.name)
        env["TICKETING_LISTEN_FD"] = str(fd)  # serve on the socket bound here, not on a port
        log = logs / f"{process.name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", process.module],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=(fd,),
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
        new = self._spawn(old.process)  # on the same socket: the port was never let go
        self.running[self.running.index(old)] = new
        self._write_pids()
        self._wait([new], timeout)

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until every process's /readyz answers 200; StartFailed if one exits or is late."""
        self._wait(self.running, timeout)

    def _wait(self, processes: list[Running], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(processes)
        # One probe per process at a time, all at once: a process still starting has its
        # connections accepted by the socket held here and answered only once it serves, so a
        # probe in turn would wait its whole timeout for each process before the next.
        with httpx.Client(timeout=2) as client, ThreadPoolExecutor(len(pending) or 1) as pool:
            while pending:
                for running in pending:
                    self._check_alive(running)
                answers = pool.map(lambda r: _ready(client, r.process), pending)
                pending = [r for r, ready in zip(pending, answers, strict=True) if not ready]
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
        self._listeners.close()
        with contextlib.suppress(FileNotFoundError):
            (self.topology.run_dir / "pids").unlink()


@contextlib.contextmanager
def started(
    topology: Topology, *, base_env: Mapping[str, str] | None = None, timeout: float = 90.0
) -> Iterator[Supervisor]:
    """The topology running and ready; stopped at exit, whatever happened."""
    supervisor = Supervisor(topology, base_env=base_env)  # binds the ports: see its topology
    try:
        supervisor.start()
        supervisor.wait_ready(timeout)
        yield supervisor
    finally:
        supervisor.stop()


def _ready(client: httpx.Client, process: Process) -> bool:
    try:
        return client.get(f"{process.url}/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def _tails(running: list[Running], lines: int = 30) -> str:
    parts = []
    for r in running:
        text = r.log.read_text(errors="replace").splitlines()[-lines:] if r.log.exists() else []
        parts.append(f"--- {r.log} (last {lines} lines)\n" + "\n".join(text))
    return "\n".join(parts)
