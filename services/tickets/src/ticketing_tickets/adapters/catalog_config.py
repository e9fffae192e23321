"""Brand catalogues from configuration: a JSON file mapping brand -> departments/request types.

    {"acme": {"departments": {"technical": "پشتیبانی فنی"}, "request_types": {"general": "عمومی"}}}

A brand that is absent (or a part it leaves out) gets the seeds' defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ticketing_tickets.domain import DEFAULT_DEPARTMENTS, DEFAULT_REQUEST_TYPES, BrandCatalog


class ConfiguredCatalogs:
    def __init__(self, brands: Mapping[str, BrandCatalog] | None = None) -> None:
        self._brands = dict(brands or {})
        self._default = BrandCatalog()

    @classmethod
    def from_file(cls, path: Path) -> ConfiguredCatalogs:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected an object of brands")
        return cls(
            {
                brand: BrandCatalog(
                    departments=dict(spec.get("departments") or DEFAULT_DEPARTMENTS),
                    request_types=dict(spec.get("request_types") or DEFAULT_REQUEST_TYPES),
                )
                for brand, spec in raw.items()
            }
        )

    def catalog_for(self, brand_id: str) -> BrandCatalog:
        return self._brands.get(brand_id, self._default)
