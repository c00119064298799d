"""Warehouse reads: scan lookup, the return being graded, QC queue and reports.

Every page and API view of the warehouse is behind `catalog.grade_item` (or
`catalog.view_dashboard` for the manager reports); these selectors assume that check is done.
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from assessment.models import (
    Grade,
    GradingSettings,
    Inspection,
    InspectionPhoto,
    ParcelException,
    ParcelExceptionPhoto,
)
from returns_portal.errors import DomainError, NotFound
from rma.models import ReturnRequest

RMA_NUMBER = re.compile(r"^RMA-(\d{4})-(\d{6,})$")
RMA_IN_TEXT = re.compile(r"RMA-\d{4}-\d{6,}")
REQUEST_REFERENCE = re.compile(r"^REQ-(\d{1,12})$")
SCAN_CODE_MAX = 200


def grading_settings() -> GradingSettings:
    """The one settings row, created with defaults on first use."""
    found = GradingSettings.objects.order_by("pk").first()
    if found is None:
        found, _ = GradingSettings.objects.get_or_create(pk=1)
    return found


def grades_active() -> list[Grade]:
    return list(Grade.objects.filter(is_active=True))


def scan_code_normalize(code: str) -> str:
    # scanners may add whitespace, a trailing newline or control bytes; labels print in
    # upper case. Only printable characters survive (a NUL would upset PostgreSQL).
    printable = "".join(ch for ch in str(code or "") if ch.isprintable())
    return re.sub(r"\s+", "", printable).upper()


def return_id_for_scan(*, code: str) -> int:
    """The return a scanned code names: RMA number, request reference or carrier tracking."""
    normalized = scan_code_normalize(code)
    if not normalized:
        raise DomainError("Scan or type an RMA number, request reference or tracking number.")
    if len(normalized) > SCAN_CODE_MAX:
        raise DomainError("That code is too long to be an RMA or tracking number.", field="code")
    embedded = RMA_IN_TEXT.search(normalized) if "/" in normalized else None
    if embedded:  # a QR code holding a link to the return's page
        normalized = embedded.group(0)
    if RMA_NUMBER.match(normalized):
        found = (
            ReturnRequest.objects.filter(rma_number=normalized).values_list("pk", flat=True).first()
        )
    elif match := REQUEST_REFERENCE.match(normalized):
        pk = int(match.group(1))
        found = ReturnRequest.objects.filter(pk=pk).values_list("pk", flat=True).first()
    else:
        found = _return_id_for_tracking(normalized)
    if found is None:
        raise NotFound(f"No return matches “{normalized}”. Log the parcel as an exception.")
    return found


def _return_id_for_tracking(number: str) -> int | None:
    try:
        from rma.shipping.selectors import return_id_for_tracking
    except ImportError:  # shipping not installed: tracking numbers cannot be resolved
        return None
    return return_id_for_tracking(number)


def return_for_grading(*, return_id: int) -> ReturnRequest:
    found = (
        ReturnRequest.objects.select_related("customer", "order", "policy")
        .filter(pk=return_id)
        .first()
    )
    if found is None:
        raise NotFound("Return not found.")
    return found


@dataclass
class LineView:
    line: object
    primary: Inspection | None
    qc: Inspection | None
    customer_photos: list


def lines_for_grading(*, return_request: ReturnRequest) -> list[LineView]:
    lines = list(
        return_request.lines.select_related(
            "reason", "order_line__product", "exchange_product"
        ).prefetch_related("photos")
    )
    inspections = Inspection.objects.filter(return_request=return_request).select_related(
        "grade", "inspector"
    )
    by_line: dict[tuple[int, str], Inspection] = {}
    for inspection in inspections.prefetch_related("photos"):
        by_line[(inspection.return_line_id, inspection.kind)] = inspection
    return [
        LineView(
            line=line,
            primary=by_line.get((line.pk, Inspection.Kind.PRIMARY)),
            qc=by_line.get((line.pk, Inspection.Kind.QC)),
            customer_photos=list(line.photos.all()),
        )
        for line in lines
    ]


def grading_progress(*, return_request: ReturnRequest) -> tuple[int, int]:
    """(lines with a graded primary inspection, lines)."""
    total = return_request.lines.count()
    graded = Inspection.objects.filter(
        return_request=return_request, kind=Inspection.Kind.PRIMARY, grade__isnull=False
    ).count()
    return graded, total


def inspection_get(*, inspection_id: int) -> Inspection:
    found = (
        Inspection.objects.select_related(
            "grade",
            "inspector",
            "return_request",
            "return_line__reason",
            "return_line__order_line__product",
        )
        .filter(pk=inspection_id)
        .first()
    )
    if found is None:
        raise NotFound("Inspection not found.")
    return found


# --- QC ---------------------------------------------------------------------------------
def _primary_of(field: str):
    return Subquery(
        Inspection.objects.filter(
            return_line_id=OuterRef("return_line_id"), kind=Inspection.Kind.PRIMARY
        ).values(field)[:1]
    )


def _qc_waiting_for(user):
    return (
        Inspection.objects.filter(kind=Inspection.Kind.QC, grade__isnull=True)
        .annotate(primary_inspector_id=_primary_of("inspector_id"))
        .exclude(primary_inspector_id=user.pk)
    )


def qc_queue(*, user) -> list[Inspection]:
    """Blind second gradings waiting, minus the items this user graded first."""
    return list(
        _qc_waiting_for(user)
        .select_related("return_request", "return_line__order_line__product")
        .order_by("pk")[:200]
    )


def qc_queue_count(*, user) -> int:
    return _qc_waiting_for(user).count()


def qc_waiting_count() -> int:
    """Blind second gradings not yet done, whoever may do them."""
    return Inspection.objects.filter(kind=Inspection.Kind.QC, grade__isnull=True).count()


def inspections_for_return(*, return_request) -> list[Inspection]:
    """The return's inspections with what the staff panel shows of each, in a fixed number of
    queries."""
    return list(
        Inspection.objects.filter(return_request=return_request)
        .select_related("grade", "inspector", "return_line__order_line__product")
        .prefetch_related("photos")
    )


@dataclass
class Disagreement:
    qc: Inspection
    primary_grade: str
    primary_inspector: str


def qc_disagreements(*, limit: int = 200) -> list[Disagreement]:
    rows = (
        Inspection.objects.filter(kind=Inspection.Kind.QC, grade__isnull=False)
        .annotate(
            primary_grade_id=_primary_of("grade_id"),
            primary_grade_code=_primary_of("grade__code"),
            primary_inspector_name=_primary_of("inspector__username"),
        )
        .exclude(primary_grade_id=F("grade_id"))
        .select_related("grade", "inspector", "return_request", "return_line__order_line__product")
        .order_by("-graded_at", "-pk")[:limit]
    )
    return [
        Disagreement(
            qc=row,
            primary_grade=row.primary_grade_code or "—",
            primary_inspector=row.primary_inspector_name or "—",
        )
        for row in rows
    ]


@dataclass
class GraderQc:
    grader: str
    checked: int  # of their primary gradings that were QC-graded
    disagreements: int

    @property
    def agreement_percent(self) -> Decimal:
        if not self.checked:
            return Decimal("100")
        return (Decimal(self.checked - self.disagreements) * 100 / self.checked).quantize(
            Decimal("0.1")
        )


def qc_counts_per_grader() -> list[GraderQc]:
    """Per primary grader: how many of their items were QC-graded, how many disagreed."""
    rows = (
        Inspection.objects.filter(kind=Inspection.Kind.QC, grade__isnull=False)
        .annotate(
            primary_inspector_name=_primary_of("inspector__username"),
            primary_grade_id=_primary_of("grade_id"),
        )
        .values("primary_inspector_name", "primary_grade_id", "grade_id")
    )
    tally: dict[str, list[int]] = {}
    for row in rows:
        name = row["primary_inspector_name"] or "—"
        counts = tally.setdefault(name, [0, 0])
        counts[0] += 1
        counts[1] += int(row["primary_grade_id"] != row["grade_id"])
    return sorted(
        (GraderQc(grader=n, checked=c, disagreements=d) for n, (c, d) in tally.items()),
        key=lambda g: (-g.disagreements, g.grader),
    )


# --- Labour throughput -----------------------------------------------------------------
@dataclass
class Throughput:
    grader: str
    items: int
    minutes: Decimal

    @property
    def items_per_hour(self) -> Decimal:
        if not self.minutes:
            return Decimal("0")
        return (Decimal(self.items) * 60 / self.minutes).quantize(Decimal("0.1"))

    @property
    def minutes_per_item(self) -> Decimal:
        if not self.items:
            return Decimal("0")
        return (self.minutes / self.items).quantize(Decimal("0.1"))


def throughput_per_grader(*, since: dt.datetime | None = None) -> list[Throughput]:
    """Items graded (primary and QC) and minutes booked per inspector since `since`."""
    since = since or timezone.now() - dt.timedelta(days=7)
    rows = (
        Inspection.objects.filter(
            grade__isnull=False, graded_at__gte=since, inspector__isnull=False
        )
        .values("inspector__username")
        .annotate(items=Count("pk"), minutes=Sum("minutes_spent"))
        .order_by("inspector__username")
    )
    return [
        Throughput(
            grader=row["inspector__username"],
            items=row["items"],
            minutes=Decimal(row["minutes"] or 0).quantize(Decimal("0.01")),
        )
        for row in rows
    ]


# --- Exceptions ---------------------------------------------------------------------------
def exceptions_list(*, status: str = "") -> list[ParcelException]:
    qs = ParcelException.objects.select_related("return_request", "created_by").prefetch_related(
        "photos"
    )
    if status:
        qs = qs.filter(status=status)
    return list(qs[:200])


def exception_get(*, exception_id: int) -> ParcelException:
    found = (
        ParcelException.objects.select_related("return_request", "created_by", "resolved_by")
        .filter(pk=exception_id)
        .first()
    )
    if found is None:
        raise NotFound("Parcel exception not found.")
    return found


def inspection_photo_get(*, photo_id: int) -> InspectionPhoto:
    found = InspectionPhoto.objects.filter(pk=photo_id).first()
    if found is None or not found.image:
        raise NotFound("Photo not found.")
    return found


def parcel_photo_get(*, photo_id: int) -> ParcelExceptionPhoto:
    found = ParcelExceptionPhoto.objects.filter(pk=photo_id).first()
    if found is None or not found.image:
        raise NotFound("Photo not found.")
    return found


def exceptions_open_count() -> int:
    return ParcelException.objects.filter(status=ParcelException.Status.OPEN).count()


def receiving_at_dock(*, limit: int = 12) -> list[ReturnRequest]:
    """Parcels the carrier says reached a warehouse but nobody has received yet: a grader
    with neither a hand scanner nor a camera can pick the one in hand from this list."""
    return list(
        ReturnRequest.objects.filter(status="delivered", shipment__destination__kind="warehouse")
        .select_related("customer", "shipment")
        .annotate(line_count=Count("lines"))
        .order_by("status_changed_at", "pk")[:limit]
    )


def receiving_recent(*, limit: int = 12) -> list[ReturnRequest]:
    """Returns in the warehouse now (received, not yet graded): what is on the benches."""
    return list(
        ReturnRequest.objects.filter(status="received")
        .select_related("customer")
        .annotate(
            graded=Count(
                "inspections",
                filter=Q(
                    inspections__kind=Inspection.Kind.PRIMARY, inspections__grade__isnull=False
                ),
                distinct=True,
            ),
            line_count=Count("lines", distinct=True),
        )
        .order_by("status_changed_at", "pk")[:limit]
    )
