"""Two customers' tabs claim the last unit of a line at the same moment: one wins."""

import threading

import pytest
from django.db import connection

from returns_portal.errors import DomainError
from rma.models import ReturnLine
from rma.services import ReturnItemInput, return_create
from tests.factories import OrderFactory, OrderLineFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_for_the_last_unit_only_one_succeeds(customer, alice, reasons, policy):
    rounds = 5
    for _ in range(rounds):
        # given an order line with one unit left
        order = OrderFactory(customer=customer)
        line = OrderLineFactory(order=order, quantity=1)
        barrier = threading.Barrier(2)
        outcomes = []

        def claim(order=order, line=line, barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait(timeout=10)
                rr = return_create(
                    viewer=alice,
                    order_id=order.pk,
                    items=[ReturnItemInput(line.pk, 1, "changed-mind")],
                )
                outcomes.append(("ok", rr.pk))
            except DomainError as exc:
                outcomes.append(("refused", exc.field))
            finally:
                connection.close()  # each thread had its own connection

        # when two threads, each with its own connection, claim it at once
        threads = [threading.Thread(target=claim) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        # then exactly one succeeds and the other is told the item is already returned
        assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
        assert ("refused", "items[0].quantity") in outcomes
        assert ReturnLine.objects.filter(order_line=line).count() == 1
