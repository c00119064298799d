"""Warehouse writes: receive a parcel, save an inspection (optimistic lock), finish grading.

Status changes go through `rma.transitions.return_transition`; the hooks
`rma.hooks.return_received` / `return_graded` run inside the same transaction.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from assessment import rules, selectors
from assessment.models import (
    ArrivedAs,
    Grade,
    Inspection,
    InspectionPhoto,
    ParcelException,
    ParcelExceptionPhoto,
)
from assessment.photos import photos_validate
from assessment.selectors import grading_settings, return_id_for_scan, scan_code_normalize
from audit.services import audit_record
from returns_portal.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    NotFound,
    PermissionDenied,
)
from rma.events import event_record
from rma.models import ReturnEvent, ReturnLine, ReturnPolicy, ReturnRequest
from rma.states import ReturnStatus
from rma.transitions import return_transition

S = ReturnStatus
STAFF = ReturnEvent.ActorKind.STAFF
RECEIVABLE = frozenset({S.APPROVED, S.LABEL_ISSUED, S.IN_TRANSIT, S.DELIVERED})
MINUTES_MAX = Decimal("480")


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- Receiving ---------------------------------------------------------------------------
def parcel_receive(*, return_id: int, actor, note: str = "") -> ReturnRequest:
    """The parcel is on the bench: the return becomes received, one open inspection per line."""
    current = ReturnRequest.objects.filter(pk=return_id).values_list("status", flat=True).first()
    if current is None:
        raise NotFound("Return not found.")
    with transaction.atomic():
        try:
            rr = return_transition(
                return_id=return_id,
                to_status=S.RECEIVED,
                actor=_user(actor),
                actor_kind=STAFF,
                message=note or "Your parcel arrived at our warehouse.",
                expected_from=RECEIVABLE,
            )
        except IllegalTransition:
            raise IllegalTransition(_not_receivable_message(return_id)) from None
        inspections_open(return_request=rr)
        from rma import hooks

        hooks.return_received(return_id=rr.pk)
    return rr


def _not_receivable_message(return_id: int) -> str:
    rr = ReturnRequest.objects.get(pk=return_id)
    status = S(rr.status)
    if status in (S.RECEIVED, S.GRADED, S.RESOLVED, S.CLOSED):
        return f"{rr.reference} was already received (it is {status.label.lower()})."
    return f"{rr.reference} is {status.label.lower()}: it cannot be received."


def inspections_open(*, return_request: ReturnRequest) -> None:
    """One primary inspection per line (idempotent: the unique constraint skips existing)."""
    Inspection.objects.bulk_create(
        [
            Inspection(
                return_request=return_request,
                return_line_id=line_id,
                kind=Inspection.Kind.PRIMARY,
                quantity_received=quantity,
            )
            for line_id, quantity in return_request.lines.values_list("pk", "quantity")
        ],
        ignore_conflicts=True,
    )


# --- Inspections -------------------------------------------------------------------------
def inspection_save(
    *,
    actor,
    expected_version: int,
    inspection_id: int | None = None,
    line_id: int | None = None,
    quantity_received: int | None = None,
    arrived_as: str | None = None,
    checklist: dict | None = None,
    grade_code: str | None = None,
    notes: str | None = None,
    minutes_spent=None,
    started_at: dt.datetime | None = None,
    photos: tuple = (),
) -> Inspection:
    """Save what the grader saw. `None` leaves a field as it is.

    Optimistic lock: the row is written only if its version is still `expected_version`
    (UPDATE … WHERE version = expected); otherwise Conflict (409) naming who changed it, and
    nothing is written. A grade, once given, can be changed but not cleared.
    """
    if (inspection_id is None) == (line_id is None):
        raise DomainError("Give exactly one of inspection_id or line_id.")
    expected_version = _int(expected_version, field="expected_version", low=0)
    photos = photos_validate(photos)
    with transaction.atomic():
        current = _inspection_for_save(inspection_id=inspection_id, line_id=line_id)
        rr = _return_locked(current.return_request_id)
        line = ReturnLine.objects.select_related("reason", "order_line__product").get(
            pk=current.return_line_id
        )
        primary = _check_may_save(current=current, rr=rr, actor=actor)
        if expected_version > current.version:
            raise DomainError(
                f"Version {expected_version} of this inspection does not exist "
                f"(the current one is {current.version}).",
                field="expected_version",
            )
        if current.version != expected_version:
            raise _conflict(current)

        values = _merged(
            current=current,
            line=line,
            quantity_received=quantity_received,
            arrived_as=arrived_as,
            checklist=checklist,
            grade_code=grade_code,
            notes=notes,
            minutes_spent=minutes_spent,
            started_at=started_at,
        )
        if current.kind == Inspection.Kind.PRIMARY:
            finding = _dispute_for(rr=rr, line=line, current=current, values=values)
            values["dispute"], values["deduction"] = finding.dispute, finding.deduction
        elif values.get("grade") is not None:  # the blind check is submitted: keep what
            # it was compared with, whatever happens to the first grading later
            values["compared_grade"] = primary.grade
            values["compared_inspector"] = primary.inspector
        values["inspector"] = _user(actor)
        updated = Inspection.objects.filter(pk=current.pk, version=expected_version).update(
            **values, version=F("version") + 1
        )
        if updated == 0:  # someone saved between our read and our write
            raise _conflict(_fresh(current.pk))
        saved = _fresh(current.pk)
        for upload in photos:
            InspectionPhoto.objects.create(inspection=saved, image=upload)
        labor_book(inspection=saved, actor=actor)
        _audit(rr=rr, line=line, before=current, after=saved, actor=actor)
        if saved.kind == Inspection.Kind.PRIMARY:
            if (current.dispute, current.deduction) != (saved.dispute, saved.deduction):
                _dispute_event(rr=rr, line=line, finding=finding, actor=actor)
            if saved.grade_id and not current.grade_id:
                qc_sample(inspection=saved)
        elif primary is not None and saved.grade_id and not current.grade_id:
            event_record(
                return_request=rr,
                kind="qc",
                actor=_user(actor),
                actor_kind=STAFF,
                message=(
                    f"QC second grading of {line.order_line.product.name}: {saved.grade.code} "
                    f"(first grading {primary.grade.code})"
                ),
                details={"inspection_id": saved.pk, "primary_inspection_id": primary.pk},
                visible_to_customer=False,
            )
    return saved


def _inspection_for_save(*, inspection_id: int | None, line_id: int | None) -> Inspection:
    qs = Inspection.objects.select_related("grade", "inspector")
    if inspection_id is not None:
        found = qs.filter(pk=_int(inspection_id, field="inspection_id", low=1)).first()
        if found is None:
            raise NotFound("Inspection not found.")
        return found
    line = ReturnLine.objects.filter(pk=_int(line_id, field="line_id", low=1)).first()
    if line is None:
        raise NotFound("Return line not found.")
    found = qs.filter(return_line=line, kind=Inspection.Kind.PRIMARY).first()
    if found is None:
        if (
            ReturnRequest.objects.filter(pk=line.return_request_id)
            .values_list("status", flat=True)
            .first()
            != S.RECEIVED
        ):
            raise Conflict("Receive the parcel before grading its items.")
        try:
            with transaction.atomic():
                found = Inspection.objects.create(
                    return_line=line,
                    return_request_id=line.return_request_id,
                    kind=Inspection.Kind.PRIMARY,
                    quantity_received=line.quantity,
                )
        except IntegrityError:  # opened by someone else at the same moment
            found = qs.get(return_line=line, kind=Inspection.Kind.PRIMARY)
    return found


def _fresh(inspection_id: int) -> Inspection:
    return Inspection.objects.select_related("grade", "inspector").get(pk=inspection_id)


def _return_locked(return_id: int) -> ReturnRequest:
    # Serialises saves with `return_grading_complete`: no grade can change after the return
    # has been declared graded and handed to resolution.
    return (
        ReturnRequest.objects.select_for_update(of=("self",))
        .select_related("policy")
        .get(pk=return_id)
    )


def _check_may_save(*, current: Inspection, rr: ReturnRequest, actor) -> Inspection | None:
    """Raises if this inspection may not be saved now; returns the primary for a QC row.

    The two gradings of a QC sample stay two people's: whoever saved the first grading cannot
    do its check, the checker cannot then edit the first grading, and while the check waits
    nobody who could do it may open the first grading to change it (managers may).
    """
    if current.kind == Inspection.Kind.PRIMARY:
        if rr.status != S.RECEIVED:
            label = S(rr.status).label.lower()
            raise Conflict(
                f"{rr.reference} is {label}: its grading is closed and can no longer change."
            )
        qc = Inspection.objects.filter(
            return_line_id=current.return_line_id, kind=Inspection.Kind.QC
        ).first()
        if qc is not None and qc.inspector_id is not None and qc.inspector_id == _pk(actor):
            raise PermissionDenied(
                "You did the QC check of this item; its first grading must stay another grader's.",
                field="inspector",
            )
        if selectors.primary_hidden_from(actor, primary=current):
            raise PermissionDenied(selectors.BLIND_MESSAGE)
        return None
    primary = selectors.primary_of(current)
    if primary is None or primary.grade_id is None:
        raise Conflict("This item has not been graded yet, so there is nothing to check.")
    if selectors.graded_first_by(actor, primary=primary):
        raise PermissionDenied(
            "You graded this item first; a different grader must do its QC check.",
            field="inspector",
        )
    if current.grade_id is not None:
        raise _conflict(
            current,
            head=f"This QC check was already submitted ({current.grade.code} by "
            f"{_name(current.inspector)}); a blind check is final",
        )
    return primary


def _pk(actor) -> int | None:
    return getattr(actor, "pk", None) if _user(actor) else None


def _name(user) -> str:
    return user.get_username() if user else "someone"


def _merged(*, current: Inspection, line: ReturnLine, **given) -> dict:
    """The row's new values: given fields validated, the rest as they are."""
    now = timezone.now()
    values: dict = {}
    if given["quantity_received"] is not None:
        values["quantity_received"] = _int(
            given["quantity_received"], field="quantity_received", low=0, high=line.quantity
        )
    if given["arrived_as"] is not None:
        if given["arrived_as"] not in ArrivedAs.values:
            raise DomainError("Choose what arrived.", field="arrived_as")
        values["arrived_as"] = given["arrived_as"]
    if given["checklist"] is not None:
        if not isinstance(given["checklist"], dict):
            raise DomainError("The checklist must be a set of yes/no answers.", field="checklist")
        values["checklist"] = rules.checklist_clean(given["checklist"])
    if given["grade_code"] is not None and given["grade_code"] != "":
        grade = Grade.objects.filter(code=str(given["grade_code"])[:4], is_active=True).first()
        if grade is None:
            raise DomainError("Choose a grade from the scale.", field="grade")
        values["grade"] = grade
        if grade.pk != current.grade_id:
            values["graded_at"] = now
    if given["notes"] is not None:
        notes = _text(given["notes"], field="notes")
        if len(notes) > 4000:
            raise DomainError("Notes are limited to 4000 characters.", field="notes")
        values["notes"] = notes
    if given["minutes_spent"] is not None:
        values["minutes_spent"] = _minutes(given["minutes_spent"])
    if current.started_at is None:
        started = given["started_at"]
        minutes = values.get("minutes_spent", current.minutes_spent)
        if started is None or not (now - dt.timedelta(hours=24) <= started <= now):
            started = now - dt.timedelta(minutes=float(minutes))
        values["started_at"] = started
    return values


