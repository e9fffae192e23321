"""`python -m ticketing.distributed`: the topology on the local engines until Ctrl-C/SIGTERM
(what `make run-distributed` runs, through deploy/local/run-distributed.sh)."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import time
from pathlib import Path

from .supervisor import StartFailed, Supervisor
from .topology import Engines, Topology


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM unwinds like Ctrl-C: through the `finally` that stops all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ticketing.distributed",
        description="Run the relay, the four services, the panel and the gateway as local "
        "processes on "
        "the engines named by KAFKA_BOOTSTRAP, MONGODB_URL, S3_URL, S3_ACCESS_KEY and "
        "S3_SECRET_KEY (source var/engines/env); Ctrl-C or SIGTERM stops them all.",
    )
    parser.add_argument("--run-dir", type=Path, default=Path("var/distributed"))
    parser.add_argument(
        "--port-base", type=int, default=8000, help="gateway; services +1..+5; 0: any free ports"
    )
    parser.add_argument("--ready-timeout", type=float, default=90.0)
    args = parser.parse_args(argv)
    try:
        engines = Engines.from_environment(os.environ)
    except LookupError as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    topology = Topology(
        args.run_dir.resolve(),
        engines,
        port_base=args.port_base,
        internal_token=os.environ.get("TICKETING_INTERNAL_TOKEN") or secrets.token_urlsafe(32),
        log_level=os.environ.get("TICKETING_LOG_LEVEL", "INFO"),
    )
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        supervisor = Supervisor(topology)  # binds every port now, or says which one is taken
    except StartFailed as failed:
        print(f"error: {failed}", file=sys.stderr)
        return 1
    topology = supervisor.topology  # with the ports bound
    code = 0
    try:
        supervisor.start()
        print(f"starting; logs in {topology.run_dir / 'logs'}/", file=sys.stderr)
        supervisor.wait_ready(args.ready_timeout)
        print(_banner(topology, supervisor), flush=True)
        while True:
            supervisor.check()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("stopping…", file=sys.stderr)
    except StartFailed as failed:
        print(f"error: {failed}", file=sys.stderr)
        code = 1
    finally:
        for each in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the stop
            signal.signal(each, signal.SIG_IGN)
        supervisor.stop()
    return code


def _banner(topology: Topology, supervisor: Supervisor) -> str:
    lines = [f"ticketing (distributed) is ready: {topology.gateway_url}"]
    for r in supervisor.running:
        lines.append(f"  {r.process.name:<14} {r.process.url}  pid {r.popen.pid}  log {r.log}")
    lines.append("tokens: .venv/bin/ticketing token --role customer --sub c1 --brand acme")
    lines.append("Ctrl-C stops them all.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
