"""Store credit ledger: issued through money movements, spent with a key, never overdrawn."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from resolution.models import StoreCreditEntry
from resolution.selectors import store_credit_balance
from resolution.services import refund_request, store_credit_adjust, store_credit_spend
from returns_portal.errors import Conflict, DomainError, NotFound, PermissionDenied


def _credit(customer, amount="50.00", key="goodwill:gift"):
    movement = refund_request(
        customer_id=customer.pk, amount=D(amount), kind="goodwill_credit", idempotency_key=key
    )
    from resolution.services import money_movement_execute

    money_movement_execute(movement_id=movement.pk)
    return movement


@pytest.mark.django_db
def test_credit_is_issued_once_and_spent_with_a_key(customer, policy):
    movement = _credit(customer)
    _credit(customer)  # the same cause again: nothing new
    assert store_credit_balance(customer_id=customer.pk) == D("50.00")
    spend = store_credit_spend(customer_id=customer.pk, amount="20.00", idempotency_key="order-1")
    again = store_credit_spend(customer_id=customer.pk, amount="20.00", idempotency_key="order-1")
    assert spend.pk == again.pk and spend.amount == D("-20.00") and spend.kind == "spend"
    assert store_credit_balance(customer_id=customer.pk) == D("30.00")
    assert StoreCreditEntry.objects.get(kind="issue").money_movement == movement
    with pytest.raises(Conflict):  # the key belongs to another spend
        store_credit_spend(customer_id=customer.pk, amount="5.00", idempotency_key="order-1")


@pytest.mark.django_db
def test_a_spend_never_overdraws(customer, policy):
    _credit(customer, amount="10.00")
    with pytest.raises(Conflict, match=r"balance is 10\.00"):
        store_credit_spend(customer_id=customer.pk, amount="10.01", idempotency_key="big")
    store_credit_spend(customer_id=customer.pk, amount="10.00", idempotency_key="all")
    assert store_credit_balance(customer_id=customer.pk) == D("0.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "key"), [("0", "k"), ("-5", "k"), ("x", "k"), ("5", ""), ("5", "k" * 101)]
)
def test_bad_spends_are_refused(customer, amount, key):
    with pytest.raises(DomainError):
        store_credit_spend(customer_id=customer.pk, amount=amount, idempotency_key=key)


@pytest.mark.django_db
def test_unknown_customer(db):
    with pytest.raises(NotFound):
        store_credit_spend(customer_id=999999, amount="1", idempotency_key="k")


@pytest.mark.django_db
def test_staff_adjustments_need_goodwill_permission_and_stay_above_zero(
    customer, policy, manager, grader
):
    with pytest.raises(PermissionDenied):
        store_credit_adjust(customer_id=customer.pk, amount="5", reason="x", actor=grader)
    store_credit_adjust(customer_id=customer.pk, amount="5", reason="Apology", actor=manager)
    with pytest.raises(Conflict):
        store_credit_adjust(customer_id=customer.pk, amount="-6", reason="Fix", actor=manager)
    store_credit_adjust(customer_id=customer.pk, amount="-5", reason="Fix", actor=manager)
    assert store_credit_balance(customer_id=customer.pk) == D("0.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_spends_cannot_both_take_the_last_credit(customer, policy):
    # given 30.00 of credit
    _credit(customer, amount="30.00")
    barrier = threading.Barrier(8)
    results = []

    def spend(i):
        try:
            barrier.wait()
            store_credit_spend(customer_id=customer.pk, amount="20.00", idempotency_key=f"t{i}")
            results.append("ok")
        except Conflict:
            results.append("refused")
        finally:
            connection.close()

    # when eight checkouts spend 20.00 at the same moment
    threads = [threading.Thread(target=spend, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then exactly one succeeds and the balance never goes below zero
    assert sorted(results) == ["ok"] + ["refused"] * 7
    assert store_credit_balance(customer_id=customer.pk) == D("10.00")