def _text(value, *, field: str) -> str:
    text = str(value or "")
    if "\x00" in text:
        raise DomainError("The text contains a character that is not allowed.", field=field)
    return text


def _int(value, *, field: str, low: int | None = None, high: int | None = None) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError("Enter a whole number.", field=field) from None
    if low is not None and number < low:
        raise DomainError(f"Must be at least {low}.", field=field)
    if high is not None and number > high:
        raise DomainError(f"Must be at most {high}.", field=field)
    return number


def _minutes(value) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        minutes = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError("Minutes must be a number.", field="minutes_spent") from None
    if not minutes.is_finite() or minutes < 0 or minutes > MINUTES_MAX:
        raise DomainError(f"Minutes must be between 0 and {MINUTES_MAX}.", field="minutes_spent")
    return minutes.quantize(Decimal("0.01"))


def _conflict(current: Inspection, *, head: str = "") -> Conflict:
    if not head:
        who = _name(current.inspector)
        when = _ago(current.graded_at) if current.graded_at else "a moment ago"
        if current.grade:
            head = f"Graded {current.grade.code} by {who} {when}"
        else:
            head = f"Changed by {who} {when}"
    return Conflict(
        f"{head} — your change was not saved.",
        details={"current": inspection_as_dict(current)},
    )


