"""Calendar-month arithmetic for study periods (R3): enrolled on 31 January, three months are complete on 30 April."""
from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_completed(start: date, on: date) -> int:
    """Whole calendar months from `start` that are complete on `on` (0 before one is complete, or if `on` < start)."""
    if on < start:
        return 0
    months = (on.year - start.year) * 12 + on.month - start.month
    if add_months(start, months) > on:
        months -= 1
    return months
