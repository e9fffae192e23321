"""The panel's own assets (style, script, font) under a versioned URL, cached for a year.

The version is a hash of every asset's bytes, so a changed file gets a new URL and a repeat
visit downloads nothing but the page. Only the files listed here are served: no path from the
URL ever reaches the file system."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.responses import Response

from .guards import PREFIX

ASSETS = Path(__file__).parent / "static"
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
YEAR = 365 * 24 * 3600


class StaticFiles:
    def __init__(self, root: Path = ASSETS) -> None:
        self._files = {
            path.relative_to(root).as_posix(): (path.read_bytes(), _TYPES[path.suffix])
            for path in sorted(root.rglob("*"))
            if path.is_file() and path.suffix in _TYPES
        }
        digest = hashlib.sha256()
        for name, (data, _) in self._files.items():
            digest.update(name.encode() + b"\0" + data)
        self.version = digest.hexdigest()[:12]

    def url(self, name: str) -> str:
        if name not in self._files:
            raise KeyError(name)
        return f"{PREFIX}/static/{self.version}/{name}"

    def response(self, version: str, name: str) -> Response:
        found = self._files.get(name)
        if found is None or version != self.version:
            return Response(status_code=404)
        data, media_type = found
        cache = f"public, max-age={YEAR}, immutable"
        return Response(data, media_type=media_type, headers={"Cache-Control": cache})