def _ago(moment: dt.datetime) -> str:
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    if seconds < 90:
        return "a moment ago"
    if seconds < 3600:
        return f"{seconds // 60} minutes ago"
    return f"at {timezone.localtime(moment):%H:%M on %b %d}"


def inspection_as_dict(inspection: Inspection) -> dict:
    return {
        "id": inspection.pk,
        "kind": inspection.kind,
        "version": inspection.version,
        "grade": inspection.grade.code if inspection.grade else None,
        "arrived_as": inspection.arrived_as,
        "quantity_received": inspection.quantity_received,
        "checklist": rules.checklist_clean(inspection.checklist),
        "notes": inspection.notes,
        "minutes_spent": str(inspection.minutes_spent),
        "inspector": inspection.inspector.get_username() if inspection.inspector else None,
        "graded_at": inspection.graded_at.isoformat() if inspection.graded_at else None,
        "dispute": inspection.dispute,
        "deduction": str(inspection.deduction),
    }


# --- Disputes ------------------------------------------------------------------------------
def _restocking_percent(rr: ReturnRequest) -> Decimal:
    policy = rr.policy or ReturnPolicy.objects.filter(is_active=True).first()
    return policy.restocking_fee_percent if policy else Decimal("0")


def _dispute_for(
    *, rr: ReturnRequest, line: ReturnLine, current: Inspection, values: dict
) -> rules.DisputeFinding:
    grade = values.get("grade", current.grade)
    if grade is None:  # not graded yet: judge nothing
        return rules.NO_DISPUTE
    settings = grading_settings()
    reason = line.reason
    return rules.dispute_assess(
        rules.DisputeInput(
            reason_label=reason.label,
            reason_is_fault=reason.is_merchant_fault or reason.is_defect,
            arrived_as=values.get("arrived_as", current.arrived_as),
            checklist=values.get("checklist", current.checklist),
            grade_code=grade.code,
            grade_damage_percent=grade.damage_deduction_percent,
            unit_price=line.unit_price,
            quantity_expected=line.quantity,
            quantity_received=values.get("quantity_received", current.quantity_received),
            restocking_fee_percent=_restocking_percent(rr),
            missing_parts_percent=settings.missing_parts_deduction_percent,
            wrong_item_percent=settings.wrong_item_deduction_percent,
            empty_box_percent=settings.empty_box_deduction_percent,
            damaged_flag_percent=settings.damaged_flag_deduction_percent,
            product_name=line.order_line.product.name,
        )
    )


