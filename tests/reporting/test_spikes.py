import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.selectors import audit_for
from reporting.models import SpikeAlert, SpikeRule
from reporting.rollups import rollup_range
from reporting.spikes import spike_verdict, spikes_detect
from tests.factories import (
    BatchFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ReturnReasonFactory,
    reporting_return_make,
)


def test_verdict_needs_count_and_factor():
    rule = SpikeRule(window_days=30, baseline_days=180, min_count=8, factor=Decimal("3"))
    assert spike_verdict(count=12, baseline_count=0, rule=rule).fires
    assert not spike_verdict(count=7, baseline_count=0, rule=rule).fires
    # 60 in 180 days = 10 per 30-day window: 12 is normal
    verdict = spike_verdict(count=12, baseline_count=60, rule=rule)
    assert verdict.baseline == Decimal("10.00") and not verdict.fires
    assert spike_verdict(count=30, baseline_count=60, rule=rule).fires


def _returns(product, batch, reason, days_ago: list[int], today):
    now = dt.datetime.combine(today, dt.time(12), tzinfo=timezone.get_current_timezone())
    order = OrderFactory(placed_at=now - dt.timedelta(days=400))
    for i, ago in enumerate(days_ago):
        line = OrderLineFactory(order=order, product=product, batch=batch, line_number=i + 1)
        reporting_return_make(
            order_line=line, created_at=now - dt.timedelta(days=ago), reason=reason
        )


@pytest.mark.django_db
def test_planted_cluster_on_a_batch_fires_and_steady_noise_does_not():
    today = timezone.localdate()
    snapped = ReturnReasonFactory(code="band-snapped", is_defect=True)
    watch, phone = ProductFactory(sku="WATCH-1"), ProductFactory(sku="PHONE-1")
    bad_batch = BatchFactory(product=watch, lot_code="W-BAD")
    steady_batch = BatchFactory(product=phone, lot_code="P-OK")
    # given 12 returns in the last month on one batch, and steady 2-per-month noise elsewhere
    _returns(watch, bad_batch, snapped, [2 + 2 * i for i in range(12)], today)
    _returns(phone, steady_batch, snapped, list(range(3, 210, 15)), today)
    rollup_range(start=today - dt.timedelta(days=220), end=today)
    # when
    raised = spikes_detect(today=today)
    # then only the planted batch (and its SKU) alert
    batch_alert = SpikeAlert.objects.get(scope="batch")
    assert batch_alert.batch_id == bad_batch.pk and batch_alert.count == 12
    assert batch_alert.reason_code == "band-snapped"
    assert {a.product_id for a in raised} == {watch.pk}
    # and each new alert is in the audit trail, opened by the system
    [opened] = audit_for(batch_alert)
    assert (opened.action, opened.to_state, opened.actor_id) == ("opened", "open", None)
    assert "12 “band-snapped” returns" in opened.note
    # and a rerun refreshes the same open alert instead of adding one (or another entry)
    spikes_detect(today=today)
    assert SpikeAlert.objects.filter(scope="batch").count() == 1
    assert len(audit_for(batch_alert)) == 1


@pytest.mark.django_db
def test_demo_seed_rolls_up_and_raises_the_planted_alert():
    import io

    from reporting.demo import seed
    from reporting.models import ReturnFact

    today = timezone.localdate()
    snapped = ReturnReasonFactory(code="band-snapped", is_defect=True)
    band = ProductFactory(sku="WEAR-BAND")
    batch = BatchFactory(product=band, lot_code="WB-0921")
    _returns(band, batch, snapped, [1 + 2 * i for i in range(12)], today)
    out = io.StringIO()
    seed(stdout=out, today=today)
    assert ReturnFact.objects.count() == 12
    assert SpikeAlert.objects.filter(scope="batch", batch_id=batch.pk).exists()
    assert "spike alert" in out.getvalue()
    seed(stdout=out, today=today)  # rerunnable
    assert ReturnFact.objects.count() == 12
    assert SpikeAlert.objects.filter(scope="batch").count() == 1
