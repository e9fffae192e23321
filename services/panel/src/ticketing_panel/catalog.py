"""The brand's departments and request types with their Persian labels (GET /v1/departments),
kept a few minutes per brand: the form's choices, and labels the API does not send yet."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .api import Api
from .sessions import Session

_KEEP_SECONDS = 300.0


@dataclass(frozen=True)
class Catalog:
    departments: dict[str, str]
    request_types: dict[str, str]

    def department(self, item: dict[str, Any]) -> str:
        return _label(item, "department", self.departments)

    def request_type(self, item: dict[str, Any]) -> str:
        return _label(item, "request_type", self.request_types)


def _label(item: dict[str, Any], name: str, labels: dict[str, str]) -> str:
    ready = item.get(f"{name}_label")
    if isinstance(ready, str) and ready:
        return ready
    code = str(item.get(name, ""))
    return labels.get(code, code)


class Catalogs:
    def __init__(self, api: Api) -> None:
        self._api = api
        self._kept: dict[str, tuple[float, Catalog]] = {}

    async def for_session(self, session: Session) -> Catalog:
        brand = session.identity.brand
        kept = self._kept.get(brand)
        if kept is not None and time.monotonic() - kept[0] < _KEEP_SECONDS:
            return kept[1]
        body = await self._api.get(session, "/v1/departments", fresh=False)
        catalog = Catalog(
            departments={d["code"]: d["label"] for d in body.get("departments", [])},
            request_types={r["code"]: r["label"] for r in body.get("request_types", [])},
        )
        self._kept[brand] = (time.monotonic(), catalog)
        return catalog