def _dispute_event(*, rr, line, finding: rules.DisputeFinding, actor) -> None:
    if finding.dispute:
        message = finding.why
    else:
        message = (
            f"We re-checked {line.order_line.product.name}: it matches your reason, "
            "so no deduction applies."
        )
    event_record(
        return_request=rr,
        kind="dispute",
        actor=_user(actor),
        actor_kind=STAFF,
        message=message,
        details={
            "return_line_id": line.pk,
            "dispute": finding.dispute,
            "deduction": str(finding.deduction),
            "percent": str(finding.percent),
        },
        visible_to_customer=True,
    )


def _audit(*, rr, line, before: Inspection, after: Inspection, actor) -> None:
    event_record(
        return_request=rr,
        kind="inspection",
        actor=_user(actor),
        actor_kind=STAFF,
        message=(
            f"{after.get_kind_display()} of {line.order_line.product.name}: "
            f"grade {after.grade.code if after.grade else '—'}, "
            f"{after.get_arrived_as_display().lower()}, {after.quantity_received}/{line.quantity}"
        ),
        details={
            "inspection_id": after.pk,
            "version": after.version,
            "grade_before": before.grade.code if before.grade else None,
            "grade": after.grade.code if after.grade else None,
            "minutes": str(after.minutes_spent),
        },
        visible_to_customer=False,
    )


