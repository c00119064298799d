from celery import shared_task

from rma.notifications import event_notify


@shared_task(
    name="rma.return_event_notify",
    autoretry_for=(ConnectionError, OSError),
    retry_backoff=True,
    max_retries=5,
    # nobody reads the result: storing it, and subscribing to it when enqueueing (the
    # Redis result backend does), would cost every filing Redis round trips
    ignore_result=True,
)
def return_event_notify(event_id: int) -> bool:
    return event_notify(event_id=event_id)
