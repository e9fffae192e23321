"""The HTTP benchmark's baseline: a FastAPI endpoint that validates a body and does nothing else.

Served exactly as `ticketing run` serves the embedded app: `uvicorn.run(app, host=..., port=...,
log_config=None)` in one process with uvicorn's defaults (loop "auto" = uvloop, http "auto" =
httptools, one worker), after the same `logging.basicConfig` the embedded app does, so uvicorn's
own loggers are filtered the same way.

`python -m bench.noop_app --host 127.0.0.1 --port 8001 [--log-level WARNING]`
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, StrictStr

app = FastAPI(title="bench no-op")


class NoopRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: StrictStr
    body: StrictStr


@app.post("/v1/noop", status_code=201)
async def noop(body: NoopRequest) -> dict[str, bool]:
    """Validate the body, answer 201 `{ok: true}`."""
    return {"ok": True}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.noop_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    import uvicorn

    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=args.log_level)
    # Bound here, so `--port 0` works: the bench reads the port from the line printed (the
    # socket already queues connections; uvicorn accepts them once it has started).
    sock = socket.create_server((args.host, args.port), backlog=2048)
    print(f"no-op app is listening on http://{args.host}:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_config=None)).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
