"""Warehouse reads: scan lookup, the return being graded, QC queue and reports.

Every page and API view of the warehouse is behind `catalog.grade_item` (or
`catalog.view_dashboard` for the manager reports); these selectors assume that check is done.
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from assessment.models import (
    Grade,
    GradingSettings,
    Inspection,
    InspectionPhoto,
    ParcelException,
    ParcelExceptionPhoto,
)
from returns_portal.errors import DomainError, NotFound, PermissionDenied
from rma.models import ReturnEvent, ReturnRequest

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
    primary: Inspection | None  # None as well when it is hidden from the viewer
    qc: Inspection | None
    customer_photos: list
    primary_hidden: bool = False  # graded, waiting for a blind QC check this viewer may do
    qc_visible: bool = False  # a submitted QC check this viewer may compare (managers)

    @property
    def qc_shown(self) -> Inspection | None:
        return self.qc if self.qc_visible else None


def lines_for_grading(*, return_request: ReturnRequest, viewer) -> list[LineView]:
    """The return's lines with their inspections as `viewer` may see them.

    While a line waits for its blind QC check, its first grading is hidden from everyone who
    could do that check (see `primary_hidden_from`).
    """
    lines = list(
        return_request.lines.select_related(
            "reason", "order_line__product", "exchange_product"
        ).prefetch_related("photos")
    )
    inspections = Inspection.objects.filter(return_request=return_request).select_related(
        "grade", "inspector", "compared_grade", "compared_inspector"
    )
    by_line: dict[tuple[int, str], Inspection] = {}
    for inspection in inspections.prefetch_related("photos"):
        by_line[(inspection.return_line_id, inspection.kind)] = inspection
    sees_all = sees_every_grading(viewer)
    hidden = set(primaries_hidden_from(viewer, return_request=return_request))
    views = []
    for line in lines:
        qc = by_line.get((line.pk, Inspection.Kind.QC))
        views.append(
            LineView(
                line=line,
                primary=None
                if line.pk in hidden
                else by_line.get((line.pk, Inspection.Kind.PRIMARY)),
                qc=qc,
                customer_photos=list(line.photos.all()),
                primary_hidden=line.pk in hidden,
                qc_visible=sees_all and qc is not None and qc.grade_id is not None,
            )
        )
    return views


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


def inspection_get_for_viewer(*, inspection_id: int, viewer) -> Inspection:
    """`inspection_get`, refused while it is a first grading hidden for a blind QC check."""
    found = inspection_get(inspection_id=inspection_id)
    if primary_hidden_from(viewer, primary=found):
        raise PermissionDenied(BLIND_MESSAGE)
    return found


# --- Blindness -----------------------------------------------------------------------------
BLIND_MESSAGE = (
    "This item is waiting for its blind QC check: its first grading stays hidden until the "
    "check is submitted."
)


def sees_every_grading(user) -> bool:
    """Managers see both gradings at any time (they judge the disagreements)."""
    return bool(user and user.has_perm("catalog.view_dashboard"))


def _inspections_saved_by(user):
    """Ids of the inspections `user` ever saved, from the audit events (a subquery).

    An inspection row names only the last one to save it; anyone who saved a first grading
    at some point has seen it, and so can neither do its blind check nor be kept from it.
    """
    if not getattr(user, "pk", None):
        return ReturnEvent.objects.none().values("pk")
    return (
        ReturnEvent.objects.filter(
            kind="inspection", actor_id=user.pk, details__has_key="inspection_id"
        )
        .annotate(inspection=Cast(KeyTextTransform("inspection_id", "details"), BigIntegerField()))
        .values("inspection")
    )


def primary_of(inspection: Inspection) -> Inspection | None:
    return (
        Inspection.objects.select_related("grade", "inspector")
        .filter(return_line_id=inspection.return_line_id, kind=Inspection.Kind.PRIMARY)
        .first()
    )


def graded_first_by(user, *, primary: Inspection) -> bool:
    """Did `user` grade (or help grade) this first inspection?"""
    if primary.inspector_id is not None and primary.inspector_id == getattr(user, "pk", None):
        return True
    return _inspections_saved_by(user).filter(inspection=primary.pk).exists()


def primary_hidden_from(user, *, primary: Inspection) -> bool:
    """A first grading is hidden from a possible blind checker until the check is submitted."""
    if primary.kind != Inspection.Kind.PRIMARY:
        return False
    hidden = primaries_hidden_from(user, return_request=primary.return_request_id)
    return primary.pk in hidden.values()


def primaries_hidden_from(user, *, return_request) -> dict[int, int]:
    """{line id: primary inspection id} of the return's first gradings hidden from `user`:
    the ones waiting for their blind check that `user` never saved (managers see all)."""
    if sees_every_grading(user):
        return {}
    pending = Inspection.objects.filter(
        return_request=return_request, kind=Inspection.Kind.QC, grade__isnull=True
    ).values("return_line_id")
    return dict(
        Inspection.objects.filter(
            return_request=return_request,
            kind=Inspection.Kind.PRIMARY,
            return_line_id__in=pending,
        )
        .exclude(inspector_id=getattr(user, "pk", None))
        .exclude(pk__in=_inspections_saved_by(user))
        .values_list("return_line_id", "pk")
    )


def events_revealing_hidden_grading(*, viewer, return_request, events) -> set[int]:
    """Ids of the return's timeline events whose message or details show a first grading that
    is hidden from `viewer` (the inspection audit rows, disputes, the graded transition's
    grades). A staff timeline should leave these out for that viewer."""
    hidden = primaries_hidden_from(viewer, return_request=return_request)
    if not hidden:
        return set()
    lines = {str(line) for line in hidden}
    inspections = set(hidden.values())
    found = set()
    for event in events:
        details = event.details if isinstance(event.details, dict) else {}
        grades = details.get("grades")
        if (
            (event.kind == "inspection" and details.get("inspection_id") in inspections)
            or (event.kind == "dispute" and str(details.get("return_line_id")) in lines)
            or (isinstance(grades, dict) and lines & set(grades))
        ):
            found.add(event.pk)
    return found


# --- QC ---------------------------------------------------------------------------------
def _primary_of(field: str):
    return Subquery(
        Inspection.objects.filter(
            return_line_id=OuterRef("return_line_id"), kind=Inspection.Kind.PRIMARY
        ).values(field)[:1]
    )


def _qc_waiting_for(user):
    waiting = Inspection.objects.filter(kind=Inspection.Kind.QC, grade__isnull=True).annotate(
        primary_id=_primary_of("pk"), primary_inspector_id=_primary_of("inspector_id")
    )
    return waiting.exclude(primary_inspector_id=user.pk).exclude(
        primary_id__in=_inspections_saved_by(user)
    )


def qc_queue(*, user) -> list[Inspection]:
    """Blind second gradings waiting, minus the items this user graded (or helped grade)."""
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


def inspections_for_return(*, return_request, viewer) -> list[Inspection]:
    """The return's inspections with what the staff panel shows of each, in a fixed number of
    queries. `qc_pending` marks a first grading still waiting for its blind check, `blind`
    one the viewer may not see yet (they could be its checker)."""
    inspections = list(
        Inspection.objects.filter(return_request=return_request)
        .annotate(
            qc_pending=Exists(
                Inspection.objects.filter(
                    return_line_id=OuterRef("return_line_id"),
                    kind=Inspection.Kind.QC,
                    grade__isnull=True,
                )
            )
        )
        .select_related("grade", "inspector", "return_line__order_line__product")
        .prefetch_related("photos")
    )
    hidden = set()
    if any(i.qc_pending and i.kind == Inspection.Kind.PRIMARY for i in inspections):
        hidden = set(primaries_hidden_from(viewer, return_request=return_request).values())
    for inspection in inspections:
        inspection.blind = inspection.pk in hidden
    return inspections


@dataclass
class Disagreement:
    qc: Inspection
    primary_grade: str
    primary_inspector: str


def _qc_compared():
    """Submitted QC checks with the first grading they were compared with: the snapshot taken
    at submission, or (rows from before it existed) the first grading as it is now."""
    return Inspection.objects.filter(kind=Inspection.Kind.QC, grade__isnull=False).annotate(
        first_grade_id=Coalesce(
            F("compared_grade_id"), _primary_of("grade_id"), output_field=IntegerField()
        ),
        first_inspector_id=Coalesce(
            F("compared_inspector_id"), _primary_of("inspector_id"), output_field=IntegerField()
        ),
    )


def qc_disagreements(*, limit: int = 200) -> list[Disagreement]:
    rows = list(
        _qc_compared()
        .exclude(first_grade_id=F("grade_id"))
        .select_related("grade", "inspector", "return_request", "return_line__order_line__product")
        .order_by("-graded_at", "-pk")[:limit]
    )
    codes = dict(Grade.objects.values_list("pk", "code"))
    names = _usernames({row.first_inspector_id for row in rows})
    return [
        Disagreement(
            qc=row,
            primary_grade=codes.get(row.first_grade_id, "—"),
            primary_inspector=names.get(row.first_inspector_id, "—"),
        )
        for row in rows
    ]


def _usernames(user_ids) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    ids = [pk for pk in user_ids if pk is not None]
    return dict(User.objects.filter(pk__in=ids).values_list("pk", User.USERNAME_FIELD))


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
    """Per first grader: how many of their items were QC-graded, how many disagreed."""
    rows = list(_qc_compared().values("first_inspector_id", "first_grade_id", "grade_id"))
    names = _usernames({row["first_inspector_id"] for row in rows})
    tally: dict[str, list[int]] = {}
    for row in rows:
        name = names.get(row["first_inspector_id"], "—")
        counts = tally.setdefault(name, [0, 0])
        counts[0] += 1
        counts[1] += int(row["first_grade_id"] != row["grade_id"])
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
