"""Customer emails for return events (plain text + HTML)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from rma.models import ReturnEvent


def event_notify(*, event_id: int) -> bool:
    """Email the customer about one event they can see. Returns whether a mail was sent."""
    event = (
        ReturnEvent.objects.select_related("return_request__customer", "return_request__order")
        .filter(pk=event_id)
        .first()
    )
    if event is None or not event.visible_to_customer:
        return False
    rr = event.return_request
    context = {
        "event": event,
        "return": rr,
        "customer": rr.customer,
        "portal": settings.PORTAL_NAME,
    }
    subject = render_to_string("rma/email/event_subject.txt", context).strip()
    text = render_to_string("rma/email/event.txt", context)
    html = render_to_string("rma/email/event.html", context)
    mail = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [rr.customer.email])
    mail.attach_alternative(html, "text/html")
    mail.send()
    return True
