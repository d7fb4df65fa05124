"""A named lock held in the database, for jobs that must never run twice at once.

It is a row in `sentiment_joblock`, so it works on SQLite and MySQL and across hosts that
share the database. The holder refreshes a heartbeat while it works; a lock whose heartbeat has
stopped (the process was killed, the host died) or whose process is gone from this host is
stale and is taken over, so no lock outlives a crashed run.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.utils import timezone

from sentiment.models import JobLock

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
STALE_AFTER = timedelta(seconds=90)


class LockHeld(Exception):
    def __init__(self, lock: JobLock) -> None:
        self.lock = lock
        since = timezone.localtime(lock.acquired_at).strftime("%Y-%m-%d %H:%M:%S")
        who = f"{lock.held_by}, " if lock.held_by else ""
        super().__init__(
            f"another {lock.name} is running ({who}host {lock.host}, pid {lock.pid}, since {since})"
        )


@dataclass
class HeldLock:
    row: JobLock
    stop: threading.Event


def acquire(name: str, *, held_by: str = "") -> HeldLock:
    """Take the lock `name` or raise LockHeld at once; release it with `release()`.

    `held_by` says for whom (a person, a job), shown to whoever finds the lock taken.
    """
    row = _insert(name, held_by)
    stop = threading.Event()
    threading.Thread(
        target=_heartbeat, args=(row, stop), daemon=True, name=f"{name}-lock-heartbeat"
    ).start()
    return HeldLock(row, stop)


def release(held: HeldLock) -> None:
    held.stop.set()
    drop_broken_connection()
    try:
        JobLock.objects.filter(name=held.row.name, owner=held.row.owner).delete()
    except DatabaseError:
        # Not fatal: without heartbeats the lock goes stale and the next run takes it over.
        log.warning("could not release the %s lock", held.row.name, exc_info=True)


def drop_broken_connection() -> None:
    """Close this thread's connection if a query failed on it and it no longer answers.

    Django checks connections only around web requests: in a command, a connection the
    database dropped would fail every later query, even once the database is back. Never
    inside a transaction, whose connection must not change underneath it.
    """
    if connection.errors_occurred and not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def holder(name: str) -> JobLock | None:
    """Who holds the lock `name` now, if anyone (a stale lock counts as free)."""
    lock = JobLock.objects.filter(name=name).first()
    return None if lock is None or _is_stale(lock) else lock


@contextmanager
def job_lock(name: str, *, held_by: str = "") -> Iterator[JobLock]:
    """Hold the lock `name` for the duration of the block, or raise LockHeld at once."""
    held = acquire(name, held_by=held_by)
    try:
        yield held.row
    finally:
        release(held)


def _insert(name: str, held_by: str) -> JobLock:
    me = JobLock(
        name=name,
        owner=uuid.uuid4().hex,
        host=socket.gethostname(),
        pid=os.getpid(),
        held_by=held_by[:200],
    )
    for _attempt in range(2):
        try:
            with transaction.atomic():
                me.save(force_insert=True)
            return me
        except IntegrityError:
            held = JobLock.objects.filter(name=name).first()
            if held is None:
                continue  # released in between: try again
            if not _is_stale(held):
                raise LockHeld(held) from None
            log.warning("taking over the stale %s lock of %s:%s", name, held.host, held.pid)
            JobLock.objects.filter(name=name, owner=held.owner).delete()
    raise LockHeld(JobLock.objects.get(name=name))


def _is_stale(lock: JobLock) -> bool:
    if timezone.now() - lock.heartbeat_at > STALE_AFTER:
        return True
    if lock.host == socket.gethostname() and lock.pid != os.getpid():
        return not process_alive(lock.pid)
    return False


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _heartbeat(lock: JobLock, stop: threading.Event) -> None:
    try:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                JobLock.objects.filter(name=lock.name, owner=lock.owner).update(
                    heartbeat_at=timezone.now()
                )
            except Exception:  # the database may be away for a while; the next beat retries
                log.warning("could not refresh the %s lock's heartbeat", lock.name, exc_info=True)
    finally:
        connections.close_all()
