import datetime as dt
import io

import pytest

from assessment.demo import seed
from assessment.models import Grade, Inspection, ParcelException
from resolution.models import CostEntry
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    warehouse_reason_make,
    warehouse_return_make,
)

pytestmark = pytest.mark.django_db


def test_demo_seed_grades_returns_past_receiving_and_is_rerunnable(customer, grader, manager):
    # given demo returns in every state around the warehouse, half of them "defective"
    reasons = [warehouse_reason_make(), warehouse_reason_make("defective", defect=True)]
    made = []
    for n, status in enumerate(["delivered", "received"] + ["graded", "resolved", "closed"] * 8):
        order = OrderFactory(customer=customer)
        OrderLineFactory(order=order, quantity=1 + n % 2)
        made.append(warehouse_return_make(order=order, status=status, reason=reasons[n % 2]))
    # when the demo is seeded twice
    out = io.StringIO()
    seed(stdout=out, today=dt.date(2026, 11, 20))
    counts = (Inspection.objects.count(), CostEntry.objects.count())
    seed(stdout=io.StringIO(), today=dt.date(2026, 11, 20))
    # then the A–D scale exists once, with criteria
    assert list(Grade.objects.values_list("code", flat=True)) == ["A", "B", "C", "D"]
    assert all(g.criteria for g in Grade.objects.all())
    # nothing is inspected before receiving; received returns wait for grading
    assert not Inspection.objects.filter(return_request=made[0]).exists()
    assert Inspection.objects.get(return_request=made[1]).grade is None
    # every graded, resolved and closed line has a graded primary inspection with minutes
    done = [rr for rr in made if rr.status in ("graded", "resolved", "closed")]
    primaries = Inspection.objects.filter(return_request__in=done, kind="primary")
    assert primaries.count() == len(done)
    assert not primaries.filter(grade__isnull=True).exists()
    assert not primaries.filter(minutes_spent=0).exists()
    # some QC checks, at least one of which disagrees, and some still waiting
    qcs = Inspection.objects.filter(kind="qc")
    assert qcs.count() >= 6
    assert qcs.filter(grade__isnull=True).exists()
    disagreeing = [
        qc
        for qc in qcs.filter(grade__isnull=False)
        if qc.grade_id != primaries.get(return_line=qc.return_line).grade_id
    ]
    assert len(disagreeing) == 2
    assert all(
        qc.inspector_id != primaries.get(return_line=qc.return_line).inspector_id
        for qc in qcs.filter(grade__isnull=False)
    )
    # one labour cost per graded inspection, once
    graded = Inspection.objects.filter(grade__isnull=False)
    assert CostEntry.objects.filter(kind="labor").count() == graded.count()
    assert (Inspection.objects.count(), CostEntry.objects.count()) == counts
    # disputes are explained on the customer's timeline
    for inspection in primaries.exclude(dispute=""):
        assert inspection.return_request.events.filter(
            kind="dispute", visible_to_customer=True
        ).exists()
    assert ParcelException.objects.count() == 2
    assert "assessment:" in out.getvalue()
