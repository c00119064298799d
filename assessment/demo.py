"""Demo data for the warehouse: the grading scale, settings, inspections for demo returns that
got past receiving, a few disputes and QC checks (two disagreeing), labour costs, and two
exception parcels.

Rerunnable: grades and exceptions are looked up by natural key, returns that already have
inspections are skipped, labour costs are keyed by `labor:<inspection_id>`. Bulk writes only.
"""

import datetime as dt
import hashlib
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from assessment import rules
from assessment.models import Grade, Inspection, ParcelException
from assessment.selectors import grading_settings
from rma.models import ReturnEvent, ReturnLine, ReturnPolicy, ReturnRequest
from rma.states import ReturnStatus

S = ReturnStatus
GRADED_STATUSES = (S.GRADED, S.RESOLVED, S.CLOSED)

SCALE = [
    # code, label, criteria, resale %, damage deduction % (non-fault reason), sellable
    (
        "A",
        "Like new",
        "Unused or tried on once; all tags, accessories and original packaging; no marks.",
        "95",
        "0",
        True,
    ),
    (
        "B",
        "Good",
        "Lightly used; complete and fully working; packaging may be opened or worn.",
        "75",
        "0",
        True,
    ),
    (
        "C",
        "Damaged but repairable",
        "Visible wear or damage, or a fault a refurbisher can fix; may miss a small part.",
        "40",
        "30",
        True,
    ),
    (
        "D",
        "Unusable",
        "Broken, unsafe, soiled or missing major parts; only fit for parts or recycling.",
        "5",
        "70",
        False,
    ),
]

EXCEPTIONS = [
    {
        "found": "One pair of black running shoes (size 42), no packing slip, no RMA on the box.",
        "carrier_tracking": "1ZDEMO00000000001",
        "label_text": "Return label torn off; “…ortland OR 972…” readable",
        "notes": "Box arrived soaked.",
    },
    {
        "found": "Smartwatch charger cable in a padded envelope; nothing else inside.",
        "carrier_tracking": "",
        "label_text": "",
        "notes": "Hand-written address only.",
        "status": ParcelException.Status.UNIDENTIFIED,
    },
]


def grades_seed() -> dict[str, Grade]:
    grades = {}
    for position, (code, label, criteria, resale, damage, sellable) in enumerate(SCALE):
        grades[code], _ = Grade.objects.update_or_create(
            code=code,
            defaults={
                "label": label,
                "criteria": criteria,
                "position": position,
                "resale_percent": Decimal(resale),
                "damage_deduction_percent": Decimal(damage),
                "is_sellable": sellable,
                "is_active": True,
            },
        )
    return grades


def _inspectors() -> list:
    users = (
        get_user_model()
        .objects.filter(
            Q(groups__permissions__codename="grade_item")
            | Q(user_permissions__codename="grade_item")
        )
        .distinct()
        .order_by("pk")
    )
    # graders do most of the work; managers help out now and then
    return sorted(users, key=lambda u: (u.username != "grader", u.pk))


