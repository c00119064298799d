from celery import shared_task


@shared_task(name="rma.shipping.label_batch_run", acks_late=True)
def label_batch_run(batch_id: int) -> int:
    # resumable: the service skips the returns counted already, and label_create is idempotent
    from rma.shipping.services import label_batch_run as run

    return run(batch_id=batch_id).done
