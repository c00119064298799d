from celery import shared_task

from rma.notifications import event_notify


@shared_task(
    name="rma.return_event_notify",
    autoretry_for=(ConnectionError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def return_event_notify(event_id: int) -> bool:
    return event_notify(event_id=event_id)