class _Grader:
    """Chooses what a grader would plausibly have seen, per reason, reproducibly."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def observe(self, line: ReturnLine) -> dict:
        rng, reason = self.rng, line.reason
        fault = reason.is_merchant_fault or reason.is_defect
        roll = rng.random()
        seen = {"arrived_as": "as_expected", "quantity_received": line.quantity}
        if roll < 0.025:
            seen.update(arrived_as="empty_box", quantity_received=0, grade="D", checklist={})
        elif roll < 0.05:
            seen.update(arrived_as="wrong_item", grade="C", checklist={"unused": True})
        elif fault and roll < 0.17:
            # claimed defective, but nothing wrong with it
            seen.update(grade="A", checklist=_checks(LIKE_NEW))
        elif fault:
            grade = rng.choice(["B", "C", "C", "D"] if reason.is_defect else ["B", "C", "D"])
            checks = "complete damaged" if grade != "B" else "complete"
            seen.update(grade=grade, checklist=_checks(checks))
        elif roll < 0.14:
            seen.update(grade=rng.choice(["C", "C", "D"]), checklist=_checks("complete damaged"))
        else:
            grade = rng.choice(["A", "A", "A", "B", "B"])
            checks = LIKE_NEW if grade == "A" else "complete as_described"
            seen.update(grade=grade, checklist=_checks(checks))
        seen["minutes"] = Decimal(rng.randint(30, 150)) / 10
        return seen


LIKE_NEW = "unused original_packaging complete as_described"


def _checks(keys: str) -> dict:
    return rules.checklist_clean(dict.fromkeys(keys.split(), True))


def _qc_rank(inspection_id: int) -> int:
    return int.from_bytes(hashlib.sha256(f"demo-qc:{inspection_id}".encode()).digest()[:8], "big")


@transaction.atomic
def seed(*, stdout, today: dt.date) -> None:
    grades = grades_seed()
    settings = grading_settings()
    inspectors = _inspectors()
    rng = random.Random(5150)
    now = timezone.now()

    pending = list(
        ReturnRequest.objects.filter(status__in=[S.RECEIVED, *GRADED_STATUSES])
        .exclude(inspections__isnull=False)
        .exclude(refund_without_return=True)  # nothing came back to grade
        .select_related("policy")
        .order_by("pk")
    )
    moved_at = _status_times([rr.pk for rr in pending])
    active_policy = ReturnPolicy.objects.filter(is_active=True).first()
    lines = list(
        ReturnLine.objects.filter(return_request__in=pending)
        .select_related("reason", "order_line__product")
        .order_by("return_request_id", "pk")
    )
    by_return = {rr.pk: rr for rr in pending}
    grader = _Grader(rng)
    new, disputes = [], []
    for line in lines:
        rr = by_return[line.return_request_id]
        received_at = moved_at.get((rr.pk, S.RECEIVED)) or rr.status_changed_at or now
        if rr.status == S.RECEIVED:
            new.append(
                Inspection(
                    return_request=rr,
                    return_line=line,
                    quantity_received=line.quantity,
                )
            )
            continue
        seen = grader.observe(line)
        graded_at = moved_at.get((rr.pk, S.GRADED)) or received_at + dt.timedelta(hours=3)
        policy = rr.policy or active_policy
        finding = rules.dispute_assess(
            rules.DisputeInput(
                reason_label=line.reason.label,
                reason_is_fault=line.reason.is_merchant_fault or line.reason.is_defect,
                arrived_as=seen["arrived_as"],
                checklist=seen["checklist"],
                grade_code=seen["grade"],
                grade_damage_percent=grades[seen["grade"]].damage_deduction_percent,
                unit_price=line.unit_price,
                quantity_expected=line.quantity,
                quantity_received=seen["quantity_received"],
                restocking_fee_percent=policy.restocking_fee_percent if policy else Decimal(0),
                missing_parts_percent=settings.missing_parts_deduction_percent,
                wrong_item_percent=settings.wrong_item_deduction_percent,
                empty_box_percent=settings.empty_box_deduction_percent,
                damaged_flag_percent=settings.damaged_flag_deduction_percent,
                product_name=line.order_line.product.name,
            )
        )
        inspector = None
        if inspectors:
            inspector = inspectors[0] if rng.random() < 0.7 else rng.choice(inspectors)
        new.append(
            Inspection(
                return_request=rr,
                return_line=line,
                kind=Inspection.Kind.PRIMARY,
                quantity_received=seen["quantity_received"],
                arrived_as=seen["arrived_as"],
                checklist=seen["checklist"],
                grade=grades[seen["grade"]],
                dispute=finding.dispute,
                deduction=finding.deduction,
                minutes_spent=seen["minutes"],
                inspector=inspector,
                version=1,
                started_at=graded_at - dt.timedelta(minutes=float(seen["minutes"])),
                graded_at=graded_at,
            )
        )
        if finding.dispute:
            disputes.append((rr, line, finding, inspector, graded_at))
    Inspection.objects.bulk_create(new, batch_size=500)
    graded = [i for i in new if i.grade_id]

    qcs, disagreeing = _qc_seed(graded, inspectors=inspectors, grades=grades, rng=rng)
    _dispute_events_seed(disputes)
    labor = _labor_seed([*graded, *[q for q in qcs if q.grade_id]], rate=settings.labor_hourly_rate)
    parcels = _exceptions_seed(inspectors[0] if inspectors else None)
    stdout.write(
        f"assessment: {len(grades)} grades; {len(new)} inspections "
        f"({len(graded)} graded, {len(disputes)} disputes); {len(qcs)} QC checks "
        f"({disagreeing} disagreeing); {labor} labour costs; {parcels} new exception parcels\n"
    )


def _status_times(return_ids: list[int]) -> dict:
    """(return id, status) → when the return moved there (the demo backdates its events)."""
    times = {}
    for rr_id, to_status, at in (
        ReturnEvent.objects.filter(
            return_request_id__in=return_ids, kind="status", to_status__in=[S.RECEIVED, S.GRADED]
        )
        .order_by("created_at")
        .values_list("return_request_id", "to_status", "created_at")
    ):
        times[(rr_id, to_status)] = at
    return times


def _qc_seed(graded: list[Inspection], *, inspectors, grades, rng) -> tuple[list, int]:
    """A sample of the graded items gets a blind second grading; two of them disagree."""
    if not graded:
        return [], 0
    size = max(6, round(len(graded) * 0.05))
    sample = sorted(graded, key=lambda i: _qc_rank(i.pk))[:size]
    codes = list(grades)
    qcs, disagreeing = [], 0
    for n, primary in enumerate(sample):
        others = [u for u in inspectors if primary.inspector_id != u.pk]
        qc = Inspection(
            return_request_id=primary.return_request_id,
            return_line_id=primary.return_line_id,
            kind=Inspection.Kind.QC,
            quantity_received=primary.quantity_received,
            arrived_as=primary.arrived_as,
        )
        # the last two wait in the QC queue; the rest were checked by someone else
        if others and n < size - 2:
            code = primary.grade.code
            if n < 2:  # a couple of disagreements for the managers' report
                code = codes[min(codes.index(code) + 1, len(codes) - 1)]
                if code == primary.grade.code:
                    code = codes[codes.index(code) - 1]
            qc.grade = grades[code]
            disagreeing += int(code != primary.grade.code)
            qc.checklist = primary.checklist
            qc.inspector = rng.choice(others)
            qc.minutes_spent = Decimal(rng.randint(20, 90)) / 10
            qc.version = 1
            qc.graded_at = primary.graded_at + dt.timedelta(hours=rng.randint(1, 30))
            qc.started_at = qc.graded_at - dt.timedelta(minutes=float(qc.minutes_spent))
        qcs.append(qc)
    Inspection.objects.bulk_create(qcs, batch_size=500)
    return qcs, disagreeing


def _dispute_events_seed(disputes: list) -> None:
    events = [
        ReturnEvent(
            return_request=rr,
            kind="dispute",
            actor=inspector,
            actor_kind=ReturnEvent.ActorKind.STAFF,
            message=finding.why,
            details={
                "return_line_id": line.pk,
                "dispute": finding.dispute,
                "deduction": str(finding.deduction),
                "percent": str(finding.percent),
            },
            visible_to_customer=True,
        )
        for rr, line, finding, inspector, _ in disputes
    ]
    ReturnEvent.objects.bulk_create(events, batch_size=500)
    for event, (*_, at) in zip(events, disputes, strict=True):
        event.created_at = at
    ReturnEvent.objects.bulk_update(events, ["created_at"], batch_size=500)


def _labor_seed(inspections: list[Inspection], *, rate: Decimal) -> int:
    from resolution.models import CostEntry

    entries = [
        CostEntry(
            return_request_id=i.return_request_id,
            kind=CostEntry.Kind.LABOR,
            amount=rules.labor_cost(minutes=i.minutes_spent, hourly_rate=rate),
            minutes=i.minutes_spent,
            note=f"{i.get_kind_display()} of line {i.return_line_id}: {i.minutes_spent} min",
            source_key=f"labor:{i.pk}",
            created_by=i.inspector,
        )
        for i in inspections
        if i.minutes_spent > 0
    ]
    CostEntry.objects.bulk_create(entries, batch_size=500, ignore_conflicts=True)
    # booked when the item was graded, not when the demo ran (KPIs read costs by date)
    when = {f"labor:{i.pk}": i.graded_at for i in inspections if i.graded_at}
    booked = list(CostEntry.objects.filter(source_key__in=list(when)).only("pk", "source_key"))
    for entry in booked:
        entry.created_at = when[entry.source_key]
    CostEntry.objects.bulk_update(booked, ["created_at"], batch_size=500)
    return len(entries)


def _exceptions_seed(actor) -> int:
    made = 0
    for spec in EXCEPTIONS:
        spec = dict(spec)
        status = spec.pop("status", ParcelException.Status.OPEN)
        _, created = ParcelException.objects.get_or_create(
            found=spec["found"],
            defaults={
                **spec,
                "status": status,
                "created_by": actor,
                "resolved_by": actor if status != ParcelException.Status.OPEN else None,
                "resolved_at": timezone.now() if status != ParcelException.Status.OPEN else None,
            },
        )
        made += int(created)
    return made
