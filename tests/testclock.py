"""The tests' one day: the process clock is frozen at NOW for the whole run (time-machine, ticking from there).

No test reads the real calendar. `ADULTSCHOOL_TEST_NOW` (ISO local time) moves the day, so CI runs the suite again on
days that used to break things (a month end, 1 January, the day after the 31 March deadline). Child processes the
tests start inherit the variable and call `freeze()` too, so they agree with their parent on what day it is.

Ticking keeps waits (pytest-qt's waitUntil reads time.time) working; a run starts in the morning so that it never
crosses midnight.
"""
from __future__ import annotations

import os
from datetime import date, datetime

DEFAULT_NOW = "2026-12-02T10:00:00"
NOW: datetime = datetime.fromisoformat(os.environ.setdefault("ADULTSCHOOL_TEST_NOW", DEFAULT_NOW))
TODAY: date = NOW.date()

_traveller = None


def freeze() -> None:
    """Moves this process's clock to NOW (local wall-clock time) and lets it tick from there; idempotent."""
    global _traveller
    if _traveller is not None:
        return
    import time_machine

    _traveller = time_machine.travel(NOW.astimezone(), tick=True)
    _traveller.start()
