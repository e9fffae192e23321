"""The aiokafka clients' lifecycle for `KafkaFeed`: retry delays, which errors are worth a retry,
stopping a client without raising."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import structlog
from aiokafka.errors import (  # type: ignore[import-untyped]
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
)

_log = structlog.get_logger("ticketing.feed.kafka")

CLOSE_TIMEOUT = 10.0  # seconds for the last commit, and for each client to stop


def backoff(initial: float, ceiling: float) -> Iterable[float]:
    delay = initial
    while True:
        yield delay
        delay = min(delay * 2, ceiling)


def transient(error: KafkaError) -> bool:
    return bool(getattr(error, "retriable", False)) or isinstance(
        error, KafkaTimeoutError | KafkaConnectionError
    )


async def stop_quietly(*clients: Any) -> None:
    for client in clients:
        if client is None:
            continue
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await client.stop()
        except Exception as error:  # closing must not hide why we close
            _log.warning("kafka_client_stop_failed", error=repr(error))
