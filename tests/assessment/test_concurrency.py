"""Two graders, one item, the same moment: two real PostgreSQL connections (threads)."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import F

from assessment.models import Grade, Inspection
from assessment.services import inspection_save, parcel_receive
from returns_portal.errors import Conflict

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_thread(fn, results, key):
    def run():
        try:
            results[key] = ("ok", fn())
        except Exception as exc:  # the test inspects what each side got
            results[key] = ("error", exc)
        finally:
            connection.close()  # each thread has its own connection

    return threading.Thread(target=run)


def test_simultaneous_saves_one_wins_the_other_gets_a_409(delivered_return, grader, grader2):
    # given a received return and both graders on the same item, both holding version 0
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).order_by("pk").first()
    barrier = threading.Barrier(2)
    results: dict = {}

    def save(actor, code):
        def go():
            barrier.wait()
            return inspection_save(
                actor=actor,
                inspection_id=inspection.pk,
                expected_version=0,
                grade_code=code,
                minutes_spent="5",
            )

        return go

    threads = [
        _in_thread(save(grader, "A"), results, "grader"),
        _in_thread(save(grader2, "B"), results, "grader2"),
    ]
    # when both tap "Save" at once
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # then exactly one save landed and the other was told who won, with the winner's grade
    outcomes = sorted(kind for kind, _ in results.values())
    assert outcomes == ["error", "ok"], results
    winner = next(k for k, (kind, _) in results.items() if kind == "ok")
    loser_error = next(v for kind, v in results.values() if kind == "error")
    winning_grade = "A" if winner == "grader" else "B"
    assert isinstance(loser_error, Conflict)
    assert loser_error.message == (
        f"Graded {winning_grade} by {winner} a moment ago — your change was not saved."
    )
    inspection.refresh_from_db()
    assert (inspection.grade.code, inspection.inspector.username) == (winning_grade, winner)
    assert inspection.version == 1


def test_compare_and_swap_refuses_a_write_that_lost_the_row_race(delivered_return, grader, grader2):
    """The loser read version 0 *before* the winner committed: its UPDATE … WHERE version = 0
    waits on the winner's row lock, then matches no row, so nothing is overwritten."""
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).order_by("pk").first()
    grade_b = Grade.objects.get(code="B")
    winner_updated = threading.Event()
    release_winner = threading.Event()
    results: dict = {}

    def winner():
        # grader2's save, caught between its UPDATE and its COMMIT
        with transaction.atomic():
            Inspection.objects.filter(pk=inspection.pk, version=0).update(
                grade=grade_b, inspector=grader2, version=F("version") + 1
            )
            winner_updated.set()
            release_winner.wait(10)

    def loser():
        winner_updated.wait(10)
        return inspection_save(
            actor=grader, inspection_id=inspection.pk, expected_version=0, grade_code="D"
        )

    threads = [_in_thread(winner, results, "winner"), _in_thread(loser, results, "loser")]
    for t in threads:
        t.start()
    winner_updated.wait(10)
    time.sleep(0.5)  # the loser is now blocked on the row lock inside its UPDATE
    assert threads[1].is_alive()
    release_winner.set()
    for t in threads:
        t.join(30)
    kind, error = results["loser"]
    assert kind == "error" and isinstance(error, Conflict), results
    assert error.message.startswith("Graded B by grader2")
    inspection.refresh_from_db()
    assert (inspection.grade.code, inspection.version) == ("B", 1)
    # the refused save left no trace: no labour cost, no audit event for it
    assert not delivered_return.events.filter(kind="inspection").exists()


def test_two_graders_on_different_items_both_save(delivered_return, grader, grader2):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    first, second = Inspection.objects.filter(return_request=delivered_return).order_by("pk")
    barrier = threading.Barrier(2)
    results: dict = {}

    def save(actor, inspection_id):
        def go():
            barrier.wait()
            return inspection_save(
                actor=actor, inspection_id=inspection_id, expected_version=0, grade_code="A"
            )

        return go

    threads = [
        _in_thread(save(grader, first.pk), results, "one"),
        _in_thread(save(grader2, second.pk), results, "two"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [results[k][0] for k in ("one", "two")] == ["ok", "ok"], results
    assert Inspection.objects.filter(grade__code="A", version=1).count() == 2


def test_two_parcels_matched_to_one_return_at_once_are_both_matched(
    delivered_return, grader, grader2
):
    # given two unlabelled parcels that both belong to one delivered return (a split shipment)
    from assessment.models import ParcelException
    from assessment.services import parcel_exception_create, parcel_exception_match

    parcels = [
        parcel_exception_create(actor=grader, found=f"Box {n} of 2, no label") for n in (1, 2)
    ]
    barrier = threading.Barrier(2)
    results: dict = {}

    def match(actor, parcel):
        def go():
            barrier.wait()
            return parcel_exception_match(
                exception_id=parcel.pk, code=delivered_return.rma_number, actor=actor
            )

        return go

    threads = [
        _in_thread(match(grader, parcels[0]), results, "one"),
        _in_thread(match(grader2, parcels[1]), results, "two"),
    ]
    # when two staff match them at the same moment
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # then both are matched, and the return was received exactly once
    assert [results[k][0] for k in ("one", "two")] == ["ok", "ok"], results
    statuses = ParcelException.objects.filter(pk__in=[p.pk for p in parcels])
    assert set(statuses.values_list("status", flat=True)) == {"matched"}
    delivered_return.refresh_from_db()
    assert delivered_return.status == "received"
    assert delivered_return.events.filter(to_status="received").count() == 1
