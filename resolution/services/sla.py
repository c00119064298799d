"""Refund due dates: the policy's business days, the country's holidays, our extra days."""

import datetime as dt

from resolution import sla
from resolution.conf import setting


def refund_due_on(*, start: dt.date, days: int | None = None) -> dt.date:
    if days is None:
        from rma.selectors import policy_active

        days = policy_active().refund_sla_business_days
    from resolution.selectors import extra_holidays

    closed = sla.closed_days(
        start=start,
        country=str(setting("HOLIDAY_COUNTRY")),
        subdivision=str(setting("HOLIDAY_SUBDIVISION") or ""),
        extra=extra_holidays(start=start),
    )
    return sla.business_days_after(start, days, closed=closed)
