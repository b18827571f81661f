"""The program's one clock: what day and moment it is. Every default "today" and every timestamp is read here.

Services still take `today`/`as_of` explicitly; the command line's and the window's defaults, and the stored timestamps,
come from these functions. Tests freeze the process clock (time-machine, see tests/conftest.py), which moves this too.
"""
from __future__ import annotations

from datetime import date, datetime, timezone


def today() -> date:
    """The calendar day on this PC's wall clock: what a clerk means by "today"."""
    return date.today()


def now() -> datetime:
    """This moment as a timezone-aware UTC time: how timestamps are stored."""
    return datetime.now(timezone.utc)


def local_now() -> datetime:
    """This moment on the PC's wall clock (naive): for file names and notes a person reads."""
    return datetime.now()
