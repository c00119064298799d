"""Return pages: find an order, file a return (live policy quote), status, cancel; staff
review queue, returns list and detail.

Thin: parse a form, call a selector or service from `rma`, render. Every object is fetched
through a viewer-checked selector, so a page cannot show someone else's order or return.
Domain errors become form errors (200) or messages; nothing a user types reaches a 500.
"""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.identity import guest_order_grant, viewer_for_request
from catalog.models import Supplier
from catalog.selectors import (
    exchange_candidates,
    order_find_by_number_and_email,
    order_get_for_viewer,
    orders_for_viewer,
)
from returns_portal.errors import DomainError, NotFound
from rma import selectors, services
from rma.filters import ReturnFilter
from rma.forms import (
    CancelForm,
    OrderLookupForm,
    ReturnForm,
    ReviewDecisionForm,
    StaffReturnFilterForm,
)
from rma.models import ReturnLine, ReturnPhoto, ReturnReason
from rma.notifications import next_steps
from rma.states import CUSTOMER_CANCELLABLE, Decision, Outcome, ReturnStatus

LOOKUP_LIMIT = 10  # attempts per window, per browser session and per IP address
LOOKUP_WINDOW_SECONDS = 10 * 60
NEUTRAL_LOOKUP_ERROR = (
    "We could not find an order with that number and email. Check both and try again."
)
STAFF_PAGE_SIZE = 50
CUSTOMER_PAGE_SIZE = 20


def _staff(perm: str):
    """Anonymous → the sign-in page; signed in without the permission → 403."""

    def wrap(view):
        return login_required(permission_required(f"catalog.{perm}", raise_exception=True)(view))

    return wrap


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _to_start(request):
    """Nobody known yet: prove an order first (then come back here)."""
    messages.info(request, "Find your order first: enter its number and your email.")
    return redirect(f"{reverse('rma:start')}?{urlencode({'next': request.get_full_path()})}")


def _page(request, queryset, size: int):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


# --- 1. Find the order -----------------------------------------------------------------
def _lookup_allowed(request) -> bool:
    """Count this attempt; False once the IP or the session made too many (fixed window)."""
    keys = [f"rma:lookup:ip:{request.META.get('REMOTE_ADDR', '')}"]
    if request.session.session_key:
        keys.append(f"rma:lookup:session:{request.session.session_key}")
    allowed = True
    for key in keys:
        cache.add(key, 0, LOOKUP_WINDOW_SECONDS)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, LOOKUP_WINDOW_SECONDS)
            count = 1
        allowed = allowed and count <= LOOKUP_LIMIT
    return allowed


@require_http_methods(["GET", "POST"])
def start(request):
    viewer = viewer_for_request(request)
    form = OrderLookupForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        valid = form.is_valid()
        if not _lookup_allowed(request):
            form.add_error(None, "Too many attempts. Please wait ten minutes and try again.")
            status = 429
        elif valid:
            order = order_find_by_number_and_email(
                number=form.cleaned_data["number"], email=form.cleaned_data["email"]
            )
            if order is None:
                form.add_error(None, NEUTRAL_LOOKUP_ERROR)
            elif viewer.customer_id and order.customer_id != viewer.customer_id:
                form.add_error(
                    None,
                    "That order was placed with another email than your account's. "
                    "Sign out to return it as a guest.",
                )
            else:
                if not viewer.is_staff and not viewer.customer_id:
                    guest_order_grant(request, order.pk)
                return redirect(_safe_next(request, reverse("rma:return_new", args=[order.pk])))
    return render(
        request,
        "rma/start.html",
        {"form": form, "next": _safe_next(request, "")},
        status=status,
    )


