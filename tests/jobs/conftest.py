"""A real Celery worker against a real broker (Redis, RabbitMQ), on the test database."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, require
from tests.servers import stop

BROKERS = {
    "redis": ("redis://127.0.0.1:6379/15", 6379),
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", 5672),
}


def reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    broker: str
    queue: str

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def celery_worker(env: dict[str, str], log: Path, broker: str, queue: str) -> Iterator[Worker]:
    """`celery -A socialmetrics worker` on `queue`, as production runs it; stopped on exit."""
    env = {
        **env,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_LOG_FORMAT": "plain",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "socialmetrics", "worker", "-l", "info"]
    command += ["--without-gossip", "--without-mingle", "-n", f"{queue}@%h"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    worker = Worker(process, log, broker, queue)
    try:
        deadline = time.monotonic() + 180  # a loaded CI machine starts slowly
        while " ready." not in worker.log_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{worker.log_text()}")
            time.sleep(0.2)
        yield worker
    finally:
        stop(process, timeout=20)


@pytest.fixture(params=sorted(BROKERS))
def broker(request, settings) -> str:
    """Each broker in turn; the test process submits to it on a queue of its own."""
    url, port = BROKERS[request.param]
    require(reachable(port), f"{request.param} is not running on 127.0.0.1:{port}")
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_DEFAULT_QUEUE = f"socialmetrics-test-{uuid.uuid4().hex[:10]}"
    return url


@pytest.fixture
def redis_broker(settings) -> str:
    url, port = BROKERS["redis"]
    require(reachable(port), f"Redis is not running on 127.0.0.1:{port}")
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_DEFAULT_QUEUE = f"socialmetrics-test-{uuid.uuid4().hex[:10]}"
    return url


@pytest.fixture
def worker_for(subprocess_env, settings, tmp_path):
    """worker_for(broker_url) -> a running worker on the test's queue and database."""

    @contextmanager
    def start(url: str) -> Iterator[Worker]:
        with celery_worker(
            subprocess_env, tmp_path / "worker.log", url, settings.CELERY_TASK_DEFAULT_QUEUE
        ) as worker:
            yield worker

    return start


def wait_for_job(job_id, *, until=("succeeded", "failed"), timeout: float = 180, worker=None):
    from sentiment.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.state in until:
            return job
        time.sleep(0.3)
    log = worker.log_text() if worker else ""
    raise AssertionError(f"job {job_id} is still {job.state} ({job.stage}):\n{log}")


@pytest.fixture
def active_model_committed(transactional_db, trained_artifacts, isolated_model_dir):
    """An active model version a worker in a subprocess sees."""
    from tests.conftest import install_version

    return install_version(trained_artifacts, isolated_model_dir)
