"""Projection metrics on the app's `/metrics`: lag in events and seconds, events applied.

Values are read from the service's ProjectionMonitor at scrape time; the source's head position
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

from ticketing_query.application.monitor import ProjectionMonitor


class ProjectionCollector(Collector):
    def __init__(self, monitor: ProjectionMonitor) -> None:
        self._monitor = monitor

    def collect(self) -> Iterable[Metric]:
        m = self._monitor
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
            "projection_applied_position", "Global position applied", value=m.applied_position
        )
        yield CounterMetricFamily(
            "projector_events_applied",
            "Ticket events folded into the read model (rate() gives events per second)",
            value=m.events_applied,
        )


class RefreshBeforeScrape:
    """ASGI middleware: refreshes the monitor's head position before `/metrics` answers."""

    def __init__(self, app: ASGIApp, *, monitor: ProjectionMonitor, path: str = "/metrics"):
        self.app = app
        self.monitor = monitor
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path:
            # A store that does not answer must not fail the scrape: the last head is kept.
            with contextlib.suppress(Exception):
                await self.monitor.refresh_head()
        await self.app(scope, receive, send)


def register(registry: CollectorRegistry, monitor: ProjectionMonitor) -> None:
    registry.register(ProjectionCollector(monitor))
