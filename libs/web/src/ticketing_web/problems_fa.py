"""Problem details in Persian: titles, details and field messages for `Accept-Language: fa`.

Pure functions over the English problem every service already builds (`problems.problem`), so
the Persian wording lives here once and no route has its own. A field message is written from
what went wrong, not translated word for word: request validation hands over pydantic's error
type and context; the services' own messages (the ticket rules, preferences, attachments) are
matched by pattern. Anything not known here still gets a Persian sentence for its field or its
status, never English. Numbers are written in Persian digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

#: What a person calls each field of API.md (request bodies and query parameters).
FIELD_NAMES: Mapping[str, str] = {
    "title": "عنوان",
    "body": "متن",
    "department": "بخش",
    "priority": "فوریت",
    "request_type": "نوع درخواست",
    "customer_id": "شناسه‌ی مشتری",
    "attachment_ids": "پیوست‌ها",
    "reason": "دلیل بستن",
    "assignee_id": "کارشناس مسئول",
    "assignee": "کارشناس مسئول",
    "follow_up": "پیگیری",
    "internal": "یادداشت داخلی",
    "email": "ارسال ایمیل",
    "sms": "ارسال پیامک",
    "in_app": "اعلان درون پنل",
    "email_address": "نشانی ایمیل",
    "phone": "شماره‌ی تلفن همراه",
    "limit": "تعداد در هر صفحه",
    "cursor": "نشانگر صفحه",
    "status": "وضعیت",
    "unread": "فقط خوانده‌نشده‌ها",
    "closed": "بسته‌شده",
    "q": "عبارت جستجو",
    "after": "موقعیت شروع",
    "file": "فایل",
    "if-match": "سرآیند If-Match",
    "x-min-position": "سرآیند X-Min-Position",
}

TITLES: Mapping[int, str] = {
    400: "درخواست نادرست",
    401: "ورود لازم است",
    403: "اجازه‌ی این کار را ندارید",
    404: "پیدا نشد",
    405: "این روش درخواست مجاز نیست",
    409: "تداخل با درخواستی دیگر",
    412: "تیکت تغییر کرده است",
    413: "حجم درخواست بیش از حد مجاز است",
    415: "نوع فایل پذیرفته نیست",
    422: "اطلاعات واردشده درست نیست",
    429: "درخواست‌ها بیش از حد است",
    500: "خطای داخلی",
    502: "پاسخ نادرست از سرویس",
    503: "سرویس موقتاً در دسترس نیست",
    504: "پاسخ سرویس به موقع نرسید",
}

#: Said when a detail is not one of those known below.
DETAILS_BY_STATUS: Mapping[int, str] = {
    400: "درخواست به شکل درستی فرستاده نشده است.",
    401: "توکن ورود معتبر نیست یا منقضی شده است؛ دوباره وارد شوید.",
    403: "اجازه‌ی این کار را ندارید.",
    404: "آنچه خواستید پیدا نشد.",
    405: "این روش درخواست برای این نشانی مجاز نیست.",
    409: "این درخواست با درخواست دیگری هم‌زمان شد؛ کمی بعد دوباره بفرستید.",
    412: "تیکت پس از آخرین خواندن شما تغییر کرده است؛ آن را دوباره بخوانید و بعد بفرستید.",
    413: "حجم درخواست یا فایل از حد مجاز بیشتر است.",
    415: "نوع این فایل پذیرفته نیست یا با محتوای آن نمی‌خواند.",
    422: "اطلاعات واردشده درست نیست.",
    429: "درخواست‌ها بیش از حد است؛ کمی بعد دوباره تلاش کنید.",
    500: "خطای پیش‌بینی‌نشده‌ای رخ داد؛ ثبت شد و بررسی می‌شود.",
    502: "سرویس پاسخ نادرستی داد؛ کمی بعد دوباره تلاش کنید.",
    503: "سرویس موقتاً در دسترس نیست؛ کمی بعد دوباره تلاش کنید.",
    504: "پاسخ سرویس به موقع نرسید؛ دوباره تلاش کنید.",
}

_DETAILS: Mapping[str, str] = {
    "No such ticket.": "چنین تیکتی پیدا نشد.",
    "No such notification.": "چنین اعلانی پیدا نشد.",
    "No such attachment.": "چنین پیوستی پیدا نشد.",
    "Only customers have notification preferences.": "تنظیمات اعلان فقط برای مشتریان است.",
    "Only admins see failed and unconfirmed sends.": (
        "ارسال‌های ناموفق و تأییدنشده را فقط مدیران می‌بینند."
    ),
    "Only the brand's admins may read its history.": (
        "تاریخچه‌ی رویدادها را فقط مدیران برند می‌بینند."
    ),
    "If-Match must be a ticket version: a bare or quoted integer.": (
        "سرآیند If-Match باید شماره‌ی نسخه‌ی تیکت باشد: یک عدد صحیح، با یا بدون گیومه."
    ),
    "Idempotency-Key must be 1-255 characters.": "سرآیند Idempotency-Key باید ۱ تا ۲۵۵ نویسه باشد.",
    "The request body is not valid JSON (UTF-8).": "بدنه‌ی درخواست JSON معتبر (UTF-8) نیست.",
    "A backing store is not ready.": "یکی از انباره‌های داده هنوز آماده نیست.",
    "The file is empty.": "فایل خالی است.",
    "agents open tickets only in the departments they serve": (
        "کارشناس فقط در بخش‌هایی که پاسخ می‌دهد تیکت باز می‌کند."
    ),
    "a customer opens tickets only for itself": "مشتری فقط برای خودش تیکت باز می‌کند.",
    "a representative opens tickets only for the customers it represents": (
        "نماینده فقط برای مشتریانی که نمایندگی‌شان را دارد تیکت باز می‌کند."
    ),
    "only agents and admins may change a ticket": (
        "فقط کارشناسان و مدیران می‌توانند تیکت را تغییر دهند."
    ),
}

_ROLES = {
    "customer": "مشتری",
    "representative": "نماینده",
    "agent": "کارشناس",
    "admin": "مدیر",
}


def persian_digits(text: str) -> str:
    return text.translate(_PERSIAN_DIGITS)


def field_name(field: str) -> str:
    """The Persian name of `field` (`attachment_ids.0` is the attachments'), else the field."""
    head = field.split(".", 1)[0]
    return FIELD_NAMES.get(head.lower(), f"«{field}»")


def title_for(status: int, title: str) -> str:
    if title == "Malformed JSON":
        return "JSON نادرست"
    return TITLES.get(status, "درخواست انجام نشد")


def detail_for(status: int, detail: str) -> str:
    """The Persian of a known detail, else the status's general sentence."""
    known = _DETAILS.get(detail)
    if known is not None:
        return known
    return DETAILS_BY_STATUS.get(status, _general(status))


def _general(status: int) -> str:
    try:
        return f"درخواست انجام نشد (خطای {persian_digits(str(HTTPStatus(status).value))})."
    except ValueError:
        return "درخواست انجام نشد."


def validation_detail(messages: list[str]) -> str:
    """The detail of a validation problem: its field messages, one after another."""
    return " ".join(messages) if messages else DETAILS_BY_STATUS[422]


# -- request validation (pydantic) ---------------------------------------------------------------


def _n(ctx: Mapping[str, Any], key: str) -> str:
    return persian_digits(str(ctx.get(key, "")))


def _choices(expected: str) -> str:
    # pydantic's "'low', 'normal' or 'urgent'" -> «low»، «normal» یا «urgent»
    words = re.findall(r"'([^']*)'", expected)
    if not words:
        return expected
    quoted = [f"«{w}»" for w in words]
    return quoted[0] if len(quoted) == 1 else "، ".join(quoted[:-1]) + " یا " + quoted[-1]


_PYDANTIC: Mapping[str, Callable[[str, Mapping[str, Any]], str]] = {
    "missing": lambda f, c: f"{f} لازم است.",
    "string_type": lambda f, c: f"{f} باید متن باشد.",
    "string_too_short": lambda f, c: (
        f"{f} نباید خالی باشد."
        if c.get("min_length") == 1
        else f"{f} باید دست‌کم {_n(c, 'min_length')} نویسه باشد."
    ),
    "string_too_long": lambda f, c: f"{f} باید حداکثر {_n(c, 'max_length')} نویسه باشد.",
    "string_pattern_mismatch": lambda f, c: f"{f} قالب درستی ندارد.",
    "too_long": lambda f, c: f"{f} حداکثر {_n(c, 'max_length')} مورد می‌پذیرد.",
    "too_short": lambda f, c: f"{f} دست‌کم {_n(c, 'min_length')} مورد لازم دارد.",
    "bool_type": lambda f, c: f"{f} باید true یا false باشد.",
    "bool_parsing": lambda f, c: f"{f} باید true یا false باشد.",
    "int_type": lambda f, c: f"{f} باید عدد صحیح باشد.",
    "int_parsing": lambda f, c: f"{f} باید عدد صحیح باشد.",
    "int_from_float": lambda f, c: f"{f} باید عدد صحیح باشد.",
    "greater_than_equal": lambda f, c: f"{f} باید دست‌کم {_n(c, 'ge')} باشد.",
    "greater_than": lambda f, c: f"{f} باید بیشتر از {_n(c, 'gt')} باشد.",
    "less_than_equal": lambda f, c: f"{f} باید حداکثر {_n(c, 'le')} باشد.",
    "less_than": lambda f, c: f"{f} باید کمتر از {_n(c, 'lt')} باشد.",
    "literal_error": lambda f, c: (
        f"{f} باید یکی از این‌ها باشد: {_choices(str(c.get('expected', '')))}."
    ),
    "enum": lambda f, c: f"{f} باید یکی از این‌ها باشد: {_choices(str(c.get('expected', '')))}.",
    "list_type": lambda f, c: f"{f} باید فهرست باشد.",
    "dict_type": lambda f, c: f"{f} باید یک شیء JSON باشد.",
    "model_type": lambda f, c: f"{f} باید یک شیء JSON باشد.",
    "model_attributes_type": lambda f, c: f"{f} باید یک شیء JSON باشد.",
    "none_required": lambda f, c: f"{f} باید null باشد.",
}


def request_field_message(
    *, field: str, error_type: str, ctx: Mapping[str, Any], message: str, whole_body: bool
) -> str:
    """The Persian message of one request-validation error (pydantic's type and context)."""
    if whole_body:
        if error_type == "missing":
            return "بدنه‌ی درخواست لازم است."
        return "بدنه‌ی درخواست باید یک شیء JSON با فیلدهای خواسته‌شده باشد."
    if error_type == "extra_forbidden":
        return f"فیلد «{field}» شناخته‌شده نیست."
    name = field_name(field)
    if error_type in ("value_error", "assertion_error"):
        return service_field_message(field=field, message=str(ctx.get("error", message)))
    build = _PYDANTIC.get(error_type)
    return build(name, ctx) if build else f"{name} درست نیست."


# -- the services' own field messages -----------------------------------------------------------

_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[str, re.Match[str]], str]], ...] = (
    (re.compile(r"must not be empty"), lambda f, m: f"{f} نباید خالی باشد."),
    (
        re.compile(r"must be at most (\d+) characters"),
        lambda f, m: f"{f} باید حداکثر {persian_digits(m[1])} نویسه باشد.",
    ),
    (
        re.compile(r"must not contain control characters"),
        lambda f, m: f"{f} نباید نویسه‌های کنترلی داشته باشد.",
    ),
    (
        re.compile(r"unknown priority '.*'; one of \[(.*)\]", re.S),
        lambda f, m: f"{f} باید یکی از این‌ها باشد: {_choices(m[1])}.",
    ),
    (
        re.compile(r"unknown \w+ '(.*)'; one of \[.*\]", re.S),
        lambda f, m: f"{f} «{m[1]}» در فهرست این برند نیست.",
    ),
    (
        re.compile(r"at most (\d+) attachments"),
        lambda f, m: f"حداکثر {persian_digits(m[1])} پیوست مجاز است.",
    ),
    (
        re.compile(r"must not repeat an attachment"),
        lambda f, m: "یک پیوست را دو بار نمی‌توان فرستاد.",
    ),
    (
        re.compile(r"unknown attachment '(.*?)'.*", re.S),
        lambda f, m: f"پیوست «{m[1]}» پیدا نشد یا اجازه‌ی استفاده از آن را ندارید.",
    ),
    (
        re.compile(r"attachment '(.*?)' has expired; upload it again"),
        lambda f, m: f"مهلت پیوست «{m[1]}» گذشته است؛ آن را دوباره بارگذاری کنید.",
    ),
    (
        re.compile(r"only agents and admins may set this field"),
        lambda f, m: f"{f} را فقط کارشناسان و مدیران می‌توانند تعیین کنند.",
    ),
    (
        re.compile(r"must be a user id or null"),
        lambda f, m: f"{f} باید شناسه‌ی یک کاربر یا null باشد.",
    ),
    (
        re.compile(r"required when an? (\w+) opens a ticket"),
        lambda f, m: f"وقتی {_ROLES.get(m[1], m[1])} تیکت باز می‌کند، {f} لازم است.",
    ),
    (re.compile(r"must not be null"), lambda f, m: f"{f} نمی‌تواند null باشد."),
    (
        re.compile(r"required when email is true"),
        lambda f, m: "برای دریافت ایمیل، نشانی ایمیل لازم است.",
    ),
    (
        re.compile(r"required when sms is true"),
        lambda f, m: "برای دریافت پیامک، شماره‌ی تلفن همراه لازم است.",
    ),
    (
        re.compile(r"status codes are 1\.\.8"),
        lambda f, m: f"{f} باید کدی از ۱ تا ۸ باشد.",
    ),
    (
        re.compile(r"not a cursor from this list.*", re.S),
        lambda f, m: f"{f} از همین فهرست نیست؛ فهرست را از اول بخوانید.",
    ),
    (
        re.compile(r"value is not a valid email address.*", re.S),
        lambda f, m: f"{f} معتبر نیست.",
    ),
    (
        re.compile(r"(an Iranian mobile number is|expected 09).*", re.S),
        lambda f, m: f"{f} باید به شکل ۰۹xxxxxxxxx یا شماره‌ای بین‌المللی مانند +98… باشد.",
    ),
    (re.compile(r"The file is empty\."), lambda f, m: "فایل خالی است."),
    (
        re.compile(r"Send the file as multipart/form-data.*|The request has no file field.*"),
        lambda f, m: "فایل را به شکل multipart/form-data در فیلد file بفرستید.",
    ),
)


def service_field_message(*, field: str, message: str) -> str:
    """The Persian of a field message a service wrote in English (by pattern), else a general
    sentence naming the field."""
    name = field_name(field)
    for pattern, build in _PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            return build(name, found)
    return f"{name} درست نیست."
