"""Resolution tasks: thin, idempotent, keyed by id (see services/movements.py)."""

import datetime as dt

from celery import shared_task

from resolution.conf import setting
from resolution.gateways import GatewayError


@shared_task(
    name="resolution.tasks.money_movement_execute",
    acks_late=True,  # a worker killed mid-refund leaves the message to be redelivered
    reject_on_worker_lost=True,
    autoretry_for=(GatewayError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=int(setting("REFUND_TASK_MAX_RETRIES")),
)
def money_movement_execute(movement_id: int) -> str | None:
    from resolution.services.movements import money_movement_execute as execute

    movement = execute(movement_id=movement_id)
    return movement.status if movement is not None else None


@shared_task(
    name="resolution.tasks.money_movements_execute",
    acks_late=True,  # killed mid-batch: redelivered; paid ones are skipped, the one in flight
    reject_on_worker_lost=True,  # replays its idempotency key at the gateway
)
def money_movements_execute(movement_ids: list[int]) -> dict[str, int]:
    """Pay the movements one transaction requested (see `money_movements_pay`)."""
    from resolution.services.movements import money_movements_pay

    return money_movements_pay(movement_ids=[int(i) for i in movement_ids])


@shared_task(name="resolution.tasks.refunds_sweep")
def refunds_sweep(older_than_minutes: float | None = None) -> int:
    """Beat, every 5 minutes: re-enqueue movements stuck in pending."""
    from resolution.services.movements import movements_sweep

    minutes = (
        setting("REFUND_SWEEP_AFTER_MINUTES") if older_than_minutes is None else older_than_minutes
    )
    return len(movements_sweep(older_than=dt.timedelta(minutes=float(minutes))))
