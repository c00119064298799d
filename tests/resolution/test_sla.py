"""Refund due dates: business days, skipping weekends, public holidays and our extra days."""

import datetime as dt

import pytest

from resolution.models import ExtraHoliday
from resolution.services.sla import refund_due_on
from resolution.sla import business_days_after


def test_weekends_are_skipped():
    friday = dt.date(2026, 11, 13)
    assert business_days_after(friday, 1, closed=set()) == dt.date(2026, 11, 16)
    assert business_days_after(friday, 3, closed=set()) == dt.date(2026, 11, 18)
    assert business_days_after(friday, 0, closed=set()) == friday


@pytest.mark.django_db
def test_thanksgiving_is_skipped_in_the_us():
    # given a parcel received on the Wednesday before Thanksgiving (Thu 26 Nov 2026)
    received = dt.date(2026, 11, 25)
    # then three business days are Fri 27, Mon 30, Tue 1 Dec
    assert refund_due_on(start=received, days=3) == dt.date(2026, 12, 1)


@pytest.mark.django_db
def test_an_extra_holiday_from_the_admin_is_skipped_too():
    ExtraHoliday.objects.create(date=dt.date(2026, 11, 27), name="Warehouse closed")
    assert refund_due_on(start=dt.date(2026, 11, 25), days=3) == dt.date(2026, 12, 2)


@pytest.mark.django_db
def test_the_country_comes_from_the_setting(settings):
    settings.HOLIDAY_COUNTRY = "GB"  # no Thanksgiving in the UK
    assert refund_due_on(start=dt.date(2026, 11, 25), days=3) == dt.date(2026, 11, 30)
    settings.HOLIDAY_COUNTRY = "ZZ"  # unknown: weekends only, never a crash
    assert refund_due_on(start=dt.date(2026, 12, 24), days=1) == dt.date(2026, 12, 25)
