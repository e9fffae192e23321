"""Projection metrics on the app's `/metrics`: lag in events and seconds, events and batches
applied, the last batch's time, failures in a row.

Values are read from the projector's `Subscription` at scrape time; the feed's head position
(an await) is refreshed just before each scrape by a small ASGI middleware, since collectors are
synchronous.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Receive, Scope, Send
from ticketing_feed.subscription import Subscription


class ProjectionCollector(Collector):
    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription

    def collect(self) -> Iterable[Metric]:
        m = self._subscription
        yield GaugeMetricFamily(
            "projection_lag_events",
            "Events in the store the read model has not applied yet (head - applied)",
            value=m.lag_events,
        )
        yield GaugeMetricFamily(
            "projection_lag_seconds",
            "Age of the last applied event while behind; 0 when caught up",
            value=m.lag_seconds,
        )
        yield GaugeMetricFamily(
            "projection_applied_position", "Global position applied", value=m.applied
        )
        yield CounterMetricFamily(
            "projector_events_applied",
            "Ticket events folded into the read model (rate() gives events per second)",
            value=m.metrics.events,
        )
        yield CounterMetricFamily(
            "projector_batches_applied",
            "Feed batches applied to the read model",
            value=m.metrics.batches,
        )
        yield GaugeMetricFamily(
            "projector_last_batch_seconds",
            "How long the last batch took to fold and write",
            value=m.metrics.last_batch_seconds,
        )
        yield GaugeMetricFamily(
            "projector_failures_in_a_row",
            "Failures since the projector last applied a batch (0 when healthy)",
            value=m.failures_in_a_row,
        )


class RefreshBeforeScrape:
    """ASGI middleware: refreshes the feed's head position before `/metrics` answers."""

    def __init__(self, app: ASGIApp, *, subscription: Subscription, path: str = "/metrics"):
        self.app = app
        self.subscription = subscription
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path:
            # A store that does not answer must not fail the scrape: the last head is kept.
            with contextlib.suppress(Exception):
                await self.subscription.refresh_head()
        await self.app(scope, receive, send)


def register(registry: CollectorRegistry, subscription: Subscription) -> None:
    registry.register(ProjectionCollector(subscription))
