"""Engines of a test's own, to stop and start without touching the shared ones.

Each engine runs from `deploy/local/engines.sh` in a run directory of its own (so `down` stops
that engine only) on free ports; the build cache is shared, so `up` takes seconds once the
shared engines were started. Its data stays in the run directory: `up` after `down` brings the
same broker or database back.

The engines bind their ports themselves, so a port found free here can be taken by another
program before the engine binds it: `up` then starts again — on other free ports the first
time (with a fresh run directory), on the same ports after that (the topology names them), once
whoever took them has let go.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

from ticketing.distributed import Engines, Topology

ROOT = Path(__file__).resolve().parents[2]
ENGINES_SH = ROOT / "deploy" / "local" / "engines.sh"
#: What engines.sh, Kafka and FerretDB say when a port is taken.
BIND_FAILED = re.compile(r"already in use|address in use|failed to bind", re.IGNORECASE)
UP_ATTEMPTS = 5
RETRY_PAUSE_SECONDS = 2.0


def free_ports(count: int) -> list[int]:
    """`count` different ports nothing listened on a moment ago (held together while picked, so
    no two are the same)."""
    with contextlib.ExitStack() as held:
        socks = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def bind_failed(output: str) -> bool:
    """Whether engines.sh failed because a port was taken (its output and the log tail)."""
    return BIND_FAILED.search(output) is not None


class PrivateEngine:
    """One engine (`kafka` or `ferretdb`) of engines.sh, in `run_dir`, on ports of its own."""

    def __init__(self, name: str, run_dir: Path, base_env: dict[str, str]) -> None:
        if name not in ("kafka", "ferretdb"):
            raise ValueError(f"no private engine {name!r}")
        self.name = name
        self.run_dir = run_dir
        self._base_env = base_env
        self._has_run = False
        self._pick_ports()

    def _pick_ports(self) -> None:
        if self.name == "kafka":
            self.port, controller = free_ports(2)
            ports = {"KAFKA_PORT": str(self.port), "KAFKA_CONTROLLER_PORT": str(controller)}
        else:
            (self.port,) = free_ports(1)
            ports = {"FERRETDB_PORT": str(self.port)}
        self._env = self._base_env | {
            "TICKETING_ENGINES": self.name,
            "TICKETING_ENGINES_RUN_DIR": str(self.run_dir),
            **ports,
        }

    @property
    def address(self) -> str:
        """`host:port` for Kafka, a `mongodb://` URL (no database) for FerretDB."""
        if self.name == "kafka":
            return f"127.0.0.1:{self.port}"
        return f"mongodb://127.0.0.1:{self.port}"

    def up(self) -> None:
        """Start it; a start that failed on a taken port is tried again (see the module)."""
        for attempt in range(1, UP_ATTEMPTS + 1):
            done = self._engines("up")
            if done.returncode == 0:
                self._has_run = True
                return
            if attempt == UP_ATTEMPTS or not bind_failed(done.stderr):
                break
            self._engines("down")  # whatever part of it started
            if self._has_run:
                time.sleep(RETRY_PAUSE_SECONDS)  # its ports are known to others: wait for them
            else:
                shutil.rmtree(self.run_dir, ignore_errors=True)
                self._pick_ports()
        raise AssertionError(f"engines.sh up {self.name} (attempt {attempt}):\n{done.stderr}")

    def down(self) -> None:
        done = self._engines("down")
        assert done.returncode == 0, f"engines.sh down {self.name}:\n{done.stderr}"

    def _engines(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(ENGINES_SH), command],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )


def scratch_topology(run_dir: Path, engines: Engines, purpose: str) -> Topology:
    """A topology whose Kafka topic and groups, MongoDB database and S3 bucket are its own."""
    run = f"{purpose}-{uuid.uuid4().hex[:10]}"
    return Topology(
        run_dir,
        engines,
        port_base=0,  # any free ports, bound by the Supervisor: see its `topology`
        kafka_topic=f"tickets.events.v1.{run}",
        kafka_group_prefix=run,
        mongo_database=run.replace("-", "_"),
        s3_bucket=f"ticketing-{run}",
        log_level="WARNING",
    )
