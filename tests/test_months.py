"""Calendar months of study (R3): 31 January + 3 months is complete on 30 April."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, strategies as st

from adultschool.months import add_months, months_completed


def test_enrolled_31_january_three_months_complete_on_30_april():
    assert add_months(date(2026, 1, 31), 3) == date(2026, 4, 30)
    assert months_completed(date(2026, 1, 31), date(2026, 4, 29)) == 2
    assert months_completed(date(2026, 1, 31), date(2026, 4, 30)) == 3


def test_month_end_clamps_to_february_in_leap_and_common_years():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_nothing_is_complete_before_registration_or_on_the_day():
    assert months_completed(date(2026, 3, 10), date(2026, 3, 1)) == 0
    assert months_completed(date(2026, 3, 10), date(2026, 3, 10)) == 0


days = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))


@given(days, st.integers(min_value=0, max_value=120))
def test_n_months_are_complete_exactly_on_add_months_and_not_the_day_before(start, n):
    done_on = add_months(start, n)
    assert months_completed(start, done_on) >= n
    if n > 0:
        assert months_completed(start, done_on - timedelta(days=1)) < n


@given(days, days)
def test_months_completed_never_decreases_with_time(start, later):
    if later < start:
        start, later = later, start
    assert months_completed(start, later) <= months_completed(start, later + timedelta(days=1))


@given(days, st.integers(min_value=0, max_value=600))
def test_add_months_keeps_the_day_or_lands_on_month_end(start, n):
    result = add_months(start, n)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == n
    assert result.day == start.day or (result + timedelta(days=1)).day == 1
