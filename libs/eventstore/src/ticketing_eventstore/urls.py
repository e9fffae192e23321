"""One function that chooses the event store adapter a URL names (TICKETING_EVENT_STORE_URL)."""

from __future__ import annotations

from .ports import EventStore

#: The connection-string schemes kurrentdbclient accepts (kdb and esdb are its synonyms).
KURRENTDB_SCHEMES = frozenset(
    {"kurrentdb", "kurrentdb+discover", "esdb", "esdb+discover", "kdb", "kdb+discover"}
)


def open_event_store(
    url: str, *, synchronous: str = "FULL", poll_interval: float = 0.25
) -> EventStore:
    """The event store `url` names; no IO happens here (each adapter opens on first use).

    - `sqlite:///path.db`: the embedded SQLite file (`sqlite:////abs/path.db` for an absolute
      path), with the SQLite `synchronous` setting; a subscription notices another process's
      appends within `poll_interval` seconds (this process's at once);
    - `memory://`: in memory, for tests and throwaway demos;
    - `kurrentdb://host:2113?tls=false` (also `esdb://`, `kdb://`, and `+discover` forms): a
      KurrentDB / EventStoreDB server or cluster, the URL passed to its client as it is.

    Raises ValueError for any other URL; the message never repeats the URL (it may hold a
    password).
    """
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if not separator:
        raise ValueError(
            "the event store URL has no scheme: use sqlite:///, memory:// or kurrentdb://"
        )
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise ValueError(
                "an SQLite event store URL is sqlite:///path (three slashes and a path)"
            )
        from .sqlite import SqliteEventStore  # adapters load with the URL that names them

        return SqliteEventStore(rest[1:], synchronous=synchronous, poll_interval=poll_interval)
    if scheme == "memory":
        if rest:
            raise ValueError("an in-memory event store URL is just memory://")
        from .memory import InMemoryEventStore

        return InMemoryEventStore()
    if scheme in KURRENTDB_SCHEMES:
        # Imported here: the gRPC client costs a quarter of a second to import.
        from .kurrentdb import KurrentDBEventStore

        return KurrentDBEventStore(url)
    raise ValueError(
        f"unsupported event store URL scheme {scheme!r}: use sqlite:///, memory:// or kurrentdb://"
    )
