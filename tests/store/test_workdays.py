"""Working-day arithmetic against real England and Wales bank holidays, plus properties of the counting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.workdays import LONDON, HolidayDataMissing, WorkingCalendar, london_date

CALENDAR = WorkingCalendar(first_year=2015, last_year=2030)

# Starts late enough in the range that two 80-day spans still end before 2031.
starts = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 3, 31))
spans = st.integers(min_value=0, max_value=80)
positive_spans = st.integers(min_value=1, max_value=80)
any_dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))
hypothesis_settings = settings(max_examples=200, deadline=None)


# --- real dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Wed 16 Dec 2026: 17, 18, 21, 22, 23, 24 Dec; Christmas (Fri 25) and substitute Boxing Day
        # (Mon 28) skipped; 29, 30, 31 Dec; New Year's Day (Fri 1 Jan 2027) skipped; Mon 4 Jan.
        (date(2026, 12, 16), 10, date(2027, 1, 4)),
        (date(2026, 12, 24), 1, date(2026, 12, 29)),
        # Easter 2026: Good Friday 3 Apr, Easter Monday 6 Apr.
        (date(2026, 4, 2), 1, date(2026, 4, 7)),
        (date(2026, 4, 2), 5, date(2026, 4, 13)),
        # Early May (4 May), spring (25 May) and summer (31 Aug) bank holidays 2026.
        (date(2026, 5, 1), 1, date(2026, 5, 5)),
        (date(2026, 5, 22), 1, date(2026, 5, 26)),
        (date(2026, 8, 28), 1, date(2026, 9, 1)),
        # 2022: spring bank holiday moved to Thu 2 June, jubilee Fri 3 June, state funeral Mon 19 Sep.
        (date(2022, 6, 1), 1, date(2022, 6, 6)),
        (date(2022, 9, 16), 1, date(2022, 9, 20)),
        # 2023: early May (1 May) and the coronation (Mon 8 May).
        (date(2023, 4, 28), 5, date(2023, 5, 9)),
        (date(2023, 5, 5), 1, date(2023, 5, 9)),
    ],
)
def test_deadlines_skip_bank_holidays(start: date, days: int, due: date) -> None:
    assert CALENDAR.add_working_days(start, days) == due
    assert CALENDAR.working_days_between(start, due) == days


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 25),
        date(2026, 12, 28),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 5, 25),
        date(2026, 8, 31),
        date(2022, 6, 2),
        date(2022, 6, 3),
        date(2022, 9, 19),
        date(2023, 5, 8),
        date(2026, 12, 26),  # Saturday
        date(2026, 12, 27),  # Sunday
    ],
)
def test_bank_holidays_and_weekends_are_not_working_days(day: date) -> None:
    assert not CALENDAR.is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 12, 24), date(2026, 12, 29), date(2022, 6, 1), date(2023, 5, 9)])
def test_ordinary_weekdays_are_working_days(day: date) -> None:
    assert CALENDAR.is_working_day(day)


def test_received_on_saturday_counts_from_monday() -> None:
    saturday = date(2026, 12, 12)
    assert CALENDAR.add_working_days(saturday, 1) == date(2026, 12, 14)
    # Mon 14 to Thu 24 is nine days; Christmas and the substitute Boxing Day push the tenth to Tue 29.
    assert CALENDAR.add_working_days(saturday, 10) == date(2026, 12, 29)


def test_zero_days_is_the_first_working_day_from_start() -> None:
    assert CALENDAR.add_working_days(date(2026, 12, 16), 0) == date(2026, 12, 16)
    assert CALENDAR.add_working_days(date(2026, 12, 12), 0) == date(2026, 12, 14)
    assert CALENDAR.add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 29)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="-1"):
        CALENDAR.add_working_days(date(2026, 12, 16), -1)


def test_working_days_between_is_half_open_and_signed() -> None:
    start, end = date(2026, 12, 16), date(2027, 1, 4)
    assert CALENDAR.working_days_between(start, end) == 10
    assert CALENDAR.working_days_between(end, start) == -10
    assert CALENDAR.working_days_between(start, start) == 0
    # Fri 25 to Mon 28 Dec 2026 crosses only non-working days.
    assert CALENDAR.working_days_between(date(2026, 12, 24), date(2026, 12, 28)) == 0


def test_next_working_day_skips_christmas() -> None:
    assert CALENDAR.next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    assert CALENDAR.next_working_day(date(2026, 12, 31)) == date(2027, 1, 4)


def test_holidays_in_lists_the_year_sorted_with_names() -> None:
    listed = CALENDAR.holidays_in(2026)
    assert listed == sorted(listed)
    assert {day for day, _ in listed} == {
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 5, 25),
        date(2026, 8, 31),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 12, 28),
    }
    assert (date(2026, 4, 3), "Good Friday") in listed


def test_extra_closures_are_non_working_and_listed() -> None:
    closure = date(2026, 12, 24)
    calendar = WorkingCalendar(first_year=2026, last_year=2027, extra_closures=[closure])
    assert not calendar.is_working_day(closure)
    assert calendar.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 29)
    assert (closure, "Council closure") in calendar.holidays_in(2026)
    assert CALENDAR.is_working_day(closure)


def test_closure_outside_the_range_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="2031-01-02") as raised:
        WorkingCalendar(first_year=2015, last_year=2030, extra_closures=[date(2031, 1, 2)])
    assert not isinstance(raised.value, HolidayDataMissing)


def test_reversed_years_are_refused() -> None:
    with pytest.raises(ValueError, match="2030"):
        WorkingCalendar(first_year=2030, last_year=2015)


# --- the trusted range ----------------------------------------------------------------------------------


def test_date_after_the_range_names_the_date_and_the_config_key() -> None:
    with pytest.raises(HolidayDataMissing) as raised:
        CALENDAR.is_working_day(date(2031, 1, 2))
    message = str(raised.value)
    assert "2031-01-02" in message
    assert "2015-2030" in message
    assert "calendar.known_until_year" in message
    assert raised.value.day == date(2031, 1, 2)


def test_date_before_the_range_is_refused() -> None:
    with pytest.raises(HolidayDataMissing, match="2014-12-31"):
        CALENDAR.add_working_days(date(2014, 12, 31), 1)


def test_deadline_running_past_the_range_is_refused() -> None:
    with pytest.raises(HolidayDataMissing, match=r"calendar\.known_until_year"):
        CALENDAR.add_working_days(date(2030, 12, 20), 10)


@pytest.mark.parametrize(
    ("start", "end"), [(date(2030, 12, 1), date(2031, 1, 5)), (date(2014, 12, 1), date(2015, 1, 5))]
)
def test_spans_leaving_the_range_are_refused(start: date, end: date) -> None:
    with pytest.raises(HolidayDataMissing):
        CALENDAR.working_days_between(start, end)


def test_holidays_in_an_unknown_year_is_refused() -> None:
    with pytest.raises(HolidayDataMissing, match="2031"):
        CALENDAR.holidays_in(2031)


def test_datetimes_are_refused_in_favour_of_london_dates() -> None:
    with pytest.raises(TypeError, match="london_date"):
        CALENDAR.is_working_day(datetime(2026, 6, 1, 23, 30, tzinfo=UTC))


# --- London dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        # Clocks go forward at 01:00 UTC on 29 Mar 2026: before that London is on GMT.
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 3, 28)),
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), date(2026, 3, 29)),
        # Summer time: 23:30 UTC is already the next day in London.
        (datetime(2026, 6, 1, 23, 30, tzinfo=UTC), date(2026, 6, 2)),
        (datetime(2026, 6, 1, 22, 59, tzinfo=UTC), date(2026, 6, 1)),
        # Clocks go back at 01:00 UTC on 25 Oct 2026.
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), date(2026, 10, 25)),
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), date(2026, 10, 25)),
        # Other zones are converted, not read at face value.
        (datetime(2026, 12, 31, 20, 0, tzinfo=ZoneInfo("America/New_York")), date(2027, 1, 1)),
        (datetime(2026, 6, 2, 0, 15, tzinfo=LONDON), date(2026, 6, 2)),
    ],
)
def test_london_date(moment: datetime, day: date) -> None:
    assert london_date(moment) == day


def test_london_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        london_date(datetime(2026, 6, 1, 23, 30))


# --- properties -----------------------------------------------------------------------------------------


@hypothesis_settings
@given(starts, positive_spans)
def test_deadline_is_a_working_day(start: date, days: int) -> None:
    assert CALENDAR.is_working_day(CALENDAR.add_working_days(start, days))


@hypothesis_settings
@given(starts)
def test_zero_days_lands_on_a_working_day_not_before_start(start: date) -> None:
    due = CALENDAR.add_working_days(start, 0)
    assert due >= start
    assert CALENDAR.is_working_day(due)
    assert (due == start) == CALENDAR.is_working_day(start)


@hypothesis_settings
@given(starts, positive_spans)
def test_between_inverts_add(start: date, days: int) -> None:
    assert CALENDAR.working_days_between(start, CALENDAR.add_working_days(start, days)) == days


@hypothesis_settings
@given(starts, spans)
def test_add_is_monotonic_and_strictly_increasing_from_one(start: date, days: int) -> None:
    here, after = CALENDAR.add_working_days(start, days), CALENDAR.add_working_days(start, days + 1)
    assert here <= after
    if days >= 1:
        assert here < after


@hypothesis_settings
@given(starts, positive_spans, spans)
def test_add_composes(start: date, first: int, second: int) -> None:
    via = CALENDAR.add_working_days(CALENDAR.add_working_days(start, first), second)
    assert via == CALENDAR.add_working_days(start, first + second)


@hypothesis_settings
@given(starts, spans)
def test_deadline_is_at_least_as_many_calendar_days_away(start: date, days: int) -> None:
    assert (CALENDAR.add_working_days(start, days) - start).days >= days


@hypothesis_settings
@given(starts, positive_spans)
def test_every_working_day_before_the_deadline_is_counted(start: date, days: int) -> None:
    due = CALENDAR.add_working_days(start, days)
    between = [start + timedelta(days=offset) for offset in range(1, (due - start).days)]
    assert sum(CALENDAR.is_working_day(day) for day in between) == days - 1


@hypothesis_settings
@given(any_dates, any_dates)
def test_between_is_antisymmetric(start: date, end: date) -> None:
    assert CALENDAR.working_days_between(start, end) == -CALENDAR.working_days_between(end, start)


@hypothesis_settings
@given(starts)
def test_next_working_day_is_one_working_day_on(day: date) -> None:
    following = CALENDAR.next_working_day(day)
    assert following == CALENDAR.add_working_days(day, 1)
    skipped = [day + timedelta(days=offset) for offset in range(1, (following - day).days)]
    assert not any(CALENDAR.is_working_day(gap) for gap in skipped)


@hypothesis_settings
@given(any_dates)
def test_working_days_agree_with_the_holidays_library(day: date) -> None:
    bank = holidays.country_holidays("GB", subdiv="ENG", years=day.year)
    assert CALENDAR.is_working_day(day) == (day.weekday() < 5 and day not in bank)
