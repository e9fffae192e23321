"""The one brand catalogue the tickets, query and notifications services read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ticketing_contracts.catalog import PRIORITY_LABELS, BrandCatalog, BrandCatalogs


def _file(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "brands.json"
    path.write_text(json.dumps(content, ensure_ascii=False), "utf-8")
    return path


def test_without_a_file_every_brand_has_the_seeds_departments_and_request_types() -> None:
    catalog = BrandCatalogs.configured(None).catalog_for("sms_panel")
    assert catalog.department_label("refunds") == "بازگشت وجه"
    assert catalog.request_type_label("hr") == "منابع انسانی"
    assert dict(PRIORITY_LABELS) == {
        "low": "کم",
        "normal": "معمولی",
        "high": "زیاد",
        "urgent": "فوری",
    }


def test_a_code_no_longer_configured_is_labelled_with_itself() -> None:
    catalog = BrandCatalog(departments={"sales": "فروش"}, request_types={"general": "عمومی"})
    assert catalog.department_label("sales") == "فروش"
    assert catalog.department_label("technical") == "technical"
    assert catalog.request_type_label("complaint") == "complaint"


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (["acme"], "expected an object of brands"),
        ({"acme": "فروش"}, "brand 'acme' must be an object"),
        ({"acme": {"departments": {"sales": ""}}}, "acme.departments must map codes"),
        ({"acme": {"request_types": ["general"]}}, "acme.request_types must map codes"),
    ],
)
def test_a_brands_file_that_is_not_a_catalogue_is_refused_with_the_reason(
    tmp_path: Path, content: Any, complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        BrandCatalogs.from_file(_file(tmp_path, content))
