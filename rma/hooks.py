"""Where a return's life crosses into another app.

Each hook is called inside the transaction that made the change, by the one service that
made it, so the follow-up work commits (or rolls back) with it. Slow work (labels, refunds,
emails) is enqueued by the callee with `transaction.on_commit`.
"""


def return_approved(*, return_request, lines=None, new_return: bool = False) -> None:
    """Approved (automatically or by staff): route it, or resolve it without a parcel.

    `return_request` is the approved return as just saved; `lines` its lines with their
    order lines, products, suppliers and reasons when the caller has them (else read);
    `new_return` when the caller's transaction inserted it."""
    if return_request.refund_without_return:
        from resolution.services import returnless_resolve
        from rma.events import events_flush

        events_flush()  # resolving reads the return's log back
        returnless_resolve(return_id=return_request.pk)
    else:
        from rma.shipping.services import shipment_plan_for_return

        shipment_plan_for_return(
            return_id=return_request.pk,
            return_request=return_request,
            lines=lines,
            new_return=new_return,
        )


def return_first_scan(*, return_id: int) -> None:
    """The carrier scanned the parcel for the first time (trusted customers may be refunded)."""
    from resolution.services import refund_trigger_reached

    refund_trigger_reached(return_id=return_id, trigger="first_scan")


def return_received(*, return_id: int) -> None:
    from resolution.services import refund_trigger_reached

    refund_trigger_reached(return_id=return_id, trigger="received")


def return_graded(*, return_id: int) -> None:
    """Every line is graded: choose dispositions and apply the customer outcome."""
    from resolution.services import return_resolve

    return_resolve(return_id=return_id)


def return_cancelled(*, return_id: int) -> None:
    """Cancelled before dispatch: void any label the carrier issued so it is not billed."""
    from rma.shipping.services import shipments_void_for_return

    shipments_void_for_return(return_id=return_id)
