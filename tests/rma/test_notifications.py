"""Customer emails: one on submission/decision (with the reasons), one per later status."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from rma.events import event_record
from rma.notifications import event_notify
from rma.services import ReturnItemInput, return_approve, return_cancel, return_create
from rma.transitions import return_transition
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the eager email task) of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def create(viewer, order, *, price=None, days=10, reason="changed-mind"):
    line = OrderLineFactory(
        order=order,
        delivered_at=timezone.now() - dt.timedelta(days=days),
        **({"unit_price": Decimal(price)} if price else {}),
    )
    return return_create(
        viewer=viewer, order_id=order.pk, items=[ReturnItemInput(line.pk, 1, reason)]
    )


def bodies(mail):
    html = {ctype: body for body, ctype in mail.alternatives}["text/html"]
    return mail.body, html


def test_auto_approval_is_one_email_with_rma_number_reasons_and_label_steps(
    customer, alice, reasons, policy, commit, mailoutbox
):
    with commit():
        rr = create(alice, OrderFactory(customer=customer))
    (mail,) = mailoutbox
    assert mail.to == ["alice@example.com"]
    assert mail.subject == f"Returns Portal: we received your return {rr.rma_number} — approved"
    text, html = bodies(mail)
    for body in (text, html):
        assert rr.rma_number in body
        assert "Inside the 30-day window: delivered 10 days ago" in body
        assert "Print your label from the return page" in body
        assert "$29.05" in body
        assert "Return label $6.95, taken off your refund." in body
    assert "<li>" in html and "Hello Alice Example" in text


def test_refund_without_return_says_no_need_to_send_it_back(
    customer, alice, reasons, policy, commit, mailoutbox
):
    with commit():
        create(alice, OrderFactory(customer=customer), price="8.00")
    text, html = bodies(mailoutbox[0])
    assert "No need to send it back" in text and "No need to send it back" in html
    assert "Print your label" not in text


def test_decline_email_lists_the_failed_rule(customer, alice, reasons, policy, commit, mailoutbox):
    with commit():
        rr = create(alice, OrderFactory(customer=customer), days=41)
    (mail,) = mailoutbox
    assert mail.subject.endswith(f"{rr.reference} — declined")
    assert "Outside the 30-day window: delivered 41 days ago" in mail.body
    assert "we cannot accept this return" in mail.body


def test_review_then_staff_approval_sends_two_emails(
    customer, alice, manager, reasons, policy, commit, mailoutbox
):
    with commit():
        rr = create(alice, OrderFactory(customer=customer), price="700.00")
    with commit():
        rr = return_approve(return_id=rr.pk, actor=manager, reason="Checked the serial number")
    first, second = mailoutbox
    assert first.subject.endswith("— pending review")
    assert "quick check by our team" in first.body
    assert "above the $500.00 automatic approval limit" in first.body
    assert second.subject == f"Returns Portal: return {rr.rma_number} — approved"
    assert "Approved by our team: Checked the serial number" in second.body
    assert rr.rma_number in second.body


def test_each_later_status_and_cancellation_emails_the_customer(
    customer, alice, reasons, policy, commit, mailoutbox
):
    rr = create(alice, OrderFactory(customer=customer))
    with commit():
        return_transition(return_id=rr.pk, to_status="label_issued")
    with commit():
        return_cancel(viewer=alice, return_id=rr.pk, reason="Kept it after all")
    label, cancelled = mailoutbox
    assert label.subject.endswith("— label issued")
    assert "print it from the return page" in label.body
    assert cancelled.subject.endswith("— cancelled")
    assert "Kept it after all" in cancelled.body


def test_internal_events_are_not_emailed(customer, alice, reasons, policy, mailoutbox):
    rr = create(alice, OrderFactory(customer=customer))
    note = event_record(
        return_request=rr, kind="note", message="fraud check", visible_to_customer=False
    )
    assert event_notify(event_id=note.pk) is False
    assert event_notify(event_id=999_999) is False
    assert mailoutbox == []


def test_staff_decision_email_gives_the_staff_reason_not_the_rule_list(
    customer, alice, manager, reasons, policy, commit, mailoutbox
):
    rr = create(alice, OrderFactory(customer=customer), price="700.00")
    with commit():
        return_approve(return_id=rr.pk, actor=manager, reason="Checked the serial number")
    (mail,) = mailoutbox
    assert "Checked the serial number" in mail.body
    assert "automatic approval limit" not in mail.body


def test_email_links_to_the_status_page_when_the_portal_url_is_set(
    customer, alice, reasons, policy, commit, mailoutbox, settings
):
    settings.PORTAL_URL = "https://returns.example.com/"
    with commit():
        rr = create(alice, OrderFactory(customer=customer))
    text, html = bodies(mailoutbox[0])
    link = f"https://returns.example.com/returns/{rr.rma_number}/"
    assert f"Follow your return: {link}" in text
    assert f'href="{link}"' in html
