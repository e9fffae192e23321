"""`ticketing run` on a listening socket the test passed in (no port chosen twice, no race).

The same app and the same uvicorn options as `ticketing run` (src/ticketing/cli.py); only the
socket differs: uvicorn is handed the inherited file descriptor instead of a host and port.
Usage: `python -m tests.browser.serve <fd>`, with TICKETING_DATA_DIR and the rest in the
environment.
"""

from __future__ import annotations

import socket
import sys

import uvicorn

from ticketing.embedded import create_embedded_app


def main() -> None:
    listening = socket.socket(fileno=int(sys.argv[1]))
    config = uvicorn.Config(
        create_embedded_app(),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run(sockets=[listening])


if __name__ == "__main__":
    main()
