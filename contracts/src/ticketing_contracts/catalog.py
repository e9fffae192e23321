"""Each brand's departments and request types, with their Persian labels: one catalogue.

The tickets service checks the codes a command names against it; the query service labels what
it shows from it, at read time (a relabel shows at once; a code no longer configured is shown as
itself). Both load the same file, `TICKETING_BRANDS_FILE`:

    {"acme": {"departments": {"technical": "پشتیبانی فنی"}, "request_types": {"general": "عمومی"}}}

A brand that is absent (or a part it leaves out) gets the seeds' defaults. Standard library
only, so a service's domain may take a `BrandCatalog`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The seeds' defaults (API.md): code -> Persian label.
DEFAULT_DEPARTMENTS: Mapping[str, str] = {
    "technical": "پشتیبانی فنی",
    "finance": "امور مالی",
    "upgrade": "ارتقا و تمدید",
    "refunds": "بازگشت وجه",
    "documents": "مدارک",
    "feedback": "انتقادات و پیشنهادات",
}
DEFAULT_REQUEST_TYPES: Mapping[str, str] = {
    "technical": "فنی",
    "financial": "مالی",
    "hr": "منابع انسانی",
    "general": "عمومی",
    "complaint": "شکایت",
}
PRIORITY_LABELS: Mapping[str, str] = {
    "low": "کم",
    "normal": "معمولی",
    "high": "زیاد",
    "urgent": "فوری",
}
"""The four priorities' Persian labels (the same for every brand)."""


@dataclass(frozen=True, slots=True)
class BrandCatalog:
    """The departments and request types one brand offers, each code with its Persian label."""

    departments: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_DEPARTMENTS))
    request_types: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_REQUEST_TYPES))

    def department_label(self, code: str) -> str:
        """The department's label; a code no longer configured is shown as itself."""
        return self.departments.get(code, code)

    def request_type_label(self, code: str) -> str:
        """The request type's label; a code no longer configured is shown as itself."""
        return self.request_types.get(code, code)


class BrandCatalogs:
    """The catalogue of every brand: the configured ones, the seeds' defaults for the rest."""

    def __init__(self, brands: Mapping[str, BrandCatalog] | None = None) -> None:
        self._brands = dict(brands or {})
        self._default = BrandCatalog()

    @classmethod
    def from_file(cls, path: Path) -> BrandCatalogs:
        """Load `path` (the JSON above); ValueError names what is wrong with it."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected an object of brands")
        brands = {}
        for brand, spec in raw.items():
            if not isinstance(spec, dict):
                raise ValueError(f"{path}: brand {brand!r} must be an object")
            brands[brand] = BrandCatalog(
                departments=_labels(path, brand, spec, "departments", DEFAULT_DEPARTMENTS),
                request_types=_labels(path, brand, spec, "request_types", DEFAULT_REQUEST_TYPES),
            )
        return cls(brands)

    @classmethod
    def configured(cls, path: Path | None) -> BrandCatalogs:
        """From `path` when one is configured, else every brand with the seeds' defaults."""
        return cls.from_file(path) if path else cls()

    def catalog_for(self, brand_id: str) -> BrandCatalog:
        return self._brands.get(brand_id, self._default)


def _labels(
    path: Path, brand: str, spec: Mapping[str, Any], part: str, default: Mapping[str, str]
) -> dict[str, str]:
    value = spec.get(part)
    if not value:
        return dict(default)
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ValueError(f"{path}: {brand}.{part} must map codes to non-empty labels")
    return dict(value)
