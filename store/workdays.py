"""Working-day arithmetic for complaint deadlines.

Complaint procedures set their limits in working days, so a deadline is only as right as the list of days
the council is shut. England and Wales bank holidays come from the `holidays` package, but only for the
years the configuration vouches for: one-off holidays (a jubilee, a state funeral, a coronation) reach the
package only once they are announced, and a deadline computed from a guessed year could fall a day early.
Outside the trusted years we refuse to answer rather than guess.

The calendar is built once and answers every question from a sorted list of working-day ordinals, because
a scan computes deadlines for every open case and must not consult the library (which would also quietly
generate holidays for untrusted years) on each call.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import holidays

LONDON: Final = ZoneInfo("Europe/London")
CLOSURE_NAME: Final = "Council closure"
_SATURDAY: Final = 5


class HolidayDataMissing(ValueError):
    """A date falls outside the years whose bank holidays we trust."""

    def __init__(self, day: date, first_year: int, last_year: int) -> None:
        # The advice names the config key to change, so whoever reads the log can act on it.
        if day.year > last_year:
            advice = "raise calendar.known_until_year in config.yml once that year's bank holidays are announced"
        else:
            advice = "lower calendar.first_year in config.yml to cover it"
        known = f"the calendar is known for {first_year}-{last_year}"
        super().__init__(f"no bank-holiday data for {day.isoformat()}: {known}; {advice}")
        self.day = day
        self.first_year = first_year
        self.last_year = last_year


class WorkingCalendar:
    """England and Wales working days, plus local council closures, for a trusted range of years."""

    def __init__(self, *, first_year: int, last_year: int, extra_closures: Iterable[date] = ()) -> None:
        if first_year > last_year:
            raise ValueError(f"first_year {first_year} is after last_year {last_year}")
        self._first_year = first_year
        self._last_year = last_year
        self._first = date(first_year, 1, 1)
        self._last = date(last_year, 12, 31)
        closures = frozenset(extra_closures)
        # A closure outside the range is a typo in config.yml, not missing library data: fail at start-up.
        for closure in sorted(closures):
            if not self._first <= closure <= self._last:
                raise ValueError(f"council closure {closure} is outside the calendar years {first_year}-{last_year}")
        # expand=False: a lookup outside the range must never make the library invent a year.
        bank = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1), expand=False)
        self._named: tuple[tuple[date, str], ...] = tuple(
            sorted([*bank.items(), *((day, CLOSURE_NAME) for day in closures)])
        )
        closed = frozenset(bank) | closures
        self._working: list[int] = [
            day.toordinal() for day in _days(self._first, self._last) if day.weekday() < _SATURDAY and day not in closed
        ]

    def is_working_day(self, day: date) -> bool:
        ordinal = self._ordinal(day)
        index = bisect_left(self._working, ordinal)
        return index < len(self._working) and self._working[index] == ordinal

    def add_working_days(self, start: date, days: int) -> date:
        """The day `days` working days after `start`.

        `start` never counts, since a complaint received on a day has had none of that day to be handled;
        `days == 0` gives the first working day from `start` on, when the clock is taken to start.
        """
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        ordinal = self._ordinal(start)
        if days == 0:
            index = bisect_left(self._working, ordinal)
        else:
            index = bisect_right(self._working, ordinal) + days - 1
        if index >= len(self._working):
            raise self._missing(self._last + timedelta(days=1))
        return date.fromordinal(self._working[index])

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end, negated when end is before start.

        The half-open interval makes this the inverse of `add_working_days` for one day or more, so an
        overdue case reports how many working days late it is with the same counting rule.
        """
        return self._count_to(end) - self._count_to(start)

    def next_working_day(self, day: date) -> date:
        return self.add_working_days(day, 1)

    def holidays_in(self, year: int) -> list[tuple[date, str]]:
        """Bank holidays (including weekend ones and their substitutes) and closures, for showing staff."""
        if not self._first_year <= year <= self._last_year:
            raise self._missing(date(year, 1, 1))
        return [(day, name) for day, name in self._named if day.year == year]

    def _count_to(self, day: date) -> int:
        """How many working days fall on or before `day` within the range: differences give spans."""
        return bisect_right(self._working, self._ordinal(day))

    def _ordinal(self, day: date) -> int:
        # A datetime is a date, but its own calendar day is UTC's for our timestamps, not London's.
        if isinstance(day, datetime):
            raise TypeError(f"expected a date, got datetime {day!r}; convert it with london_date()")
        if not self._first <= day <= self._last:
            raise self._missing(day)
        return day.toordinal()

    def _missing(self, day: date) -> HolidayDataMissing:
        return HolidayDataMissing(day, self._first_year, self._last_year)


def london_date(moment: datetime) -> date:
    """The London calendar day of an instant, which is the day a complaint counts as received."""
    if moment.utcoffset() is None:
        # Timestamps are stored UTC-aware, so a naive one is a bug upstream, not a local time to assume.
        raise ValueError(f"naive datetime {moment.isoformat()} has no time zone; expected an aware timestamp")
    return moment.astimezone(LONDON).date()


def _days(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=offset) for offset in range((last - first).days + 1))
