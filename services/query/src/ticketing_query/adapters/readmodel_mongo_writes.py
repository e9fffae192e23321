"""Applying a projection batch to the MongoDB read model without multi-document transactions.

Every write is a single-document operation that is harmless to repeat, and the checkpoint is
written last:

1. Views. Each ticket's newest view in the batch is first inserted as a new document: a ticket
   seen for the first time (every ticket of a rebuild) costs one insert and no read. Those whose
   `_id` is taken are updated with the filter `{_id, version: {$lt: new version}}`, so a view
   replaces only an older one, atomically within its document, however many projectors race.
2. Messages, inserted by `_id` (brand + message id); one already there is left as it is.
3. The checkpoint, moved up with `$max`.

A crash between any two writes leaves documents that are each either old or new, and the
checkpoint at or before the batch; the batch (or any regrouping of the events after the
checkpoint) is then applied again and changes only what is still old. Counters are not stored
apart from the tickets (see readmodel_mongo), so there is nothing that could be counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from ticketing_query.application.ports import ProjectionBatch
from ticketing_query.domain.view import MessageView, TicketView

from .readmodel_mongo_documents import Document, message_document, ticket_document

Collection = AsyncCollection[Document]

#: The one checkpoint document's `_id`.
CHECKPOINT_ID = "projection"
_DUPLICATE_KEY = 11000


class TicketNotStored(Exception):
    """A view could neither be inserted nor replace a stored one: its tracking code belongs to
    another ticket of the brand, or the read model was reset meanwhile."""


async def apply_batch(
    tickets: Collection, messages: Collection, checkpoints: Collection, batch: ProjectionBatch
) -> None:
    """Write `batch` in the order above; each step may be repeated after a crash."""
    if batch.views:
        await write_views(tickets, newest_per_ticket(batch.views))
    if batch.messages:
        await insert_messages(messages, batch.messages)
    await checkpoints.update_one(
        {"_id": CHECKPOINT_ID}, {"$max": {"position": batch.position}}, upsert=True
    )


def newest_per_ticket(views: Sequence[TicketView]) -> list[TicketView]:
    newest: dict[tuple[str, str], TicketView] = {}
    for view in views:
        key = (view.brand_id, view.ticket_id)
        kept = newest.get(key)
        if kept is None or view.version > kept.version:
            newest[key] = view
    return list(newest.values())


async def write_views(tickets: Collection, views: Sequence[TicketView]) -> None:
    documents = [ticket_document(view) for view in views]
    taken = await insert_new(tickets, documents)
    if not taken:
        return
    updates = [
        UpdateOne(
            {"_id": document["_id"], "version": {"$lt": document["version"]}},
            {"$set": {k: v for k, v in document.items() if k != "_id"}},
        )
        for document in taken
    ]
    result = await tickets.bulk_write(updates, ordered=False)
    if result.matched_count < len(taken):
        # Usually a redelivery (the stored view is as new); make sure each one is there.
        ids = [document["_id"] for document in taken]
        if await tickets.count_documents({"_id": {"$in": ids}}) < len(ids):
            raise TicketNotStored(f"some of {ids} were neither inserted nor updated")


async def insert_messages(messages: Collection, batch: Sequence[MessageView]) -> None:
    await insert_new(messages, [message_document(message) for message in batch])


async def insert_new(collection: Collection, documents: Sequence[Document]) -> list[Document]:
    """Insert each document unless its `_id` (or another unique key) is taken; return those."""
    try:
        await collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        errors: list[dict[str, Any]] = error.details.get("writeErrors", [])
        if any(e.get("code") != _DUPLICATE_KEY for e in errors) or error.details.get(
            "writeConcernErrors"
        ):
            raise
        return [documents[e["index"]] for e in errors]
    return []