@login_required
@require_GET
def my_orders(request):
    viewer = viewer_for_request(request)
    orders = orders_for_viewer(viewer)
    orders = (
        orders.filter(customer_id=viewer.customer_id, lines__delivered_at__isnull=False)
        .distinct()
        .prefetch_related("lines__product")
        .order_by("-placed_at", "-id")
        if viewer.customer_id
        else orders.none()
    )
    return render(
        request, "rma/my_orders.html", {"page": _page(request, orders, CUSTOMER_PAGE_SIZE)}
    )


@login_required
@require_GET
def my_returns(request):
    viewer = viewer_for_request(request)
    returns = selectors.returns_for_viewer(viewer)
    returns = (
        returns.filter(customer_id=viewer.customer_id).prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line__product"))
        )
        if viewer.customer_id
        else returns.none()
    )
    return render(
        request, "rma/my_returns.html", {"page": _page(request, returns, CUSTOMER_PAGE_SIZE)}
    )


# --- 2–4. Pick items, see the quote, submit --------------------------------------------
def _variants_by_product(returnables) -> dict:
    """In-stock exchange choices for each line's product (the product itself excluded)."""
    return exchange_candidates(products={rl.order_line.product for rl in returnables})


def _quote_rows(form, quote) -> list[dict]:
    by_id = {g.line.pk: g.line for g in form.groups}
    return [
        {"line": by_id.get(lq.order_line_id), "quote": lq}
        for lq in quote.lines
        if lq.order_line_id in by_id
    ]


def _photos_missing(form, data) -> list[str]:
    """Reasons that need a photo where none is chosen yet. The live quote sends only the
    count of chosen photos (`line_<id>_photos_count`); the files come with the submit."""
    flags = {r.code: r for r in form.reasons}
    names = {g.line.pk: g.line.product.name for g in form.groups}
    missing = []
    for item in form.items:
        reason = flags.get(item.reason_code)
        if reason is None or not reason.requires_photo or item.photos:
            continue
        chosen = data.get(f"line_{item.order_line_id}_photos_count", "")
        # isascii: "²".isdigit() is True but int("²") raises; a few digits are plenty
        if chosen.isascii() and chosen.isdigit() and len(chosen) < 6 and int(chosen) > 0:
            continue
        missing.append(f"{names[item.order_line_id]} ({reason.label})")
    return missing


def _error_list(form) -> list[str]:
    """Every error on the form in one list (the quote panel shows it next to the button)."""
    if form.is_valid():
        return []
    errors = list(form.non_field_errors())
    for name in ("kind", "preferred_outcome"):
        errors += [f"{form.fields[name].label} {e}" for e in form[name].errors]
    for group in form.returnable_groups:
        for field in group.fields:
            errors += [f"{group.line.product.name} — {field.label}: {e}" for e in field.errors]
    return errors


@require_http_methods(["GET", "POST"])
def return_new(request, order_id: int):
    viewer = viewer_for_request(request)
    if viewer.is_anonymous:
        return _to_start(request)
    try:
        order = order_get_for_viewer(viewer=viewer, order_id=order_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    returnables = selectors.returnable_lines(order=order)
    policy = selectors.policy_active()
    form = ReturnForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        returnables=returnables,
        reasons=selectors.reasons_active(),
        variants_by_product=_variants_by_product(returnables),
        bonus_percent=policy.store_credit_bonus_percent,
    )
    action = request.POST.get("action", "review")
    quote = None
    if request.method == "POST" and form.is_valid():
        options = {
            "viewer": viewer,
            "order_id": order.pk,
            "items": form.items,
            "kind": form.cleaned_data["kind"],
            "preferred_outcome": form.cleaned_data["preferred_outcome"],
        }
        try:
            if action == "submit":
                staff = viewer.is_staff and not viewer.customer_id
                rr = services.return_create(
                    **options,
                    channel="staff" if staff else "portal",
                    actor=request.user if staff else None,
                )
                return redirect("rma:return_submitted", reference=rr.reference)
            quote = services.return_quote(**options)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except DomainError as exc:
            form.attach_domain_error(exc)
    context = {
        "order": order,
        "form": form,
        "policy": policy,
        "quote": quote,
        "quote_rows": _quote_rows(form, quote) if quote else [],
        "quote_rules": _rule_rows(quote.as_rules_json()) if quote else [],
        "error_list": _error_list(form) if form.is_bound else [],
        "photos_missing": _photos_missing(form, request.POST) if quote else [],
        "photo_field_names": ",".join(
            g.photos.html_name for g in form.returnable_groups if g.photos is not None
        ),
        "submitted": request.method == "POST",
    }
    if request.htmx and action == "quote":
        return render(request, "rma/return_form.html#quote", context)
    return render(request, "rma/return_form.html", context)


