"""MongoReadModel: the read model of the distributed mode, in MongoDB (FerretDB here), through
PyMongo's asyncio client.

URL: `mongodb://host:port/dbname` (any MongoDB connection string; the database is the URL's
path, `ticketing_query` when it has none). Three collections: `tickets` (one document per
ticket: its view and the fields its queries use, readmodel_mongo_documents), `messages` (one per
message) and `checkpoints` (one document). Their indexes are created at first use; creating an
index that exists with the same keys and name does nothing, so every process may do it.

Writes (readmodel_mongo_writes): single-document operations only, each harmless to repeat, the
checkpoint last, so a crash between two of them loses nothing and doubles nothing once the
batch is applied again. That needs no multi-document transactions, which FerretDB 1.24 lacks.

Counters are answered by one aggregation over the scope's ticket documents (readmodel_mongo_
queries) instead of being kept in counter documents. Each ticket document carries its own
contribution (status code, closed, the unread counts), so a counter is exact by construction:
whatever a crash leaves, the sums are those of the stored views, and views are version-guarded.
Counter documents would need each `$inc` to be idempotent on its own, which without
transactions means remembering, in every counter document, which ticket versions it has
counted (or a redo journal that allows one writer only); and on MongoDB the aggregation is an
index-only scan of (brand, customer | department, code, closed, unread), no ticket documents
read. Measured on FerretDB 1.24 (bench/readmodel_mongo_bench.py): see that module's docstring.

FerretDB 1.24's SQLite backend executes every filter except `{_id: <string>}` by decoding each
document of the collection, and even that one by scanning the table; indexes there enforce
uniqueness and speed nothing up. So the adapter keeps the common paths on plain `_id` lookups
where that costs MongoDB nothing (`get`, a small `load`, the checkpoint, inserts first), checks
the version guard before updating by `_id` on FerretDB only (readmodel_mongo_writes), and after
a `reset` does not look up tickets it has not applied since (a rebuild reads nothing back).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Self

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from ticketing_model import Scope

from ticketing_query.application.ports import (
    Cursor,
    InPlaceRebuild,
    ProjectionBatch,
    ReadModelRebuild,
    TicketFilter,
)
from ticketing_query.domain.counters import Counters
from ticketing_query.domain.view import MessageView, TicketView

from . import readmodel_mongo_queries as queries
from .readmodel_mongo_documents import (
    VIEW_PROJECTION,
    Document,
    document_id,
    message_view,
    ticket_view,
)
from .readmodel_mongo_writes import CHECKPOINT_ID, apply_batch, find_by_ids

DEFAULT_DATABASE = "ticketing_query"
COLLECTIONS = ("tickets", "messages", "checkpoints")
Key = tuple[str, str]


def _index(name: str, *fields: str, unique: bool = False) -> IndexModel:
    """An index on `fields`, ascending, but last activity and ticket id (the list order)
    descending."""
    order = {"last_activity_at": DESCENDING, "ticket_id": DESCENDING}
    return IndexModel([(f, order.get(f, ASCENDING)) for f in fields], name=name, unique=unique)


_LIST_ORDER = ("last_activity_at", "ticket_id")
TICKET_INDEXES = [
    _index("tracking_code", "brand_id", "tracking_code", unique=True),
    _index("customer_activity", "brand_id", "customer_id", *_LIST_ORDER),
    _index("department_activity", "brand_id", "department", *_LIST_ORDER),
    _index("brand_activity", "brand_id", *_LIST_ORDER),
    # The counters' $match + $group need nothing but these keys: an index-only plan.
    _index("department_status", "brand_id", "department", "code", "closed", "agent_unread"),
    _index("customer_status", "brand_id", "customer_id", "code", "closed", "customer_unread"),
    _index("words", "brand_id", "words"),
    _index("agent_words", "brand_id", "agent_words"),
]
MESSAGE_INDEXES = [_index("ticket_messages", "brand_id", "ticket_id", "position")]


class ReadModelClosed(Exception):
    """The read model was closed; it serves and applies nothing more."""


class MongoReadModel:
    """The read model in one MongoDB database. Construction does no IO; `open()` or the first
    call connects and creates the indexes."""

    def __init__(
        self, url: str, *, database: str | None = None, guard_in_filter: bool | None = None
    ) -> None:
        """`database`: instead of the URL's; `guard_in_filter`: how a view's version guard is
        applied (readmodel_mongo_writes), by default in the update's filter unless the server
        is FerretDB."""
        self._url = url
        self._database_name = database
        self._guard_in_filter = guard_in_filter
        self._client: AsyncMongoClient[Document] | None = None
        self._database: AsyncDatabase[Document] | None = None
        self._opening = asyncio.Lock()
        self._closed = False
        #: After `reset`, the ids of every ticket applied since (None: not known). History is
        #: applied from its start after a reset, so the first batch with a ticket this instance
        #: has not applied begins with its opening: `load` need not look for it.
        self._applied_since_reset: set[str] | None = None

    async def open(self) -> Self:
        """Connect and create the indexes if needed (idempotent)."""
        await self._db()
        return self

    async def apply(self, batch: ProjectionBatch) -> None:
        """Messages (once), views (newer versions only), then the checkpoint."""
        tickets, messages, checkpoints = await self._collections()
        if self._applied_since_reset is not None:  # before writing: a failed write may be half done
            self._applied_since_reset.update(
                document_id(v.brand_id, v.ticket_id) for v in batch.views
            )
        await apply_batch(
            tickets, messages, checkpoints, batch, guard_in_filter=bool(self._guard_in_filter)
        )

    async def checkpoint(self) -> int:
        found = await (await self._db())["checkpoints"].find_one({"_id": CHECKPOINT_ID})
        return 0 if found is None else int(found["position"])

    async def load(self, keys: Sequence[Key]) -> dict[Key, TicketView]:
        if not keys:
            return {}
        tickets = (await self._db())["tickets"]
        ids = [document_id(*key) for key in dict.fromkeys(keys)]
        if self._applied_since_reset is not None:
            ids = [i for i in ids if i in self._applied_since_reset]
        if not ids:
            return {}
        one_query = bool(self._guard_in_filter)  # MongoDB; FerretDB: by lone `_id`s
        documents = await find_by_ids(tickets, ids, VIEW_PROJECTION, in_one_query=one_query)
        views = (ticket_view(document) for document in documents.values())
        return {(view.brand_id, view.ticket_id): view for view in views}

    async def get(self, brand_id: str, ticket_id: str) -> TicketView | None:
        tickets = (await self._db())["tickets"]
        found = await tickets.find_one(document_id(brand_id, ticket_id), VIEW_PROJECTION)
        return None if found is None else ticket_view(found)

    async def by_tracking_code(self, brand_id: str, tracking_code: str) -> TicketView | None:
        tickets = (await self._db())["tickets"]
        found = await tickets.find_one(
            {"brand_id": brand_id, "tracking_code": tracking_code}, VIEW_PROJECTION
        )
        return None if found is None else ticket_view(found)

    async def messages(self, brand_id: str, ticket_id: str) -> list[MessageView]:
        messages = (await self._db())["messages"]
        cursor = messages.find({"brand_id": brand_id, "ticket_id": ticket_id}).sort("position", 1)
        return [message_view(document) for document in await cursor.to_list()]

    async def ticket_with_messages(
        self, brand_id: str, ticket_id: str
    ) -> tuple[TicketView, list[MessageView]] | None:
        view = await self.get(brand_id, ticket_id)  # two collections: two round trips
        return None if view is None else (view, await self.messages(brand_id, ticket_id))

    async def list(
        self, scope: Scope, where: TicketFilter, *, limit: int, after: Cursor | None
    ) -> list[TicketView]:
        found = queries.list_filter(scope, where, after)
        if found is None or limit <= 0:
            return []
        tickets = (await self._db())["tickets"]
        cursor = tickets.find(found, VIEW_PROJECTION).sort(queries.LIST_ORDER).limit(limit)
        return [ticket_view(document) for document in await cursor.to_list()]

    async def counters(self, scope: Scope) -> Counters:
        pipeline = queries.counters_pipeline(scope)
        if pipeline is None:
            return Counters()
        tickets = (await self._db())["tickets"]
        rows = await (await tickets.aggregate(pipeline)).to_list()
        return queries.counters_of(rows, scope.side)

    async def reset(self) -> None:
        """Drop the collections and create them again, empty, with their indexes."""
        database = await self._db()
        self._applied_since_reset = None  # until the collections are empty again
        for name in COLLECTIONS:
            await database.drop_collection(name)
        await _create_indexes(database)
        self._applied_since_reset = set()

    async def rebuilding(self) -> ReadModelRebuild:
        """One copy only: reset, then the rebuild writes here."""
        return await InPlaceRebuild.begin(self)

    async def close(self) -> None:
        self._closed = True
        client, self._client, self._database = self._client, None, None
        if client is not None:
            await client.close()

    # -- connection ------------------------------------------------------------------------------

    async def _db(self) -> AsyncDatabase[Document]:
        if self._database is not None:
            return self._database
        async with self._opening:
            if self._closed:
                raise ReadModelClosed("the read model is closed")
            if self._database is None:
                client: AsyncMongoClient[Document] = AsyncMongoClient(
                    self._url, appname="ticketing-query"
                )
                try:
                    database = (
                        client.get_database(self._database_name)
                        if self._database_name
                        else client.get_default_database(DEFAULT_DATABASE)
                    )
                    await _create_indexes(database)
                    if self._guard_in_filter is None:
                        build = await client.admin.command("buildInfo")
                        self._guard_in_filter = "ferretdbVersion" not in build
                except BaseException:
                    await client.close()
                    raise
                self._client, self._database = client, database
            return self._database

    async def _collections(
        self,
    ) -> tuple[AsyncCollection[Document], AsyncCollection[Document], AsyncCollection[Document]]:
        database = await self._db()
        return database["tickets"], database["messages"], database["checkpoints"]


async def _create_indexes(database: AsyncDatabase[Document]) -> None:
    await _create_missing(database["tickets"], TICKET_INDEXES)
    await _create_missing(database["messages"], MESSAGE_INDEXES)


async def _create_missing(collection: AsyncCollection[Document], wanted: list[IndexModel]) -> None:
    """Create the indexes not there yet, by name. (Asking FerretDB 1.24 to create several that
    exist makes it drop the connection, a bug in how it skips them; MongoDB would not mind.)"""
    existing = {index["name"] for index in await (await collection.list_indexes()).to_list()}
    missing = [index for index in wanted if index.document["name"] not in existing]
    if missing:
        await collection.create_indexes(missing)
