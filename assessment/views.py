"""Warehouse pages (tablet first): scan, receive, grade, complete; exceptions; QC; throughput.

Thin: parse the form, call a service or selector, render. Saves come from htmx (the line
panel is swapped in place, conflicts included) or, without JavaScript, a plain POST that
redirects back.
"""

import datetime as dt
import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment import selectors, services
from assessment.models import ArrivedAs, Inspection, ParcelException
from assessment.rules import CHECKLIST_KEYS, CHECKLIST_LABELS
from audit.selectors import audit_for
from returns_portal.errors import Conflict, DomainError, NotFound


def _staff(perm: str):
    """Anonymous → login page; signed in without the permission → 403."""

    def wrap(view):
        return login_required(permission_required(f"catalog.{perm}", raise_exception=True)(view))

    return wrap


grader_required = _staff("grade_item")
manager_required = _staff("view_dashboard")


def _not_found(exc: NotFound):
    raise Http404(exc.message)


# --- Scan and receive ------------------------------------------------------------------------
@grader_required
@require_GET
def receiving(request):
    code = request.GET.get("code", "")
    error, status = "", 200
    if code.strip():
        try:
            return_id = selectors.return_id_for_scan(code=code)
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect("assessment:return", return_id=return_id)
    return render(
        request,
        "assessment/receiving.html",
        {
            "code": selectors.scan_code_normalize(code)[:60],
            "error": error,
            "on_bench": selectors.receiving_recent(),
            "at_dock": selectors.receiving_at_dock(),
            "open_exceptions": selectors.exceptions_open_count(),
            "qc_waiting": selectors.qc_queue_count(user=request.user),
        },
        status=status,
    )


def _return_context(request, return_request, **extra) -> dict:
    graded, total = selectors.grading_progress(return_request=return_request)
    lines = selectors.lines_for_grading(return_request=return_request, viewer=request.user)
    first_open = next((lv.line.pk for lv in lines if lv.primary and not lv.primary.grade_id), None)
    return {
        "rr": return_request,
        "lines": lines,
        "first_open_line_id": first_open,
        "grades": selectors.grades_active(),
        "arrived_choices": ArrivedAs.choices,
        "checklist_items": [(k, CHECKLIST_LABELS[k]) for k in CHECKLIST_KEYS],
        "receivable": return_request.status in services.RECEIVABLE,
        "grading_open": return_request.status == "received",
        "editable": return_request.status == "received",
        "graded_count": graded,
        "line_count": total,
        **extra,
    }


@grader_required
@require_GET
def return_page(request, return_id: int):
    try:
        rr = selectors.return_for_grading(return_id=return_id)
    except NotFound as exc:
        _not_found(exc)
    return render(request, "assessment/return.html", _return_context(request, rr))