def _return_for(request, reference: str):
    viewer = viewer_for_request(request)
    try:
        return selectors.return_get_by_reference_for_viewer(viewer=viewer, reference=reference)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _lines(return_request):
    return list(
        return_request.lines.select_related(
            "order_line__product", "reason", "exchange_product"
        ).prefetch_related("photos")
    )


def _rules(return_request) -> list[dict]:
    return _rule_rows(return_request.decision_rules)


def _rule_rows(rules_json) -> list[dict]:
    """Rule results (as stored) with their plain-language text and a css class."""
    rules = []
    for rule in rules_json or []:
        passed = bool(rule.get("passed"))
        css = "" if passed else ("review" if rule.get("outcome") == Decision.REVIEW else "fail")
        subject = rule.get("subject") or ""
        message = rule.get("message", "")
        rules.append({"css": css, "text": f"{subject}: {message}" if subject else message})
    return rules


@require_GET
def return_submitted(request, reference: str):
    if viewer_for_request(request).is_anonymous:
        return _to_start(request)
    rr = _return_for(request, reference)
    return render(
        request,
        "rma/return_submitted.html",
        {
            "return_request": rr,
            "rules": _rules(rr),
            "next_steps": next_steps(rr, rr.status),
            "lines": _lines(rr),
        },
    )


