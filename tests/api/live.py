"""An ASGI app served by a real uvicorn server inside the test's event loop.

httpx's ASGITransport hands over a response only once its whole body is written, so what must
be seen streaming (SSE, streamed uploads through the gateway) runs on a real socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

from tests.ports import listening_socket


@asynccontextmanager
async def served(app: ASGIApp, *, lifespan: str = "on") -> AsyncIterator[str]:
    """Serve `app` on a free 127.0.0.1 port; yields its base URL; stops it at exit."""
    sock = listening_socket()  # bound before uvicorn starts: the port cannot be taken
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan=lifespan,  # type: ignore[arg-type]
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(10):
        while not server.started:
            if task.done():
                task.result()  # it failed to start: say why
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
