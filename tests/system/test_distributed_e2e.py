"""The end-to-end scenario (tests/scenario.py) against the distributed processes on the real
engines: the relay, the four services and the gateway started by `ticketing.distributed` with
the environment `make run-distributed` gives them. Its own Kafka topic and consumer groups,
MongoDB database and S3 bucket, all removed afterwards, so it never meets another test's data.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]
from pymongo import AsyncMongoClient

from tests.engines import kafka_bootstrap, mongodb_url, s3
from tests.s3_buckets import plain_client, remove_bucket
from tests.scenario import run_scenario
from ticketing.distributed import Engines, Topology, started

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def engines() -> Engines:
    endpoint, access_key, secret_key = s3()
    return Engines(kafka_bootstrap(), mongodb_url(), endpoint, access_key, secret_key)


async def test_the_distributed_processes_pass_the_end_to_end_scenario(
    tmp_path: Path, engines: Engines
) -> None:
    run = uuid.uuid4().hex[:12]
    topology = Topology(
        tmp_path,
        engines,
        port_base=0,  # any free ports, bound by the supervisor and never let go
        kafka_topic=f"tickets.events.v1.e2e-{run}",
        kafka_group_prefix=f"e2e-{run}",
        mongo_database=f"e2e_{run}",
        s3_bucket=f"ticketing-e2e-{run}",
        log_level="WARNING",
    )
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
    try:
        with started(topology, base_env=inherited, timeout=120) as supervisor:
            await run_scenario(supervisor.topology.gateway_url)
    finally:
        await _remove(topology)


async def _remove(topology: Topology) -> None:
    """Drop what the run made in the engines (each step even if another fails)."""
    try:
        mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            topology.engines.mongodb_url, serverSelectionTimeoutMS=5000
        )
        try:
            await mongo.drop_database(topology.mongo_database)
        finally:
            await mongo.close()
    finally:
        try:
            remove_bucket(plain_client(), topology.s3_bucket)
        finally:
            admin = AIOKafkaAdminClient(bootstrap_servers=topology.engines.kafka_bootstrap)
            await admin.start()
            try:
                topics = {topology.kafka_topic, f"{topology.kafka_topic}.dlq"}
                await admin.delete_topics(sorted(topics & set(await admin.list_topics())))
            finally:
                await admin.close()