# --- 5. Status, cancel, photos ---------------------------------------------------------
@require_GET
def return_detail(request, return_id: int):
    """The link in customer emails (by id): on to the page named by the reference."""
    viewer = viewer_for_request(request)
    if viewer.is_anonymous:
        return _to_start(request)
    try:
        rr = selectors.return_get_for_viewer(viewer=viewer, return_id=return_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return redirect("rma:return_status", reference=rr.reference)


def _money_context(rr) -> dict:
    return {
        "is_store_credit": rr.preferred_outcome == Outcome.STORE_CREDIT,
        "cancellable": rr.status in CUSTOMER_CANCELLABLE,
    }


@require_GET
def return_status(request, reference: str):
    if viewer_for_request(request).is_anonymous:
        return _to_start(request)
    rr = _return_for(request, reference)
    return render(
        request,
        "rma/return_status.html",
        {
            "return_request": rr,
            "lines": _lines(rr),
            "rules": _rules(rr),
            "timeline": selectors.return_timeline(return_request=rr, for_customer=True),
            "next_steps": next_steps(rr, rr.status),
            **_money_context(rr),
        },
    )


@require_http_methods(["GET", "POST"])
def return_cancel(request, reference: str):
    viewer = viewer_for_request(request)
    if viewer.is_anonymous:
        return _to_start(request)
    rr = _return_for(request, reference)
    if rr.status not in CUSTOMER_CANCELLABLE:
        messages.error(request, "This return can no longer be cancelled.")
        return redirect("rma:return_status", reference=rr.reference)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.return_cancel(
                viewer=viewer, return_id=rr.pk, reason=form.cleaned_data["reason"]
            )
        except NotFound as exc:
            raise Http404(exc.message) from None
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Return {rr.reference} is cancelled.")
        return redirect("rma:return_status", reference=rr.reference)
    return render(request, "rma/return_cancel.html", {"return_request": rr, "form": form})


@require_GET
def return_photo(request, reference: str, photo_id: int):
    """A customer photo, only for the return's owner and staff (never a public media URL)."""
    rr = _return_for(request, reference)
    photo = ReturnPhoto.objects.filter(pk=photo_id, line__return_request=rr).first()
    if photo is None or not photo.image:
        raise Http404("Photo not found.")
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


# --- 7. Staff review queue -------------------------------------------------------------
def _staff_lines_prefetch():
    return Prefetch(
        "lines",
        queryset=ReturnLine.objects.select_related("order_line__product", "reason"),
    )


def _review_page(request, *, errors: dict | None = None, posted: dict | None = None):
    lines = ReturnLine.objects.select_related("order_line__product", "reason").prefetch_related(
        "photos"
    )
    queue = selectors.review_queue().prefetch_related(Prefetch("lines", queryset=lines))
    page = _page(request, queue, 25)
    cards = [
        {
            "return_request": rr,
            "rules": _rules(rr),
            "error": (errors or {}).get(rr.pk, ""),
            "reason": (posted or {}).get(rr.pk, ""),
        }
        for rr in page
    ]
    return render(request, "rma/staff_review.html", {"page": page, "cards": cards})


@_staff("review_return")
@require_GET
def staff_review(request):
    return _review_page(request)


@_staff("review_return")
@require_POST
def staff_review_decide(request, return_id: int):
    form = ReviewDecisionForm(request.POST)
    if not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
        return _review_page(
            request,
            errors={return_id: error},
            posted={return_id: request.POST.get("reason", "")},
        )
    decide = (
        services.return_approve
        if form.cleaned_data["action"] == "approve"
        else services.return_decline
    )
    try:
        rr = decide(return_id=return_id, actor=request.user, reason=form.cleaned_data["reason"])
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        verb = "approved" if rr.status != ReturnStatus.DECLINED else "declined"
        messages.success(request, f"{rr.reference} {verb}.")
    return redirect(_safe_next(request, reverse("rma:staff_review")))


# --- 8. Staff returns list and detail --------------------------------------------------
def _filtered_returns(viewer, data: dict):
    """The staff list's filters, applied by the API's own FilterSet: one meaning for both."""
    params = {
        "status": [data["status"]] if data.get("status") else [],
        "created_after": data.get("created_after"),
        "created_before": data.get("created_before"),
        "reason": data.get("reason"),
        "sku": data.get("product"),
        "supplier": data.get("supplier"),
    }
    params = {key: value for key, value in params.items() if value}
    returns = ReturnFilter(params, queryset=selectors.returns_for_viewer(viewer)).qs
    return returns.prefetch_related(_staff_lines_prefetch())  # ordered by the filter set


@_staff("view_all_returns")
@require_GET
def staff_returns(request):
    viewer = viewer_for_request(request)
    form = StaffReturnFilterForm(
        request.GET or None,
        reasons=ReturnReason.objects.values_list("code", "label").order_by("position", "label"),
        suppliers=Supplier.objects.values_list("code", "name").order_by("name"),
    )
    data = {}
    if form.is_bound:
        form.is_valid()  # an invalid filter shows its error; the valid ones still apply
        data = form.cleaned_data
    page = _page(request, _filtered_returns(viewer, data), STAFF_PAGE_SIZE)
    # one query for the page's money movements: the list flags refunds past their SLA
    prefetch_related_objects(page.object_list, "money_movements")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "rma/staff_returns.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@_staff("view_all_returns")
@require_GET
def staff_return_detail(request, return_id: int):
    viewer = viewer_for_request(request)
    try:
        rr = selectors.return_get_for_viewer(viewer=viewer, return_id=return_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return render(
        request,
        "rma/staff_return_detail.html",
        {
            "return_request": rr,
            "lines": _lines(rr),
            "rules": _rules(rr),
            "timeline": selectors.staff_timeline(user=request.user, return_request=rr),
            "review_form": rr.status == ReturnStatus.PENDING_REVIEW,
            **_money_context(rr),
        },
    )
