"""From a form to an API body and back: checkbox values, and the API's field errors placed
beside the form fields they concern, always in Persian."""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.datastructures import FormData, UploadFile

_PERSIAN_LETTER = re.compile(r"[\u0600-\u06FF]")

#: The panel's own words for a field, when the API's message is not Persian yet.
FALLBACK_MESSAGES: dict[str, str] = {
    "title": "عنوان را بنویسید؛ حداکثر ۲۰۰ نویسه.",
    "body": "متن را بنویسید؛ حداکثر ۲۰٬۰۰۰ نویسه.",
    "department": "بخش را از فهرست انتخاب کنید.",
    "request_type": "نوع درخواست را از فهرست انتخاب کنید.",
    "priority": "فوریت را از فهرست انتخاب کنید.",
    "customer_id": "مشتری را درست انتخاب یا وارد کنید.",
    "files": "این فایل پذیرفته نشد.",
    "reason": "دلیل بستن بیش از اندازه بلند است.",
    "assignee_id": "کارشناس را درست وارد کنید.",
    "email_address": "نشانی ایمیل درست نیست.",
    "phone": "شماره تلفن همراه درست نیست.",
    "form": "درخواست پذیرفته نشد؛ دوباره تلاش کنید.",
}

#: API field (the first part of `errors[].field`) → the form field it belongs beside.
API_TO_FORM: dict[str, str] = {
    "attachment_ids": "files",
    "file": "files",
    "follow_up": "body",
    "internal": "body",
    "email": "email_address",
    "sms": "phone",
}

#: Upload refusals by status: what the person reads beside the files field.
UPLOAD_MESSAGES: dict[int, str] = {
    413: "حجم فایل بیش از اندازهٔ مجاز است.",
    415: "نوع این فایل پذیرفته نیست.",
    422: "فایل خالی است.",
}


def checked(form: FormData, name: str) -> bool:
    """An HTML checkbox: present (value `on`) or absent."""
    return form.get(name) in ("on", "true", "1")


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def files_of(form: FormData) -> list[UploadFile]:
    """The chosen files (a form with no file chosen sends one empty, nameless part)."""
    return [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]


def typed(form: FormData, names: Iterable[str]) -> dict[str, str]:
    """What the person typed, to show again after a refusal (files cannot be kept)."""
    return {name: text(form, name) for name in names}


def field_errors(
    errors: Iterable[tuple[str, str]], *, known: Iterable[str], fallback_field: str = "form"
) -> dict[str, str]:
    """The API's `errors` as {form field: Persian message}; unknown fields go to `form`."""
    fields = set(known)
    placed: dict[str, str] = {}
    for api_field, message in errors:
        head = api_field.split(".")[0]
        name = API_TO_FORM.get(head, head)
        if name not in fields:
            name = fallback_field
        shown = message if _PERSIAN_LETTER.search(message) else FALLBACK_MESSAGES.get(name, "")
        placed.setdefault(name, shown or FALLBACK_MESSAGES["form"])
    return placed


def one_error(field: str, message: str | None = None) -> dict[str, str]:
    return {field: message or FALLBACK_MESSAGES.get(field, FALLBACK_MESSAGES["form"])}


def persian_or(message: str, fallback: str) -> str:
    return message if _PERSIAN_LETTER.search(message) else fallback
