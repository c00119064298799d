import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from reporting.models import ReturnFact, RollupState
from reporting.tasks import rollup_nightly
from tests.factories import OrderFactory, OrderLineFactory, reporting_return_make


@pytest.mark.django_db
def test_backfill_command_rolls_up_the_range_and_refuses_bad_dates():
    # given a return ten days ago
    created = timezone.now() - dt.timedelta(days=10)
    line = OrderLineFactory(order=OrderFactory(placed_at=created), line_number=1)
    reporting_return_make(order_line=line, created_at=created)
    day = timezone.localtime(created).date()
    out = io.StringIO()
    # when
    call_command("rollup_backfill", "--start", str(day), "--end", str(day), stdout=out)
    # then
    assert ReturnFact.objects.get().day == day
    assert "ReturnFact 1" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("rollup_backfill", "--start", "2026-02-30", "--end", "2026-03-01")
    with pytest.raises(CommandError):
        call_command("rollup_backfill", "--start", "2026-03-02", "--end", "2026-03-01")


@pytest.mark.django_db
def test_nightly_task_rolls_up_yesterday_and_sets_the_watermark():
    yesterday = timezone.now() - dt.timedelta(days=1)
    line = OrderLineFactory(order=OrderFactory(placed_at=yesterday), line_number=1)
    reporting_return_make(order_line=line, created_at=yesterday)
    runs = rollup_nightly.delay().get()
    assert len(runs) == 1
    assert ReturnFact.objects.count() == 1
    assert RollupState.objects.get(name="nightly").last_run_at is not None
