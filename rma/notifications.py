"""Customer emails for return events (plain text + HTML).

One email per status the customer can see. The first decision after a request (approved,
declined or pending review) doubles as the "we received your request" email, so a customer
whose return is decided on the spot gets one message, not two in the same second.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from rma.models import ReturnEvent, ReturnRequest
from rma.policy import format_money
from rma.states import LabelPayer, ReturnStatus

S = ReturnStatus
DECISIONS = frozenset({S.APPROVED, S.DECLINED, S.PENDING_REVIEW})


def _status_url(rr: ReturnRequest) -> str:
    """Absolute link to the return's status page; empty when PORTAL_URL is not configured."""
    base = getattr(settings, "PORTAL_URL", "").rstrip("/")
    if not base:
        return ""
    try:
        return base + reverse("rma:return_status", args=[rr.reference])
    except NoReverseMatch:
        return ""


def _money(rr: ReturnRequest, amount) -> str:
    return format_money(amount, rr.order.currency)


def next_steps(rr: ReturnRequest, to_status: str) -> list[str]:
    """What the customer should do (or expect) now, in plain words."""
    if to_status == S.APPROVED:
        if rr.refund_without_return:
            return [
                "No need to send it back: keep, donate or recycle the item.",
                f"Your {_money(rr, rr.expected_refund)} is on its way.",
            ]
        if rr.label_payer == LabelPayer.OWN_CARRIER:
            policy = rr.policy
            limit = _money(rr, policy.own_carrier_reimbursement_limit) if policy else ""
            return [
                "Send the parcel with a carrier of your choice to the address on the return page.",
                "Enter the tracking number on the return page"
                + (f"; we reimburse postage up to {limit}." if limit else "."),
                f"Write {rr.reference} on the parcel.",
            ]
        steps = [
            "Print your label from the return page (or show the QR code at a drop-off point).",
            f"Pack the items, write {rr.reference} on the parcel and hand it to the carrier.",
        ]
        if rr.label_payer == LabelPayer.CUSTOMER and rr.label_fee:
            steps.append(f"The label costs {_money(rr, rr.label_fee)}, taken off your refund.")
        return steps
    return {
        S.PENDING_REVIEW: [
            "Our team will check your request and email you the decision, "
            "usually within 2 business days."
        ],
        S.DECLINED: ["If you think we got this wrong, reply to this email and we will look again."],
        S.LABEL_ISSUED: ["Your label is ready: print it from the return page."],
        S.IN_TRANSIT: ["Your parcel is on its way to us. Nothing to do for now."],
        S.DELIVERED: ["Your parcel has reached us; we will check the items next."],
        S.RECEIVED: ["We have your items and will check them shortly."],
        S.GRADED: [
            "We have checked your items; your "
            f"{rr.get_preferred_outcome_display().lower()} comes next."
        ],
        S.RESOLVED: ["All done on our side. Thank you for your patience."],
        S.CLOSED: ["This return is closed."],
        S.CANCELLED: [
            "Your return is cancelled. If you still want to return something, start a new return."
        ],
    }.get(to_status, [])


def rule_messages(rr: ReturnRequest) -> list[str]:
    """The policy's reasons, in the customer's words (failed rules first)."""
    rules = rr.decision_rules or []
    ordered = sorted(rules, key=lambda r: bool(r.get("passed")))
    return [
        f"{r['subject']}: {r['message']}" if r.get("subject") else r.get("message", "")
        for r in ordered
    ]


def event_notify(*, event_id: int) -> bool:
    """Email the customer about one event they can see. Returns whether a mail was sent."""
    event = (
        ReturnEvent.objects.select_related(
            "return_request__customer", "return_request__order", "return_request__policy"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None or not event.visible_to_customer:
        return False
    rr = event.return_request
    if not rr.customer.email:
        return False
    is_decision = event.kind == "status" and event.to_status in DECISIONS
    context = {
        "event": event,
        "return": rr,
        "customer": rr.customer,
        "portal": settings.PORTAL_NAME,
        "is_submission": event.from_status == S.REQUESTED,
        "is_decision": is_decision,
        # The policy's reasons explain automatic decisions; a person's decision has its own.
        "rules": rule_messages(rr)
        if is_decision and event.actor_kind == ReturnEvent.ActorKind.SYSTEM
        else [],
        "next_steps": next_steps(rr, event.to_status) if event.kind == "status" else [],
        "status_url": _status_url(rr),
        "expected_refund": _money(rr, rr.expected_refund),
    }
    subject = render_to_string("rma/email/event_subject.txt", context).strip()
    text = render_to_string("rma/email/event.txt", context)
    html = render_to_string("rma/email/event.html", context)
    mail = EmailMultiAlternatives(
        " ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, [rr.customer.email]
    )
    mail.attach_alternative(html, "text/html")
    mail.send()
    return True
