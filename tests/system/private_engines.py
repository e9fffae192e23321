"""Engines of a test's own, to stop and start without touching the shared ones.

Each engine runs from `deploy/local/engines.sh` in a run directory of its own (so `down` stops
that engine only) on free ports; the build cache is shared, so `up` takes seconds once the
shared engines were started. Its data stays in the run directory: `up` after `down` brings the
same broker or database back.
"""

from __future__ import annotations

import random
import socket
import subprocess
import uuid
from pathlib import Path

from ticketing.distributed import Engines, Topology

ROOT = Path(__file__).resolve().parents[2]
ENGINES_SH = ROOT / "deploy" / "local" / "engines.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def free_port_block(count: int = 6) -> int:
    """The first of `count` consecutive ports nothing listens on (a topology's port base)."""
    for _ in range(200):
        base = random.randrange(20_000, 60_000)
        if all(_bindable(base + i) for i in range(count)):
            return base
    raise RuntimeError("no block of free ports found")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class PrivateEngine:
    """One engine (`kafka` or `ferretdb`) of engines.sh, in `run_dir`, on ports of its own."""

    def __init__(self, name: str, run_dir: Path, base_env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.run_dir = run_dir
        ports = {
            "kafka": {"KAFKA_PORT": str(self.port), "KAFKA_CONTROLLER_PORT": str(free_port())},
            "ferretdb": {"FERRETDB_PORT": str(self.port)},
        }[name]
        self._env = base_env | {
            "TICKETING_ENGINES": name,
            "TICKETING_ENGINES_RUN_DIR": str(run_dir),
            **ports,
        }

    @property
    def address(self) -> str:
        """`host:port` for Kafka, a `mongodb://` URL (no database) for FerretDB."""
        if self.name == "kafka":
            return f"127.0.0.1:{self.port}"
        return f"mongodb://127.0.0.1:{self.port}"

    def up(self) -> None:
        self._engines("up")

    def down(self) -> None:
        self._engines("down")

    def _engines(self, command: str) -> None:
        done = subprocess.run(
            ["bash", str(ENGINES_SH), command],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert done.returncode == 0, f"engines.sh {command} {self.name}:\n{done.stderr}"


def scratch_topology(run_dir: Path, engines: Engines, purpose: str) -> Topology:
    """A topology whose Kafka topic and groups, MongoDB database and S3 bucket are its own."""
    run = f"{purpose}-{uuid.uuid4().hex[:10]}"
    return Topology(
        run_dir,
        engines,
        port_base=free_port_block(),
        kafka_topic=f"tickets.events.v1.{run}",
        kafka_group_prefix=run,
        mongo_database=run.replace("-", "_"),
        s3_bucket=f"ticketing-{run}",
        log_level="WARNING",
    )
