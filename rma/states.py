"""Return statuses and the only moves allowed between them."""

from django.db import models


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    PENDING_REVIEW = "pending_review", "Pending review"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    LABEL_ISSUED = "label_issued", "Label issued"
    IN_TRANSIT = "in_transit", "In transit"
    DELIVERED = "delivered", "Delivered to destination"
    RECEIVED = "received", "Received"
    GRADED = "graded", "Graded"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


S = ReturnStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.PENDING_REVIEW, S.APPROVED, S.DECLINED, S.CANCELLED}),
    S.PENDING_REVIEW: frozenset({S.APPROVED, S.DECLINED, S.CANCELLED}),
    # approved → resolved: refund without return; → in_transit: customer's own carrier;
    # → received: a parcel that arrived with no scans (walk-in, lost tracking).
    S.APPROVED: frozenset({S.LABEL_ISSUED, S.IN_TRANSIT, S.RECEIVED, S.RESOLVED, S.CANCELLED}),
    S.LABEL_ISSUED: frozenset({S.IN_TRANSIT, S.DELIVERED, S.RECEIVED, S.CANCELLED}),
    S.IN_TRANSIT: frozenset({S.DELIVERED, S.RECEIVED}),
    S.DELIVERED: frozenset({S.RECEIVED}),
    S.RECEIVED: frozenset({S.GRADED}),
    S.GRADED: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED}),
    S.DECLINED: frozenset(),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# A customer may cancel until the parcel is handed to a carrier.
CUSTOMER_CANCELLABLE = frozenset({S.REQUESTED, S.PENDING_REVIEW, S.APPROVED, S.LABEL_ISSUED})
# Returns that still hold quantity against their order lines.
OPEN_OR_DONE = frozenset(set(S.values) - {S.DECLINED, S.CANCELLED})
TERMINAL = frozenset({S.DECLINED, S.CLOSED, S.CANCELLED})


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


class ReturnKind(models.TextChoices):
    STANDARD = "standard", "Return"
    EXCHANGE = "exchange", "Exchange"
    WARRANTY = "warranty", "Warranty claim"
    RECALL = "recall", "Recall"
    FAILED_DELIVERY = "failed_delivery", "Failed delivery"
    RETAILER_STOCK = "retailer_stock", "Unsold retailer stock"
    END_OF_LIFE = "end_of_life", "End-of-life recycling"


class Outcome(models.TextChoices):
    REFUND = "refund", "Refund to original payment"
    EXCHANGE = "exchange", "Exchange"
    STORE_CREDIT = "store_credit", "Store credit"
    REPAIR = "repair", "Repair (warranty)"
    REPLACE = "replace", "Replacement (warranty)"


class LabelPayer(models.TextChoices):
    MERCHANT = "merchant", "Prepaid by the merchant"
    CUSTOMER = "customer", "Paid by the customer (deducted from the refund)"
    OWN_CARRIER = "own_carrier", "Customer ships with their own carrier (reimbursed)"
    NONE = "none", "No shipping needed"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    DECLINE = "decline", "Decline"
    REVIEW = "review", "Manual review"
