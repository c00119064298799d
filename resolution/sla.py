"""Refund SLA (pure): N business days after a date, skipping weekends and holidays."""

import datetime as dt
from collections.abc import Container
from functools import lru_cache

import holidays as holidays_lib


def business_days_after(start: dt.date, days: int, *, closed: Container[dt.date]) -> dt.date:
    """The date `days` business days after `start` (0 → start itself, even if closed).

    A business day is Monday to Friday and not in `closed`.
    """
    day = start
    left = max(int(days), 0)
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            left -= 1
    return day


@lru_cache(maxsize=32)
def public_holidays(country: str, subdivision: str, year: int) -> frozenset[dt.date]:
    try:
        calendar = holidays_lib.country_holidays(
            country, subdiv=subdivision or None, years=[year, year + 1]
        )
    except NotImplementedError:  # unknown country code: no public holidays rather than a 500
        return frozenset()
    return frozenset(calendar.keys())


def closed_days(
    *, start: dt.date, country: str, subdivision: str = "", extra: Container[dt.date] = ()
) -> "ClosedDays":
    return ClosedDays(public_holidays(country, subdivision, start.year), extra)


class ClosedDays:
    """Public holidays (two years from the start) plus the merchant's extra days off."""

    def __init__(self, public: frozenset[dt.date], extra: Container[dt.date]):
        self.public, self.extra = public, extra

    def __contains__(self, day: object) -> bool:
        return day in self.public or day in self.extra
