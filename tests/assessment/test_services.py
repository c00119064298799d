"""Receiving, saving inspections, completing grading: statuses, hooks, disputes, labour, QC."""

from decimal import Decimal

import pytest

from assessment.models import Inspection
from assessment.selectors import return_id_for_scan
from assessment.services import (
    inspection_save,
    parcel_receive,
    return_grading_complete,
)
from resolution.models import CostEntry
from returns_portal.errors import Conflict, DomainError, IllegalTransition, NotFound
from rma.models import ReturnEvent
from tests.factories import warehouse_reason_make, warehouse_return_make

pytestmark = pytest.mark.django_db

CLEAN = {"unused": True, "original_packaging": True, "complete": True, "as_described": True}


def _primary(rr, line):
    return Inspection.objects.get(return_line=line, kind="primary")


def _grade_all(rr, actor, code="A", checklist=None):
    for inspection in Inspection.objects.filter(return_request=rr, kind="primary"):
        inspection_save(
            actor=actor,
            inspection_id=inspection.pk,
            expected_version=inspection.version,
            grade_code=code,
            checklist=checklist if checklist is not None else {"complete": True},
            minutes_spent="6",
        )


@pytest.mark.parametrize("status", ["approved", "label_issued", "in_transit", "delivered"])
def test_receiving_moves_the_return_to_received_and_calls_the_hook(
    status, order, grades, grader, hook_calls
):
    # given a return on its way in
    rr = warehouse_return_make(order=order, status=status)
    # when the grader receives the parcel
    parcel_receive(return_id=rr.pk, actor=grader)
    # then it is received, audited, one open inspection per line, and the hook ran once
    rr.refresh_from_db()
    assert rr.status == "received"
    event = rr.events.get(kind="status", to_status="received")
    assert (event.from_status, event.actor, event.actor_kind) == (status, grader, "staff")
    assert Inspection.objects.filter(return_request=rr, kind="primary").count() == 2
    assert hook_calls == [("return_received", rr.pk)]
    line1 = rr.lines.order_by("pk").first()
    assert _primary(rr, line1).quantity_received == line1.quantity


@pytest.mark.parametrize("status", ["requested", "pending_review", "cancelled", "received"])
def test_a_return_that_is_not_on_its_way_cannot_be_received(status, order, grader, hook_calls):
    rr = warehouse_return_make(order=order, status=status)
    with pytest.raises(IllegalTransition) as err:
        parcel_receive(return_id=rr.pk, actor=grader)
    assert rr.reference in err.value.message
    rr.refresh_from_db()
    assert rr.status == status
    assert hook_calls == []
    assert not Inspection.objects.filter(return_request=rr).exists()


def test_hook_failure_rolls_the_receipt_back(delivered_return, grader, monkeypatch):
    # given the resolution hook blows up
    from rma import hooks

    def broken(*, return_id):
        raise RuntimeError("resolution down")

    monkeypatch.setattr(hooks, "return_received", broken)
    # when the parcel is received
    with pytest.raises(RuntimeError):
        parcel_receive(return_id=delivered_return.pk, actor=grader)
    # then nothing was half-written: the hook runs inside the receiving transaction
    delivered_return.refresh_from_db()
    assert delivered_return.status == "delivered"
    assert not Inspection.objects.filter(return_request=delivered_return).exists()
    assert not delivered_return.events.filter(to_status="received").exists()


def test_received_then_graded_calls_both_hooks_in_order(delivered_return, grader, hook_calls):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    _grade_all(delivered_return, grader)
    return_grading_complete(return_id=delivered_return.pk, actor=grader)
    delivered_return.refresh_from_db()
    # return_resolve may move it on to resolved once RESOLUTION lands; graded is recorded
    assert delivered_return.events.filter(from_status="received", to_status="graded").exists()
    assert delivered_return.status in ("graded", "resolved")
    assert hook_calls == [
        ("return_received", delivered_return.pk),
        ("return_graded", delivered_return.pk),
    ]


def test_grading_cannot_complete_until_every_line_is_graded(delivered_return, grader, hook_calls):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    first = Inspection.objects.filter(return_request=delivered_return).order_by("pk").first()
    inspection_save(actor=grader, inspection_id=first.pk, expected_version=0, grade_code="B")
    with pytest.raises(DomainError) as err:
        return_grading_complete(return_id=delivered_return.pk, actor=grader)
    assert "1 item(s) still need a grade" in err.value.message
    delivered_return.refresh_from_db()
    assert delivered_return.status == "received"
    assert ("return_graded", delivered_return.pk) not in hook_calls


