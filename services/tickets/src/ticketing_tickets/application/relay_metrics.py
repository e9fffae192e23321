"""The relay's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class RelayMetrics:
    """The relay's Prometheus metrics, in a registry of their own (one per relay)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.relayed = Counter("relay_events", "Events acknowledged by the broker", registry=r)
        self.skipped = Counter("relay_events_skipped", "Stored events not relayable", registry=r)
        self.markers = Counter("relay_markers", "Position markers sent", registry=r)
        self.failures = Counter("relay_failures", "Failures retried with backoff", registry=r)
        self.position = Gauge("relay_position", "Last position acknowledged", registry=r)
        self.checkpoint = Gauge("relay_checkpoint_position", "Last position saved", registry=r)
        self.lag = Gauge("relay_lag_positions", "Store head minus acknowledged", registry=r)
        self.connected = Gauge("relay_connected", "1 while the publisher is started", registry=r)
