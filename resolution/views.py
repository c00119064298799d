"""Resolution pages for staff: refunds due, dispositions, recovery queues, goodwill, CS time.

Thin: read the form, call a service or selector, render or redirect with a message. Domain
errors become a message on the page (or a 4xx for the goodwill form), never a 500.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.selectors import audit_for_many
from catalog.models import Customer, Order
from resolution import selectors, services
from resolution.models import LiquidationLot, RefurbishmentJob, Route, SupplierClaim
from returns_portal.errors import DomainError, NotFound
from rma.models import ReturnRequest


def _staff(perm: str):
    """Anonymous → login page; signed in without the permission → 403."""

    def wrap(view):
        return login_required(permission_required(f"catalog.{perm}", raise_exception=True)(view))

    return wrap


resolver_required = _staff("resolve_return")
goodwill_required = _staff("issue_goodwill")


def _back(request, fallback: str):
    """Redirect to the page the form was on (same site only), else `fallback`."""
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(fallback)


def _run(request, fallback: str, action, success: str):
    try:
        result = action()
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success.format(result=result))
    return _back(request, fallback)


# --- Dashboard --------------------------------------------------------------------------------
@resolver_required
@require_GET
def dashboard(request):
    today = timezone.localdate()
    pending = list(selectors.movements_pending()[:200])
    return render(
        request,
        "resolution/dashboard.html",
        {
            "section": "dashboard",
            "today": today,
            "pending": pending,
            "overdue_count": sum(1 for m in pending if m.due_on and m.due_on < today),
            "failed": list(selectors.movements_failed()[:50]),
            "recent": list(selectors.movements_done()[:15]),
            "refurb_open": RefurbishmentJob.objects.filter(status="open").count(),
            "lot_open": LiquidationLot.objects.filter(status="open").first(),
            "claims_open": SupplierClaim.objects.exclude(status="credited").count(),
        },
    )


@resolver_required
@require_POST
def movement_retry(request, movement_id: int):
    return _run(
        request,
        reverse("resolution:dashboard"),
        lambda: services.money_movement_retry(movement_id=movement_id, actor=request.user),
        "Retrying as #{result.pk}.",
    )


# --- One return ----------------------------------------------------------------------------
@resolver_required
@require_GET
def return_page(request, return_id: int):
    rr = (
        ReturnRequest.objects.select_related("order", "customer", "customer_outcome")
        .prefetch_related(
            "money_movements",
            "exchange_orders__product",
            "dispositions__return_line__order_line__product",
            "dispositions__overridden_by",
        )
        .filter(pk=return_id)
        .first()
    )
    if rr is None:
        raise Http404("Return not found.")
    return render(
        request, "resolution/return.html", {"return_request": rr, "routes": Route.choices}
    )


@resolver_required
@require_POST
def no_refund(request, return_id: int):
    return _run(
        request,
        reverse("resolution:return", args=[return_id]),
        lambda: services.return_no_refund(
            return_id=return_id,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            send_back=request.POST.get("send_back") == "1",
        ),
        "{result.reference} resolved without a refund.",
    )


@resolver_required
@require_POST
def cs_minutes(request, return_id: int):
    return _run(
        request,
        reverse("resolution:return", args=[return_id]),
        lambda: services.cs_minutes_log(
            return_id=return_id,
            minutes=request.POST.get("minutes", ""),
            note=request.POST.get("note", ""),
            actor=request.user,
        ),
        "Logged {result.minutes} minutes ({result.amount}).",
    )


# --- Dispositions ------------------------------------------------------------------------------
@resolver_required
@require_GET
def dispositions(request):
    route = request.GET.get("route", "")
    route = route if route in Route.values else ""
    return render(
        request,
        "resolution/dispositions.html",
        {
            "section": "dispositions",
            "dispositions": selectors.dispositions_list(route=route)[:100],
            "route": route,
            "routes": Route.choices,
        },
    )


@resolver_required
@require_POST
def disposition_override(request, disposition_id: int):
    return _run(
        request,
        reverse("resolution:dispositions"),
        lambda: services.disposition_override(
            disposition_id=disposition_id,
            route=request.POST.get("route", ""),
            reason=request.POST.get("reason", ""),
            actor=request.user,
        ),
        "Now routed to {result.get_route_display}.",
    )


# --- Recovery queues ---------------------------------------------------------------------------
@resolver_required
@require_GET
def refurbishment(request):
    show = "all" if request.GET.get("show") == "all" else "open"
    jobs = list(selectors.refurbishment_queue(show=show)[:200])
    return render(
        request,
        "resolution/refurbishment.html",
        {
            "section": "refurbishment",
            "jobs": jobs,
            "show": show,
            "history": audit_for_many(jobs),
        },
    )


@resolver_required
@require_POST
def refurbishment_complete(request, job_id: int):
    return _run(
        request,
        reverse("resolution:refurbishment"),
        lambda: services.refurbishment_complete(
            job_id=job_id,
            result=request.POST.get("result", ""),
            actual_cost=request.POST.get("actual_cost") or None,
            note=request.POST.get("note", ""),
            actor=request.user,
        ),
        "Job #{result.pk}: {result.get_status_display}.",
    )


@resolver_required
@require_GET
def liquidation(request):
    lots = list(selectors.liquidation_lots()[:50])
    return render(
        request,
        "resolution/liquidation.html",
        {"section": "liquidation", "lots": lots, "history": audit_for_many(lots)},
    )


@resolver_required
@require_POST
def liquidation_sell(request, lot_id: int):
    return _run(
        request,
        reverse("resolution:liquidation"),
        lambda: services.liquidation_lot_sell(
            lot_id=lot_id,
            amount=request.POST.get("amount", ""),
            buyer=request.POST.get("buyer", ""),
            actor=request.user,
        ),
        "{result.reference} sold for {result.sold_amount}.",
    )


@resolver_required
@require_GET
def claims(request):
    claims = list(selectors.supplier_claims()[:100])
    return render(
        request,
        "resolution/claims.html",
        {"section": "claims", "claims": claims, "history": audit_for_many(claims)},
    )


@resolver_required
@require_POST
def claim_ship(request, claim_id: int):
    return _run(
        request,
        reverse("resolution:claims"),
        lambda: services.supplier_claim_ship(
            claim_id=claim_id, tracking_number=request.POST.get("tracking", ""), actor=request.user
        ),
        "{result.reference} shipped.",
    )


@resolver_required
@require_POST
def claim_credit(request, claim_id: int):
    return _run(
        request,
        reverse("resolution:claims"),
        lambda: services.supplier_claim_credit(
            claim_id=claim_id,
            amount=request.POST.get("amount", ""),
            credit_note=request.POST.get("credit_note", ""),
            actor=request.user,
        ),
        "{result.reference} credited {result.credited_amount}.",
    )


# --- Goodwill ----------------------------------------------------------------------------------
@goodwill_required
@require_http_methods(["GET", "POST"])
def goodwill(request):
    form = {"token": uuid.uuid4().hex, "as": "credit"}
    error, field, status = "", "", 200
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in ("email", "order", "amount", "reason")}
        form["as"] = "refund" if request.POST.get("as") == "refund" else "credit"
        form["token"] = request.POST.get("token", "")[:80]
        try:
            movement = _goodwill_from_form(request, form)
        except DomainError as exc:
            error, field, status = exc.message, exc.field or "", exc.status
        else:
            messages.success(
                request,
                f"Goodwill {movement.get_kind_display().lower()} of {movement.amount} "
                f"for {movement.customer.email} is on its way (#{movement.pk}).",
            )
            return redirect("resolution:goodwill")
    return render(
        request,
        "resolution/goodwill.html",
        {
            "section": "goodwill",
            "form": form,
            "error": error,
            "error_field": field,
            "recent": selectors.movements_goodwill()[:20],
        },
        status=status,
    )


def _goodwill_from_form(request, form: dict):
    for name in ("email", "order", "reason", "token"):
        if "\x00" in form[name] or len(form[name]) > 2000:
            raise DomainError("That text has characters or a length we cannot keep.", field=name)
    customer = Customer.objects.filter(email__iexact=form["email"]).first()
    if customer is None or not form["email"]:
        raise DomainError("No customer has that email address.", field="email")
    order_id = None
    if form["order"]:
        order = Order.objects.filter(number__iexact=form["order"], customer=customer).first()
        if order is None:
            raise DomainError("That customer has no order with this number.", field="order")
        order_id = order.pk
    return services.goodwill_issue(
        actor=request.user,
        customer_id=customer.pk,
        amount=form["amount"],
        as_credit=form["as"] == "credit",
        reason=form["reason"],
        order_id=order_id,
        idempotency_key=form["token"] or None,
    )


# --- Customers ----------------------------------------------------------------------------
@require_POST
def exchange_fallback(request, return_id: int):
    """The customer says what an out-of-stock exchange becomes (from their status page)."""
    from catalog.identity import viewer_for_request
    from rma.selectors import return_get_for_viewer

    viewer = viewer_for_request(request)
    try:
        rr = return_get_for_viewer(viewer=viewer, return_id=return_id)
        pref = services.exchange_preference_set(
            viewer=viewer, return_id=rr.pk, fallback=request.POST.get("fallback", "")
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "Saved: if the replacement is out of stock you get "
            f"{pref.get_fallback_display().lower()}.",
        )
    return redirect("rma:return_status", reference=rr.reference)