# --- QC and labour -------------------------------------------------------------------------
def qc_sample(*, inspection: Inspection) -> Inspection | None:
    """Queue a blind second grading if this primary inspection falls in the sample."""
    percent = grading_settings().qc_sample_percent
    if not rules.qc_selected(inspection_id=inspection.pk, percent=percent):
        return None
    qc, _ = Inspection.objects.get_or_create(
        return_line_id=inspection.return_line_id,
        kind=Inspection.Kind.QC,
        defaults={
            "return_request_id": inspection.return_request_id,
            # the line's quantity, not the first count: nothing of the first grading shows
            "quantity_received": ReturnLine.objects.values_list("quantity", flat=True).get(
                pk=inspection.return_line_id
            ),
        },
    )
    return qc


def labor_book(*, inspection: Inspection, actor=None):
    """One labour cost per inspection (source_key), its amount following the minutes."""
    from resolution.models import CostEntry

    minutes = Decimal(inspection.minutes_spent or 0)
    key = f"labor:{inspection.pk}"
    if minutes <= 0 and not CostEntry.objects.filter(source_key=key).exists():
        return None
    rate = grading_settings().labor_hourly_rate
    values = {
        "return_request_id": inspection.return_request_id,
        "kind": CostEntry.Kind.LABOR,
        "amount": rules.labor_cost(minutes=minutes, hourly_rate=rate),
        "minutes": minutes,
        "note": f"{inspection.get_kind_display()} of line {inspection.return_line_id}: "
        f"{minutes} min at {rate}/h",
    }
    entry, _ = CostEntry.objects.update_or_create(
        source_key=key,
        defaults=values,
        create_defaults={**values, "created_by": _user(actor)},
    )
    return entry


# --- Completing -----------------------------------------------------------------------------
def return_grading_complete(*, return_id: int, actor) -> ReturnRequest:
    """Every line has a graded primary inspection: the return becomes graded, resolution runs."""
    with transaction.atomic():
        try:
            rr = _return_locked(return_id)
        except ReturnRequest.DoesNotExist:
            raise NotFound("Return not found.") from None
        if rr.status != S.RECEIVED:
            raise Conflict(
                f"{rr.reference} is {S(rr.status).label.lower()}: only a received return "
                "can be completed."
            )
        missing = list(
            rr.lines.exclude(
                inspections__kind=Inspection.Kind.PRIMARY, inspections__grade__isnull=False
            ).select_related("order_line__product")
        )
        if missing:
            names = ", ".join(line.order_line.product.name for line in missing)
            raise DomainError(
                f"{len(missing)} item(s) still need a grade: {names}.",
                details={"line_ids": [line.pk for line in missing]},
            )
        inspections = Inspection.objects.filter(
            return_request=rr, kind=Inspection.Kind.PRIMARY
        ).select_related("grade")
        disputes = [i for i in inspections if i.dispute]
        rr = return_transition(
            return_id=rr.pk,
            to_status=S.GRADED,
            actor=_user(actor),
            actor_kind=STAFF,
            message="We inspected your items."
            + (" Some did not match the reason given; see the notes above." if disputes else ""),
            details={
                "grades": {str(i.return_line_id): i.grade.code for i in inspections},
                "deductions": str(sum((i.deduction for i in inspections), Decimal("0"))),
            },
            expected_from=frozenset({S.RECEIVED}),
        )
        from rma import hooks

        hooks.return_graded(return_id=rr.pk)
    return rr


