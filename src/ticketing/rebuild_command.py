"""`ticketing rebuild`: the read model reset and replayed from the event history, never under a
live server (the data directory's lock), saying what it reads and how much before it starts."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .data_dir_lock import DataDirInUse, held_exclusively


def shown_url(url: str) -> str:
    """`url` without a password (store URLs may carry credentials; this is printed)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def found_line(store_url: str, head: int) -> str:
    """What the store holds: on SQLite and in memory positions are dense, so the head position
    is the number of events; elsewhere (KurrentDB) only the position is known."""
    if store_url.startswith(("sqlite:", "memory:")):
        return f"{head:,} events"
    return f"events up to position {head:,}"


async def rebuild_read_model() -> int:
    """0 when rebuilt; 2 (with the reason) when a server holds the data directory."""
    from ticketing_query.application.rebuild import progress_line, rebuild
    from ticketing_query.bootstrap import read_model_from_url, store_feed
    from ticketing_query.settings import QuerySettings
    from ticketing_tickets.bootstrap import event_store_from_url
    from ticketing_tickets.settings import TicketsSettings

    settings, query_settings = TicketsSettings(), QuerySettings()
    data_dir: Path = settings.data_dir
    try:
        with held_exclusively(data_dir):
            store_url = settings.resolved_event_store_url()
            read_model_url = query_settings.resolved_read_model_url()
            store = event_store_from_url(store_url)
            read_model = read_model_from_url(read_model_url)
            try:
                head = await store.head_position()
                print(
                    f"rebuild: reading the event store {shown_url(store_url)}: "
                    f"{found_line(store_url, head)}; "
                    f"rebuilding the read model {shown_url(read_model_url)}",
                    file=sys.stderr,
                    flush=True,
                )
                reached = await rebuild(read_model, store_feed(store), progress=progress_line())
            finally:
                await read_model.close()
                await store.close()
    except DataDirInUse as held:
        print(
            f"error: a ticketing server is running on {data_dir} (it holds {held}); "
            "stop it first: a rebuild resets the read model that server is projecting into",
            file=sys.stderr,
        )
        return 2
    print(f"rebuilt the read model up to position {reached:,}", file=sys.stderr)
    return 0
