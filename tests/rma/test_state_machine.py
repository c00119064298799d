"""The status table is the law: every allowed move works, every other one is refused."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from returns_portal.errors import IllegalTransition
from rma.models import ReturnEvent, ReturnRequest
from rma.states import TRANSITIONS, ReturnStatus, can_move
from rma.transitions import return_transition
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
STATUSES = list(ReturnStatus.values)


def _return_in(status: str) -> ReturnRequest:
    order = OrderFactory()
    OrderLineFactory(order=order)
    return ReturnRequest.objects.create(order=order, customer=order.customer, status=status)


def test_the_table_covers_every_status_and_terminal_ones_go_nowhere():
    assert set(TRANSITIONS) == set(STATUSES)
    assert all(set(targets) <= set(STATUSES) for targets in TRANSITIONS.values())
    assert {s for s, targets in TRANSITIONS.items() if not targets} == {
        "declined",
        "closed",
        "cancelled",
    }


@pytest.mark.parametrize("from_status", STATUSES)
def test_every_pair_is_allowed_exactly_when_the_table_says(from_status, manager):
    for to_status in STATUSES:
        rr = _return_in(from_status)
        allowed = to_status in TRANSITIONS[from_status]
        if allowed:
            moved = return_transition(
                return_id=rr.pk,
                to_status=to_status,
                actor=manager,
                actor_kind="staff",
                message="why",
            )
            assert moved.status == to_status
            (event,) = rr.events.all()
            assert (
                event.from_status,
                event.to_status,
                event.actor,
                event.actor_kind,
                event.message,
            ) == (from_status, to_status, manager, "staff", "why")
        else:
            with pytest.raises(IllegalTransition) as err:
                return_transition(return_id=rr.pk, to_status=to_status, actor=manager)
            assert err.value.details == {"from": from_status, "to": to_status}
            assert err.value.status == 409
            rr.refresh_from_db()
            assert rr.status == from_status and not rr.events.exists()


def test_expected_from_narrows_the_table():
    rr = _return_in("in_transit")
    with pytest.raises(IllegalTransition):
        return_transition(
            return_id=rr.pk, to_status="received", expected_from=frozenset({"approved"})
        )
    assert return_transition(return_id=rr.pk, to_status="received").status == "received"


class ReturnWalk(RuleBasedStateMachine):
    """Random moves from `requested`: the return never leaves the table, one event per move."""

    def __init__(self):
        super().__init__()
        self.rr = _return_in(ReturnStatus.REQUESTED)
        self.status = ReturnStatus.REQUESTED
        self.moves = 0

    @rule(to_status=st.sampled_from(STATUSES))
    def move(self, to_status):
        if can_move(self.status, to_status):
            return_transition(return_id=self.rr.pk, to_status=to_status)
            self.status = to_status
            self.moves += 1
        else:
            with pytest.raises(IllegalTransition):
                return_transition(return_id=self.rr.pk, to_status=to_status)

    @invariant()
    def stored_status_and_events_follow_the_walk(self):
        stored = ReturnRequest.objects.values_list("status", flat=True).get(pk=self.rr.pk)
        assert stored == self.status
        chain = list(
            ReturnEvent.objects.filter(return_request_id=self.rr.pk)
            .order_by("id")
            .values_list("from_status", "to_status")
        )
        assert len(chain) == self.moves
        previous = ReturnStatus.REQUESTED
        for from_status, to_status in chain:
            assert from_status == previous and can_move(from_status, to_status)
            previous = to_status


def test_random_walks_stay_inside_the_table(db):
    run_state_machine_as_test(
        ReturnWalk,
        settings=settings(
            max_examples=40,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
