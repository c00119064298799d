import pytest

from returns_portal.celery import ping
from tests.worker import celery_worker

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_and_returns_its_result():
    # given a worker process consuming from Redis
    with celery_worker() as (queue, proc):
        # when a task is sent through the broker
        result = ping.apply_async(args=["hello"], queue=queue)
        # then the worker's answer comes back through the result backend
        assert result.get(timeout=20) == "pong:hello"
        assert proc.poll() is None
