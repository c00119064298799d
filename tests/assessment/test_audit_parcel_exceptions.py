"""Parcel exceptions: logging, matching and closing each write one audit entry with the
grader; a refused match writes none and leaves the parcel and the return as they were."""

import pytest

from assessment.models import ParcelException
from assessment.services import (
    parcel_exception_create,
    parcel_exception_match,
    parcel_exception_unidentified,
)
from audit.models import AuditEntry
from audit.selectors import audit_for
from returns_portal.errors import Conflict, DomainError, IllegalTransition
from tests.factories import warehouse_reason_make, warehouse_return_make

pytestmark = pytest.mark.django_db


def _trail(obj) -> list[tuple]:
    return [
        (e.action, e.actor.username if e.actor else None, e.actor_kind, e.from_state, e.to_state)
        for e in audit_for(obj)
    ]


def _logged(grader, **extra) -> ParcelException:
    return parcel_exception_create(actor=grader, found="One blue boot", **extra)


def test_logging_records_what_was_found(grader):
    parcel = _logged(grader, carrier_tracking="1z 999")
    assert _trail(parcel) == [("logged", "grader", "staff", "", "open")]
    (entry,) = audit_for(parcel)
    assert entry.note == "Logged an unmatched parcel: One blue boot (tracking 1Z999)."
    assert entry.data == {"carrier_tracking": "1Z999", "photos": 0}


def test_a_refused_log_writes_nothing(grader):
    with pytest.raises(DomainError):
        parcel_exception_create(actor=grader, found="   ")
    with pytest.raises(DomainError):
        parcel_exception_create(actor=grader, found="box", label_text="x" * 201)
    assert not AuditEntry.objects.exists() and not ParcelException.objects.exists()


def test_matching_records_the_return_it_was_matched_to(grader, delivered_return):
    parcel = _logged(grader)
    parcel_exception_match(exception_id=parcel.pk, code=delivered_return.rma_number, actor=grader)
    assert _trail(parcel)[-1] == ("matched", "grader", "staff", "open", "matched")
    matched = audit_for(parcel)[-1]
    assert matched.note == f"Matched to {delivered_return.reference} and received."
    assert matched.data == {"return_id": delivered_return.pk}


def test_unidentified_records_why(grader):
    parcel = _logged(grader)
    parcel_exception_unidentified(exception_id=parcel.pk, actor=grader, notes=" No label at all ")
    assert _trail(parcel)[-1] == ("unidentified", "grader", "staff", "open", "unidentified")
    assert audit_for(parcel)[-1].note == "Closed as unidentified: No label at all"
    other = _logged(grader)
    parcel_exception_unidentified(exception_id=other.pk, actor=grader)
    assert audit_for(other)[-1].note == "Closed as unidentified."


def test_a_closed_parcel_cannot_change_and_writes_nothing(grader, delivered_return):
    parcel = _logged(grader)
    parcel_exception_unidentified(exception_id=parcel.pk, actor=grader)
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict):
        parcel_exception_match(
            exception_id=parcel.pk, code=delivered_return.rma_number, actor=grader
        )
    with pytest.raises(Conflict):
        parcel_exception_unidentified(exception_id=parcel.pk, actor=grader)
    assert AuditEntry.objects.count() == before


def test_a_match_to_a_return_that_cannot_be_received_leaves_nothing_half_written(
    grader, order, grades, policy
):
    requested = warehouse_return_make(
        order=order, status="requested", reason=warehouse_reason_make()
    )
    parcel = _logged(grader)
    with pytest.raises(IllegalTransition):
        parcel_exception_match(exception_id=parcel.pk, code=requested.rma_number, actor=grader)
    parcel.refresh_from_db()
    requested.refresh_from_db()
    assert (parcel.status, parcel.return_request_id) == ("open", None)
    assert requested.status == "requested"
    assert [e.action for e in audit_for(parcel)] == ["logged"]


def test_a_failed_audit_write_undoes_the_match_and_the_receipt(
    grader, delivered_return, monkeypatch
):
    from assessment import services

    parcel = _logged(grader)

    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        parcel_exception_match(
            exception_id=parcel.pk, code=delivered_return.rma_number, actor=grader
        )
    parcel.refresh_from_db()
    delivered_return.refresh_from_db()
    assert parcel.status == "open" and delivered_return.status == "delivered"
    assert not delivered_return.events.filter(kind="parcel_exception").exists()


# --- Pages ------------------------------------------------------------------------------------
def test_the_exception_page_shows_its_history(client, grader, delivered_return):
    client.force_login(grader)
    client.post("/warehouse/exceptions/", {"found": "A toaster", "carrier_tracking": "1Z55"})
    parcel = ParcelException.objects.get()
    client.post(f"/warehouse/exceptions/{parcel.pk}/unidentified/", {"notes": "No clue"})
    page = client.get(f"/warehouse/exceptions/{parcel.pk}/").content.decode()
    assert "History (2)" in page
    assert "Logged an unmatched parcel: A toaster (tracking 1Z55)." in page
    assert "Closed as unidentified: No clue" in page
    assert page.count("grader") >= 2


def test_customers_cannot_reach_the_exception_pages(client, customer, grader):
    parcel = _logged(grader)
    url = f"/warehouse/exceptions/{parcel.pk}/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(customer.user)
    assert client.get(url).status_code == 403
    assert client.get("/warehouse/exceptions/").status_code == 403
    assert client.post(f"{url}unidentified/", {"notes": "x"}).status_code == 403
    assert [e.action for e in audit_for(parcel)] == ["logged"]


def test_too_long_notes_are_an_error_on_the_notes(grader):
    with pytest.raises(DomainError) as caught:
        parcel_exception_create(actor=grader, found="One blue boot", notes="n" * 2001)
    assert caught.value.field == "notes"
