"""Applying a projection batch to the MongoDB read model without multi-document transactions.

Every write is a single-document operation that is harmless to repeat, and the checkpoint is
written last:

1. Messages, inserted by `_id` (brand + message id); one already there is left as it is. They
   go first: the projector derives a message only from an event its stored view has not yet
   folded, so a view written before its messages, with a crash between, would lose them for
   good (found by the test that stops FerretDB mid-projection).
2. Views. Each ticket's newest view in the batch is first inserted as a new document: a ticket
   seen for the first time (every ticket of a rebuild) costs one insert and no read. One whose
   `_id` is taken replaces the stored view only if that one's version is lower. A ticket whose
   stored version the batch carries (`stored_versions`: the projector read it to fold the
   batch) is not inserted first, and on FerretDB not read again either:
   - on MongoDB, by an update whose filter is `{_id, version: {$lt: new version}}`: atomic
     within the document, however many projectors race;
   - on FerretDB (`guard_in_filter=False`), by comparing with the stored versions read just
     before (each by its lone `_id`) and updating by `_id` alone. FerretDB 1.24 evaluates any
     filter but a lone `_id` by decoding every document of the collection, and reads and
     writes an update in separate SQLite transactions, so there the filter would cost a full
     scan per ticket and still not be atomic. Replays (one writer per ticket at a time, as
     Kafka partitions by ticket) are just as harmless either way.
3. The checkpoint, moved up with `$max`.

A crash between any two writes leaves documents that are each either old or new, and the
checkpoint at or before the batch; the batch (or any regrouping of the events after the
checkpoint) is then applied again and changes only what is still old. Counters are not stored
apart from the tickets (see readmodel_mongo), so there is nothing that could be counted twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from ticketing_query.application.ports import ProjectionBatch
from ticketing_query.domain.view import MessageView, TicketView

from .readmodel_mongo_documents import Document, document_id, message_document, ticket_document

Collection = AsyncCollection[Document]

#: The one checkpoint document's `_id`.
CHECKPOINT_ID = "projection"
#: Up to this many ids, `find_by_ids` asks MongoDB for each by `_id` (one `$in` beyond). FerretDB
#: 1.24 is always asked one by one: a lone `_id` is the only filter it looks up by index (the one
#: deploy/local's launcher adds, ~1 ms at 20,000 tickets), while an `$in` decodes every document
#: of the collection (1.5 s there).
ONE_BY_ONE = 16
_DUPLICATE_KEY = 11000
#: Statements per update command (see bulk_update).
UPDATES_PER_COMMAND = 50


class TicketNotStored(Exception):
    """A view could neither be inserted nor replace a stored one: its tracking code belongs to
    another ticket of the brand, or the read model was reset meanwhile."""


async def apply_batch(
    tickets: Collection,
    messages: Collection,
    checkpoints: Collection,
    batch: ProjectionBatch,
    *,
    guard_in_filter: bool = True,
) -> None:
    """Write `batch` in the order above; each step may be repeated after a crash."""
    if batch.messages:
        await insert_messages(messages, batch.messages)
    if batch.views:
        known = {document_id(*key): version for key, version in batch.stored_versions.items()}
        await write_views(tickets, newest_per_ticket(batch.views), guard_in_filter, known)
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


async def write_views(
    tickets: Collection,
    views: Sequence[TicketView],
    guard_in_filter: bool,
    known: Mapping[str, int] | None = None,
) -> None:
    """`known`: stored versions by `_id` the projector read just before (ProjectionBatch's
    `stored_versions`); those tickets are updated at once, neither inserted nor read first."""
    known = known or {}
    documents = [ticket_document(view) for view in views]
    taken = [d for d in documents if d["_id"] in known]
    unknown = [d for d in documents if d["_id"] not in known]
    if unknown:
        taken += await insert_new(tickets, unknown)
    if not taken:
        return
    ids = [document["_id"] for document in taken]
    lost = False  # an update by `_id` found fewer documents than it was given
    if guard_in_filter:
        matched = await bulk_update(
            tickets,
            [
                UpdateOne({"_id": d["_id"], "version": {"$lt": d["version"]}}, _set(d))
                for d in taken
            ],
        )
        if matched == len(taken):
            return
        # Usually a redelivery (the stored view is as new); make sure each one is there.
        stored = await find_by_ids(tickets, ids, {"version": True})
    else:  # the versions the projector read stand; only the others are read
        stored = {i: {"version": known[i]} for i in ids if i in known}
        unread = [i for i in ids if i not in known]
        if unread:
            stored |= await find_by_ids(tickets, unread, {"version": True}, in_one_query=False)
        newer = [
            d for d in taken if d["_id"] in stored and stored[d["_id"]]["version"] < d["version"]
        ]
        updates = [UpdateOne({"_id": d["_id"]}, _set(d)) for d in newer]
        lost = bool(updates) and await bulk_update(tickets, updates) < len(updates)
    missing = sorted(set(ids) - set(stored))
    if known and (lost or not known.keys().isdisjoint(missing)):
        # A ticket read before is gone (a reset meanwhile): the way without `known` finds out.
        await write_views(tickets, views, guard_in_filter)
    elif missing:
        raise TicketNotStored(f"{missing} were neither inserted nor found")


async def bulk_update(tickets: Collection, updates: Sequence[UpdateOne]) -> int:
    """Run the updates (unordered) in commands of at most UPDATES_PER_COMMAND; how many matched.

    FerretDB 1.24 was seen hanging on an update command of 100 or more statements (the
    distributed bench); smaller commands cost MongoDB next to nothing.
    """
    matched = 0
    for start in range(0, len(updates), UPDATES_PER_COMMAND):
        chunk = list(updates[start : start + UPDATES_PER_COMMAND])
        matched += (await tickets.bulk_write(chunk, ordered=False)).matched_count
    return matched


def _set(document: Document) -> dict[str, Any]:
    return {"$set": {k: v for k, v in document.items() if k != "_id"}}


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


async def find_by_ids(
    collection: Collection,
    ids: Sequence[str],
    projection: Mapping[str, bool],
    *,
    in_one_query: bool = True,
) -> dict[str, Document]:
    """The stored documents of these `_id`s, by `_id`; absent ones are left out.
    `in_one_query=False` (FerretDB): each asked for alone, however many (ONE_BY_ONE)."""
    if len(ids) <= ONE_BY_ONE or not in_one_query:
        found = await asyncio.gather(*(collection.find_one(i, projection) for i in ids))
        documents = [document for document in found if document is not None]
    else:
        documents = await collection.find({"_id": {"$in": list(ids)}}, projection).to_list()
    return {document["_id"]: document for document in documents}
