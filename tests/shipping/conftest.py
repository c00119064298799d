import pytest

from rma.shipping.services import shipment_plan_for_return
from tests.factories import DestinationFactory, ReturnPolicyFactory, shipping_return_make


@pytest.fixture
def warehouse(db):
    return DestinationFactory(code="main", name="Main warehouse", is_default=True)


@pytest.fixture
def policy(db):
    return ReturnPolicyFactory()


@pytest.fixture
def approved_return(order, warehouse, policy):
    """Alice's approved, merchant-paid return with its shipment planned."""
    rr = shipping_return_make(order=order, label_payer="merchant")
    shipment_plan_for_return(return_id=rr.pk)
    return rr


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client