# --- Parcel exceptions ----------------------------------------------------------------------
def parcel_exception_create(
    *,
    actor,
    found: str,
    carrier_tracking: str = "",
    label_text: str = "",
    notes: str = "",
    photos: tuple = (),
) -> ParcelException:
    """Log a parcel that could not be matched to a return on arrival."""
    found = _text(found, field="found").strip()
    notes = _text(notes, field="notes")
    label_text = _text(label_text, field="label_text")
    if not found:
        raise DomainError("Describe what was in the parcel.", field="found")
    if len(found) > 2000:
        raise DomainError("Descriptions are limited to 2000 characters.", field="found")
    if len(notes or "") > 2000:
        raise DomainError("Notes are limited to 2000 characters.", field="notes")
    tracking = scan_code_normalize(carrier_tracking)
    if len(tracking) > 60:
        raise DomainError("That tracking number is too long.", field="carrier_tracking")
    if len(label_text or "") > 200:
        raise DomainError("Label text is limited to 200 characters.", field="label_text")
    photos = photos_validate(photos)
    with transaction.atomic():
        parcel = ParcelException.objects.create(
            found=found,
            carrier_tracking=tracking,
            label_text=(label_text or "").strip(),
            notes=(notes or "").strip(),
            created_by=_user(actor),
        )
        for upload in photos:
            ParcelExceptionPhoto.objects.create(parcel=parcel, image=upload)
        audit_record(
            obj=parcel,
            action="logged",
            actor=_user(actor),
            to_state=parcel.status,
            note=f"Logged an unmatched parcel: {parcel.found[:200]}"
            + (f" (tracking {tracking})" if tracking else "")
            + (f", {len(photos)} photo(s)." if photos else "."),
            data={"carrier_tracking": tracking, "photos": len(photos)},
        )
    return parcel


def _exception_locked_open(exception_id: int) -> ParcelException:
    parcel = ParcelException.objects.select_for_update().filter(pk=exception_id).first()
    if parcel is None:
        raise NotFound("Parcel exception not found.")
    if parcel.status != ParcelException.Status.OPEN:
        raise Conflict(f"This parcel was already {parcel.get_status_display().lower()}.")
    return parcel


def parcel_exception_match(*, exception_id: int, code: str, actor) -> ParcelException:
    """The parcel belongs to the return `code` names: record the match and receive it."""
    return_id = return_id_for_scan(code=code)
    with transaction.atomic():
        parcel = _exception_locked_open(exception_id)
        # Locked: two parcels matched to one return at once are both matched, one receives it.
        status = (
            ReturnRequest.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=return_id)
        )
        if status in RECEIVABLE:
            parcel_receive(
                return_id=return_id,
                actor=actor,
                note="Your parcel arrived at our warehouse (matched by our staff).",
            )
        elif status != S.RECEIVED:
            raise IllegalTransition(_not_receivable_message(return_id))
        parcel.status = ParcelException.Status.MATCHED
        parcel.return_request_id = return_id
        parcel.resolved_by = _user(actor)
        parcel.resolved_at = timezone.now()
        parcel.save(update_fields=["status", "return_request", "resolved_by", "resolved_at"])
        event_record(
            return_request=parcel.return_request,
            kind="parcel_exception",
            actor=_user(actor),
            actor_kind=STAFF,
            message=f"Unlabelled parcel #{parcel.pk} matched to this return.",
            details={"parcel_exception_id": parcel.pk},
            visible_to_customer=False,
        )
        audit_record(
            obj=parcel,
            action="matched",
            actor=_user(actor),
            from_state=ParcelException.Status.OPEN,
            to_state=ParcelException.Status.MATCHED,
            note=f"Matched to {parcel.return_request.reference} and received.",
            data={"return_id": return_id},
        )
    return parcel


def parcel_exception_unidentified(*, exception_id: int, actor, notes: str = "") -> ParcelException:
    """Nobody could match it: close it as unidentified (kept for audit and later claims)."""
    notes = _text(notes, field="notes")
    if len(notes) > 2000:
        raise DomainError("Notes are limited to 2000 characters.", field="notes")
    with transaction.atomic():
        parcel = _exception_locked_open(exception_id)
        parcel.status = ParcelException.Status.UNIDENTIFIED
        if notes and notes.strip():
            parcel.notes = (parcel.notes + "\n" + notes.strip()).strip()[:2000]
        parcel.resolved_by = _user(actor)
        parcel.resolved_at = timezone.now()
        parcel.save(update_fields=["status", "notes", "resolved_by", "resolved_at"])
        why = (notes or "").strip()
        audit_record(
            obj=parcel,
            action="unidentified",
            actor=_user(actor),
            from_state=ParcelException.Status.OPEN,
            to_state=ParcelException.Status.UNIDENTIFIED,
            note="Closed as unidentified" + (f": {why}" if why else "."),
        )
    return parcel
