"""Server-Sent Events: the caller's new notifications as they land (API.md, Notifications).

Each event is `id: <notification_id>` and `data: <the item as JSON>`. `Last-Event-ID` resumes
after that notification; without it the stream starts with what lands from now on. A writer's
commit wakes every open stream in the process at once; a poll covers writers in other processes;
a comment line every heartbeat keeps proxies from closing an idle stream.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from fastapi import Request

from ticketing_notifications.application.consumer import is_notification_id
from ticketing_notifications.application.ports import NotificationStore, Viewer
from ticketing_notifications.application.signal import Signal

from .schemas import item_of

_BATCH = 100


async def start_after(store: NotificationStore, viewer: Viewer, last_event_id: str | None) -> int:
    """The seq to stream after: that of `last_event_id` if the viewer may see it, else now (a
    malformed id too: it is not one this stream sent)."""
    wanted = last_event_id.strip(" \t") if last_event_id else ""
    if is_notification_id(wanted):
        known = await store.find(viewer, wanted)
        if known is not None:
            return known.seq
    newest = await store.items(viewer, limit=1)
    return newest[0].seq if newest else 0


async def events(
    request: Request,
    *,
    store: NotificationStore,
    viewer: Viewer,
    after: int,
    wake: Signal,
    poll: float,
    heartbeat: float,
    until: float,
) -> AsyncIterator[str]:
    """The SSE text of the viewer's items after seq `after`, until the client leaves or the
    token it was opened with is no longer accepted (`until`, epoch seconds): the client then
    reconnects with a fresh token, checked again."""
    yield "retry: 1000\n\n"
    last_write = time.monotonic()
    while time.time() < until and not await request.is_disconnected():
        batch = await store.items(viewer, limit=_BATCH, after=after)
        for item in batch:
            after = item.seq
            data = item_of(item).model_dump_json()
            yield f"id: {item.notification_id}\ndata: {data}\n\n"
        if batch:
            last_write = time.monotonic()
            if len(batch) == _BATCH:
                continue
        idle = time.monotonic() - last_write
        if idle >= heartbeat:
            yield ": heartbeat\n\n"
            last_write = time.monotonic()
            continue
        await wake.wait(min(poll, heartbeat - idle))