@grader_required
@require_POST
def receive(request, return_id: int):
    try:
        rr = services.parcel_receive(return_id=return_id, actor=request.user)
    except NotFound as exc:
        _not_found(exc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{rr.reference} received. Grade each item below.")
    return redirect("assessment:return", return_id=return_id)


@grader_required
@require_POST
def complete(request, return_id: int):
    try:
        rr = services.return_grading_complete(return_id=return_id, actor=request.user)
    except NotFound as exc:
        _not_found(exc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{rr.reference} is graded.")
    return redirect("assessment:return", return_id=return_id)


# --- Saving an inspection -----------------------------------------------------------------
def _form_values(request) -> dict:
    post = request.POST
    try:
        started = parse_datetime(post.get("started_at", "") or "")
    except ValueError:  # well-formed but impossible, e.g. month 13: just time it server-side
        started = None
    if started is not None and timezone.is_naive(started):
        started = None
    return {
        "quantity_received": post.get("quantity_received"),
        "arrived_as": post.get("arrived_as"),
        "checklist": {key: key in post.getlist("checklist") for key in CHECKLIST_KEYS},
        "grade_code": post.get("grade") or None,
        "notes": post.get("notes"),
        "minutes_spent": post.get("minutes_spent") or None,
        "started_at": started,
        "photos": tuple(request.FILES.getlist("photos")),
    }


@grader_required
@require_POST
def inspection_save(request, inspection_id: int):
    try:
        inspection = selectors.inspection_get(inspection_id=inspection_id)
    except NotFound as exc:
        _not_found(exc)
    notice, status = "", 200
    try:
        services.inspection_save(
            actor=request.user,
            inspection_id=inspection.pk,
            expected_version=request.POST.get("expected_version", ""),
            **_form_values(request),
        )
    except Conflict as exc:
        notice, status = exc.message, 409
    except DomainError as exc:
        notice, status = exc.message, exc.status
    if not request.htmx:
        if status == 200:
            messages.success(request, "Saved.")
        else:
            messages.error(request, notice)
        if inspection.kind == Inspection.Kind.QC:
            return redirect("assessment:qc_grade", inspection_id=inspection.pk)
        url = reverse("assessment:return", args=[inspection.return_request_id])
        return redirect(f"{url}#line-{inspection.return_line_id}")
    return _panel_response(request, inspection, notice=notice, status=status)


def _panel_response(request, inspection: Inspection, *, notice: str, status: int):
    rr = selectors.return_for_grading(return_id=inspection.return_request_id)
    context = _return_context(
        request, rr, notice=notice or "Saved.", notice_ok=status == 200, oob=True
    )
    line_view = next(lv for lv in context["lines"] if lv.line.pk == inspection.return_line_id)
    context["lv"] = line_view
    context["open"] = True
    if inspection.kind == Inspection.Kind.QC:
        context.update(_qc_context(line_view))
    elif line_view.primary_hidden:
        return render(request, "assessment/return.html#blind_panel", context, status=status)
    else:
        context["inspection"] = line_view.primary
    return render(request, "assessment/return.html#line_panel", context, status=status)


def _qc_context(line_view) -> dict:
    """The QC panel: blind and editable until submitted; then final, next to the first grading
    it was compared with."""
    qc = line_view.qc
    if qc.grade_id is None:
        return {"inspection": qc, "blind": True, "editable": True, "first": None, "qc_page": True}
    primary = line_view.primary
    first_grade = qc.compared_grade or (primary.grade if primary else None)
    first_inspector = qc.compared_inspector or (primary.inspector if primary else None)
    return {
        "inspection": qc,
        "blind": False,
        "editable": False,
        "qc_page": True,
        "first": {
            "grade": first_grade,
            "inspector": first_inspector,
            "agrees": first_grade is not None and first_grade.pk == qc.grade_id,
        },
    }


# --- Photos (never a public media URL: only warehouse staff and above see them) ----------
def _photo_response(photo):
    try:
        handle = photo.image.open("rb")
    except OSError:
        raise Http404("Photo not found.") from None
    content_type = mimetypes.guess_type(photo.image.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'"
    return response


@grader_required
@require_GET
def inspection_photo(request, photo_id: int):
    try:
        photo = selectors.inspection_photo_get(photo_id=photo_id)
    except NotFound as exc:
        _not_found(exc)
    if selectors.primary_hidden_from(request.user, primary=photo.inspection):
        raise PermissionDenied(selectors.BLIND_MESSAGE)
    return _photo_response(photo)


@grader_required
@require_GET
def parcel_photo(request, photo_id: int):
    try:
        return _photo_response(selectors.parcel_photo_get(photo_id=photo_id))
    except NotFound as exc:
        _not_found(exc)


# --- QC -----------------------------------------------------------------------------------
@grader_required
@require_GET
def qc_queue(request):
    return render(
        request, "assessment/qc_queue.html", {"queue": selectors.qc_queue(user=request.user)}
    )


@grader_required
@require_GET
def qc_grade(request, inspection_id: int):
    try:
        inspection = selectors.inspection_get(inspection_id=inspection_id)
    except NotFound as exc:
        _not_found(exc)
    if inspection.kind != Inspection.Kind.QC:
        raise Http404("Not a QC inspection.")
    rr = selectors.return_for_grading(return_id=inspection.return_request_id)
    context = _return_context(request, rr)
    line_view = next(lv for lv in context["lines"] if lv.line.pk == inspection.return_line_id)
    primary = selectors.primary_of(inspection)
    if primary is not None and selectors.graded_first_by(request.user, primary=primary):
        messages.error(request, "You graded this item first; a different grader must check it.")
        return redirect("assessment:qc_queue")
    context.update({"lv": line_view, "open": True, **_qc_context(line_view)})
    return render(request, "assessment/qc_grade.html", context)


@manager_required
@require_GET
def qc_report(request):
    return render(
        request,
        "assessment/qc_report.html",
        {
            "disagreements": selectors.qc_disagreements(),
            "per_grader": selectors.qc_counts_per_grader(),
            "settings": selectors.grading_settings(),
            "waiting": selectors.qc_waiting_count(),
        },
    )


PERIODS = {"1": "Last 24 hours", "7": "Last 7 days", "30": "Last 30 days"}


@manager_required
@require_GET
def throughput(request):
    days = request.GET.get("days", "7")
    if days not in PERIODS:
        days = "7"
    since = timezone.now() - dt.timedelta(days=int(days))
    return render(
        request,
        "assessment/throughput.html",
        {
            "rows": selectors.throughput_per_grader(since=since),
            "days": days,
            "periods": PERIODS,
            "settings": selectors.grading_settings(),
        },
    )


# --- Exceptions -------------------------------------------------------------------------------
@grader_required
@require_http_methods(["GET", "POST"])
def exceptions(request):
    form = {
        "found": "",
        "carrier_tracking": request.GET.get("tracking", "")[:60],
        "label_text": "",
        "notes": "",
    }
    error, status = "", 200
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            parcel = services.parcel_exception_create(
                actor=request.user, photos=tuple(request.FILES.getlist("photos")), **form
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, f"Parcel exception #{parcel.pk} logged.")
            return redirect("assessment:exception", exception_id=parcel.pk)
    show = request.GET.get("show", "open")
    return render(
        request,
        "assessment/exceptions.html",
        {
            "form": form,
            "error": error,
            "show": show,
            "parcels": selectors.exceptions_list(
                status=ParcelException.Status.OPEN if show == "open" else ""
            ),
        },
        status=status,
    )


@grader_required
@require_GET
def exception_detail(request, exception_id: int):
    try:
        parcel = selectors.exception_get(exception_id=exception_id)
    except NotFound as exc:
        _not_found(exc)
    return render(
        request, "assessment/exception.html", {"parcel": parcel, "history": audit_for(parcel)}
    )


@grader_required
@require_POST
def exception_match(request, exception_id: int):
    try:
        parcel = services.parcel_exception_match(
            exception_id=exception_id, code=request.POST.get("code", ""), actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("assessment:exception", exception_id=exception_id)
    messages.success(request, f"Matched to {parcel.return_request.reference} and received.")
    return redirect("assessment:return", return_id=parcel.return_request_id)


@grader_required
@require_POST
def exception_unidentified(request, exception_id: int):
    try:
        services.parcel_exception_unidentified(
            exception_id=exception_id, actor=request.user, notes=request.POST.get("notes", "")
        )
    except NotFound as exc:
        _not_found(exc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Logged as unidentified.")
    return redirect("assessment:exception", exception_id=exception_id)
