"""The kill -9 run: commands flow through the gateway while the relay and each consumer service
are killed with SIGKILL at seeded random points and started again.

Shared by tests/system/test_distributed_failures.py (1k commands) and bench/distributed_bench.py
(5k). The points are command counts drawn from the seed (plus a few milliseconds, so a kill
lands mid-batch as often as between two); each target has its own killer, so kills of
different processes overlap as real crashes may. At its first point each target goes through a
crash loop: killed again as soon as its restart answers /readyz, while its consumer is still
joining the group (the killed member then lingers in the group until its session expires).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

from ticketing.distributed import Supervisor

from .distributed_load import Load, People, run_commands

TARGETS = ("relay", "query", "notifications", "attachments")
CRASH_LOOP = 2  # kills in a row at each target's first point


@dataclass
class Kill:
    target: str
    at_command: int
    restart_seconds: float


@dataclass
class KillRun:
    seed: int
    load: Load
    kills: list[Kill] = field(default_factory=list)
    seconds: float = 0.0


def kill_plan(seed: int, commands: int, per_target: int) -> dict[str, list[int]]:
    """For each target, the command counts after which it is killed (within 5..95 % of the run)."""
    rng = random.Random(seed)
    window = range(commands // 20, commands * 19 // 20)
    return {target: sorted(rng.sample(window, per_target)) for target in TARGETS}


async def kill_run(
    supervisor: Supervisor,
    cast: People,
    commands: int,
    *,
    seed: int,
    rate: float,
    per_target: int,
    workers: int = 8,
) -> KillRun:
    """Run `commands` commands at `rate` per second and the kills of `kill_plan`."""
    load = Load(total=commands)
    run = KillRun(seed, load)
    started = time.monotonic()

    async def killer(target: str, points: list[int]) -> None:
        jitter = random.Random(f"{seed}/{target}")
        for n, point in enumerate(points):
            await load.reached(point)
            for _ in range(CRASH_LOOP if n == 0 else 1):
                await asyncio.sleep(jitter.uniform(0, 0.05))
                supervisor.kill(target)
                at, restarting = load.done, time.monotonic()
                await asyncio.to_thread(supervisor.restart, target, 120)
                run.kills.append(Kill(target, at, time.monotonic() - restarting))

    plan = kill_plan(seed, commands, per_target)
    await asyncio.gather(
        run_commands(
            supervisor.topology.gateway_url,
            cast,
            commands,
            seed=seed,
            workers=workers,
            rate=rate,
            load=load,
        ),
        *(killer(target, points) for target, points in plan.items()),
    )
    run.seconds = time.monotonic() - started
    return run
