"""Dates as Iranian readers expect them: the Solar Hijri calendar, Tehran time (every service
that shows a date: the query service's tickets, the notifications' items)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import jdatetime  # type: ignore[import-untyped]  # ships no type hints

TEHRAN = ZoneInfo("Asia/Tehran")


def jalali(moment: datetime) -> str:
    """`1404/03/30 14:05`: the Jalali date and time of `moment` (an aware datetime) in Tehran."""
    local = moment.astimezone(TEHRAN)
    return str(jdatetime.datetime.fromgregorian(datetime=local).strftime("%Y/%m/%d %H:%M"))