def test_inspection_save_bumps_the_version_and_records_the_grader(delivered_return, grader):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    line = delivered_return.lines.order_by("pk").first()
    saved = inspection_save(
        actor=grader,
        line_id=line.pk,
        expected_version=0,
        quantity_received=2,
        arrived_as="as_expected",
        checklist={**CLEAN, "nonsense": True},
        grade_code="A",
        notes="Sealed box",
        minutes_spent="4.5",
    )
    assert saved.version == 1
    assert saved.grade.code == "A"
    assert saved.inspector == grader
    assert saved.graded_at is not None and saved.started_at is not None
    assert saved.checklist == {**CLEAN, "damaged": False}
    assert saved.minutes_spent == Decimal("4.50")
    assert delivered_return.events.filter(kind="inspection", visible_to_customer=False).exists()


def test_stale_version_is_a_conflict_naming_the_winner(delivered_return, grader, grader2):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    inspection_save(actor=grader2, inspection_id=inspection.pk, expected_version=0, grade_code="B")
    with pytest.raises(Conflict) as err:
        inspection_save(
            actor=grader, inspection_id=inspection.pk, expected_version=0, grade_code="A"
        )
    assert err.value.status == 409
    assert err.value.message == "Graded B by grader2 a moment ago — your change was not saved."
    assert err.value.details["current"]["grade"] == "B"
    assert err.value.details["current"]["version"] == 1
    inspection.refresh_from_db()
    assert (inspection.grade.code, inspection.inspector, inspection.version) == ("B", grader2, 1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity_received", 3),
        ("quantity_received", -1),
        ("quantity_received", "two"),
        ("arrived_as", "stolen"),
        ("grade_code", "Z"),
        ("minutes_spent", "-1"),
        ("minutes_spent", "NaN"),
        ("minutes_spent", "1e9"),
        ("minutes_spent", "abc"),
        ("checklist", ["unused"]),
        ("notes", "x" * 4001),
        ("expected_version", "v1"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(delivered_return, grader, field, value):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).order_by("pk").first()
    kwargs = {"expected_version": 0, field: value}
    with pytest.raises(DomainError):
        inspection_save(actor=grader, inspection_id=inspection.pk, **kwargs)
    inspection.refresh_from_db()
    assert inspection.version == 0 and inspection.grade is None


def test_grading_before_receipt_or_after_completion_is_refused(
    delivered_return, grader, hook_calls
):
    line = delivered_return.lines.first()
    with pytest.raises(Conflict):
        inspection_save(actor=grader, line_id=line.pk, expected_version=0, grade_code="A")
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    _grade_all(delivered_return, grader)
    return_grading_complete(return_id=delivered_return.pk, actor=grader)
    inspection = _primary(delivered_return, line)
    with pytest.raises(Conflict) as err:
        inspection_save(
            actor=grader,
            inspection_id=inspection.pk,
            expected_version=inspection.version,
            grade_code="D",
        )
    assert "grading is closed" in err.value.message
    with pytest.raises(Conflict):
        return_grading_complete(return_id=delivered_return.pk, actor=grader)


def test_dispute_sets_deduction_and_tells_the_customer(order, grades, policy, grader):
    # given a "defective" claim (merchant's fault) under a 10 % restocking policy
    reason = warehouse_reason_make("defective", defect=True)
    rr = warehouse_return_make(order=order, reason=reason, lines=[order.lines.first()])
    rr.policy = policy
    rr.save(update_fields=["policy"])
    parcel_receive(return_id=rr.pk, actor=grader)
    inspection = Inspection.objects.get(return_request=rr)
    # when the item arrives unused, working and as described
    saved = inspection_save(
        actor=grader,
        inspection_id=inspection.pk,
        expected_version=0,
        checklist=CLEAN,
        grade_code="A",
    )
    # then it is "not defective", the restocking fee is deducted and the customer sees why
    line = rr.lines.get()
    assert saved.dispute == "not_defective"
    assert saved.deduction == (line.unit_price * line.quantity * Decimal("0.10")).quantize(
        Decimal("0.01")
    )
    event = rr.events.get(kind="dispute")
    assert event.visible_to_customer is True
    assert "unused, working and as described" in event.message
    # when a second look finds it faulty after all, the deduction is withdrawn and explained
    saved = inspection_save(
        actor=grader,
        inspection_id=inspection.pk,
        expected_version=1,
        checklist={"unused": True, "as_described": False},
        grade_code="D",
    )
    assert (saved.dispute, saved.deduction) == ("", Decimal("0.00"))
    assert rr.events.filter(kind="dispute").count() == 2
    assert "no deduction applies" in rr.events.filter(kind="dispute").last().message


def test_empty_box_deducts_everything(delivered_return, grader):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    line = delivered_return.lines.order_by("pk").first()
    saved = inspection_save(
        actor=grader,
        line_id=line.pk,
        expected_version=0,
        arrived_as="empty_box",
        quantity_received=0,
        grade_code="D",
    )
    assert saved.dispute == "not_as_returned"
    assert saved.deduction == line.unit_price * line.quantity


def test_customer_damage_uses_the_grade_deduction(delivered_return, grader):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    line = delivered_return.lines.order_by("pk").first()  # 2 × 40.00, "changed my mind"
    saved = inspection_save(
        actor=grader, line_id=line.pk, expected_version=0, grade_code="C", checklist={}
    )
    assert saved.dispute == "customer_damage"
    assert saved.deduction == Decimal("24.00")  # 30 % of 80.00


def test_labor_is_booked_once_and_follows_the_minutes(delivered_return, grader):
    # given an hourly rate of 24.00 (the default)
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    # when the grader saves 10 minutes, then corrects it to 15
    inspection_save(
        actor=grader, inspection_id=inspection.pk, expected_version=0, minutes_spent="10"
    )
    inspection_save(
        actor=grader,
        inspection_id=inspection.pk,
        expected_version=1,
        minutes_spent="15",
        grade_code="A",
    )
    # then there is one labour cost for that inspection, for 15 minutes
    entry = CostEntry.objects.get(source_key=f"labor:{inspection.pk}")
    assert entry.kind == "labor"
    assert entry.amount == Decimal("6.00")
    assert entry.minutes == Decimal("15.00")
    assert entry.return_request_id == delivered_return.pk
    assert CostEntry.objects.filter(kind="labor").count() == 1


def test_no_labor_cost_without_minutes(delivered_return, grader):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    inspection_save(actor=grader, inspection_id=inspection.pk, expected_version=0, grade_code="A")
    assert not CostEntry.objects.filter(kind="labor").exists()


def test_qc_sample_at_100_percent_queues_a_blind_grading(
    delivered_return, grader, grader2, qc_rate
):
    qc_rate(100)
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    _grade_all(delivered_return, grader, code="B")
    qcs = Inspection.objects.filter(return_request=delivered_return, kind="qc")
    assert qcs.count() == 2
    assert all(qc.grade is None for qc in qcs)
    # the first grader may not check their own work
    qc = qcs.first()
    with pytest.raises(DomainError, match="different grader"):
        inspection_save(actor=grader, inspection_id=qc.pk, expected_version=0, grade_code="C")
    # a second grader can, and a different grade does not change the primary one
    inspection_save(actor=grader2, inspection_id=qc.pk, expected_version=0, grade_code="C")
    primary = _primary(delivered_return, qc.return_line)
    assert primary.grade.code == "B"
    assert primary.dispute == ""


def test_qc_sample_at_0_percent_queues_nothing(delivered_return, grader, qc_rate):
    qc_rate(0)
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    _grade_all(delivered_return, grader)
    assert not Inspection.objects.filter(kind="qc").exists()


def test_regrading_does_not_sample_twice(delivered_return, grader, qc_rate):
    qc_rate(100)
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    inspection_save(actor=grader, inspection_id=inspection.pk, expected_version=0, grade_code="A")
    inspection_save(actor=grader, inspection_id=inspection.pk, expected_version=1, grade_code="B")
    assert Inspection.objects.filter(kind="qc").count() == 1


@pytest.mark.parametrize("kind", ["rma", "request", "tracking", "link"])
def test_scan_code_finds_the_return(delivered_return, kind):
    from rma.shipping.models import Destination, Shipment

    if kind == "rma":
        code = f"  {delivered_return.rma_number.lower()}\n"
    elif kind == "link":  # a QR code holding the return's page address
        code = f"https://returns.example.com/returns/{delivered_return.rma_number}/"
    elif kind == "request":
        code = f"REQ-{delivered_return.pk:06d}"
    else:
        destination = Destination.objects.create(code="w", name="W", is_default=True)
        Shipment.objects.create(
            return_request=delivered_return,
            destination=destination,
            tracking_number="1ZTEST0000001",
            label_payer="merchant",
        )
        code = "1ztest0000001"
    assert return_id_for_scan(code=code) == delivered_return.pk


@pytest.mark.parametrize("code", ["", "   ", "RMA-2026-999999", "REQ-99999999", "x" * 201, "🙂"])
def test_unknown_scan_codes_are_clear_errors(db, code):
    with pytest.raises(DomainError) as err:
        return_id_for_scan(code=code)
    assert err.value.status in (400, 404)


def test_scan_of_unknown_code_is_not_found(db):
    with pytest.raises(NotFound, match="Log the parcel as an exception"):
        return_id_for_scan(code="RMA-2026-000404")


def test_receipt_event_is_visible_to_the_customer(delivered_return, grader):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    event = ReturnEvent.objects.get(return_request=delivered_return, to_status="received")
    assert event.visible_to_customer
    assert "arrived" in event.message
