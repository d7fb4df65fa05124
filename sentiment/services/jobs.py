"""Jobs: long work queued on Celery and run by a worker, followed by the admin and the API.

Every job is a row (models.Job) written here alone. Submitting creates the row and sends one
message to the broker; the worker's task (sentiment/tasks.py) calls `run`, which claims the
row, does the work through the same services as the commands, and records progress, the
result or the one-line reason it failed.

- Broker down: submitting raises JobNotQueued (the API answers 503, the admin says so) and the
  row is marked failed, so nothing waits for a message that was never sent.
- No worker: the job stays queued; `waiting_note` says so on its page.
- Worker killed mid-job: the row names the process and refreshes a heartbeat; a running job
  whose process is gone (same host) or whose heartbeat stopped (any host) is failed with that
  reason by `fail_interrupted` (called by every page and API read and by each worker at
  start). Outputs are written to a temporary name and renamed, so nothing half-written is
  left; the model lock goes stale the same way and is taken over.
- Uploads and results are deleted JOBS_KEEP_HOURS after their job finished.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, connections
from django.utils import timezone

from sentiment.ml.artifacts import ArtifactError
from sentiment.models import Job, ModelVersion, TrainingRun
from sentiment.services import filescoring, locks, training, versions
from sentiment.services.progress import Progress
from sentiment.tweetfiles import Rejection, detect_format

log = logging.getLogger(__name__)

TASK_NAME = "sentiment.run_job"
HEARTBEAT_SECONDS = 10.0
STALE_AFTER = timedelta(seconds=60)
# A queued job nobody took after this long probably has no worker to go to.
WAITING_NOTE_AFTER = timedelta(seconds=10)
# Row updates for progress at most this often, so that progress costs no real time.
PROGRESS_EVERY_SECONDS = 0.5
SHOWN_ERRORS = 50
MODEL_JOBS = (Job.Kind.RETRAIN, Job.Kind.ACTIVATE)


class JobError(Exception):
    """A job that cannot be submitted or read; the message is one line saying why."""


class JobNotQueued(JobError):
    """The broker could not be reached: the job was not queued."""


class ModelBusy(JobError):
    """A retrain or an activation is running or waiting: the message says whose, since when."""


# --- submitting ----------------------------------------------------------------------------


def submit_retrain(user: User, *, force: bool = False) -> Job:
    """Queue the same retrain the command runs, recorded as started from the admin by `user`."""
    _refuse_if_model_busy()
    return _submit(Job(kind=Job.Kind.RETRAIN, user=user, params={"force": force}))


def submit_activation(version_id: int, user: User | None, reason: str = "") -> Job:
    """Queue the activation of a version and the rescoring of the unlabelled tweets."""
    _check_version(version_id)
    _refuse_if_model_busy()
    params = {"version": version_id, "reason": reason}
    return _submit(Job(kind=Job.Kind.ACTIVATE, user=user, params=params))


def activate_here(version_id: int, *, reason: str = "") -> Job:
    """Run an activation job in this process (`activate_model`: no worker needed for a
    rollback); it is recorded like any other job. Returns the finished job."""
    _check_version(version_id)
    job = Job.objects.create(
        kind=Job.Kind.ACTIVATE, params={"version": version_id, "reason": reason}
    )
    run(str(job.pk))
    return Job.objects.get(pk=job.pk)


def submit_scoring(
    stream: BinaryIO, name: str, user: User | None, *, skip_invalid: bool = False
) -> Job:
    """Store an uploaded tweet file and queue its scoring; raises TweetFileError for a name
    whose format is unknown."""
    name = Path(name).name or "upload.csv"
    fmt = detect_format(name)
    job = Job(kind=Job.Kind.SCORE, user=user, params={"name": name, "skip_invalid": skip_invalid})
    folder = Path(settings.JOBS_DIR) / "files" / str(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)
    result_name = (
        "scores." + ("csv" if fmt.kind == "csv" else "jsonl") + (".gz" if fmt.gzip else "")
    )
    job.upload = f"files/{job.pk}/{name}"
    job.params["output_name"] = result_name
    try:
        return _submit(job)
    except JobError:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _check_version(version_id: int) -> None:
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise versions.VersionError(f"there is no model version {version_id}")
    if version.status == ModelVersion.Status.SAVING:
        raise versions.VersionError(
            f"version {version_id} was never completely saved and cannot serve"
        )


def _refuse_if_model_busy() -> None:
    fail_interrupted()
    lock = locks.holder(versions.MODEL_LOCK)
    if lock is not None:
        since = timezone.localtime(lock.acquired_at).strftime("%Y-%m-%d %H:%M:%S")
        who = lock.held_by or f"host {lock.host}, pid {lock.pid}"
        raise ModelBusy(f"a {lock.name} is already running ({who}, since {since}); try again later")
    waiting = (
        Job.objects.filter(kind__in=MODEL_JOBS, state__in=[Job.State.QUEUED, Job.State.RUNNING])
        .select_related("user")
        .first()
    )
    if waiting is not None:
        since = timezone.localtime(waiting.created_at).strftime("%Y-%m-%d %H:%M:%S")
        who = waiting.user.get_username() if waiting.user else "a command"
        raise ModelBusy(
            f"a job to {waiting.get_kind_display()} is already {waiting.state} (started by {who}, "
            f"since {since}); try again when it has finished"
        )


def _submit(job: Job) -> Job:
    delete_expired_files()
    job.save(force_insert=True)
    try:
        _send(job)
    except Exception as exc:
        reason = f"could not be queued, the job broker is unreachable ({_one_line(exc)})"
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.FAILED, finished_at=timezone.now(), message=reason
        )
        log.error("job %s %s", job.pk, reason)
        raise JobNotQueued(f"the job {reason}; try again later") from None
    return job


def _send(job: Job) -> None:
    from socialmetrics.celery import app, make_broker_folders

    make_broker_folders(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    # A connection per submission, to the broker the settings name now: submissions are rare,
    # and a broker that is down is found at once instead of by a retrying pool.
    with app.connection_for_write(
        settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS
    ) as connection:
        connection.ensure_connection(
            max_retries=1, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT
        )
        app.send_task(
            TASK_NAME,
            args=[str(job.pk)],
            connection=connection,
            queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            retry=False,
        )


# --- reading -------------------------------------------------------------------------------


def visible_jobs(user: User | None, *, only_own: bool):
    """The jobs `user` may see: their own with `only_own` (API tokens), otherwise all."""
    queryset = Job.objects.select_related("user")
    return queryset.filter(user=user) if only_own else queryset


def output_path(job: Job) -> Path | None:
    """The finished job's result file, if it has one and it was not deleted yet."""
    if job.state != Job.State.SUCCEEDED or not job.output:
        return None
    path = Path(settings.JOBS_DIR) / job.output
    return path if path.is_file() else None


def waiting_note(job: Job) -> str:
    """What to tell someone looking at a job that no worker has taken yet."""
    if job.state != Job.State.QUEUED:
        return ""
    waited = timezone.now() - job.created_at
    if waited < WAITING_NOTE_AFTER:
        return "Queued: waiting for a worker."
    return (
        f"Queued {int(waited.total_seconds())} s ago and no worker has taken it: is a worker "
        "running? (`celery -A socialmetrics worker`, or `make run` for the demo). The job "
        "runs as soon as one starts."
    )


# --- running (in the worker) ---------------------------------------------------------------


def run(job_id: str) -> None:
    """Run a queued job in this process; called by the worker's task."""
    fail_interrupted()
    claimed = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    if not claimed:
        # Already run, failed, or redelivered after its worker died: never run twice.
        log.warning("job %s is not queued any more; not running it", job_id)
        return
    job = Job.objects.select_related("user").get(pk=job_id)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(job.pk, stop), daemon=True, name="job-beat")
    beat.start()
    progress = JobProgress(job.pk)
    try:
        message = RUNNERS[job.kind](job, progress)
    except Exception as exc:
        progress.flush()
        _finish(job.pk, Job.State.FAILED, _reason(exc))
        log.warning("job %s failed: %s", job.pk, _reason(exc), exc_info=not _expected(exc))
    else:
        progress.flush()
        _finish(job.pk, Job.State.SUCCEEDED, message)
    finally:
        stop.set()


def _run_retrain(job: Job, progress: Progress) -> str:
    lines: list[str] = []
    result = training.retrain(
        trigger=TrainingRun.Trigger.ADMIN,
        force=bool(job.params.get("force")),
        user=job.user,
        report=lines.append,
        progress=progress,
    )
    Job.objects.filter(pk=job.pk).update(
        result={
            "status": result.status,
            "version": result.version.pk if result.version else None,
            "run": result.run.pk if result.run else None,
            "metrics": result.metrics,
            "champion_metrics": result.champion_metrics,
            "report": "\n".join(lines),
        }
    )
    return result.message


def _run_activation(job: Job, progress: Progress) -> str:
    version, scored = versions.activate_and_rescore(
        int(job.params["version"]),
        user=job.user,
        reason=job.params.get("reason") or "activated by a job",
        progress=progress,
    )
    Job.objects.filter(pk=job.pk).update(result={"version": version.pk, "rescored": scored})
    return f"Version {version.pk} is active; {scored:,} unlabelled tweets rescored."


def _run_scoring(job: Job, progress: Progress) -> str:
    base = Path(settings.JOBS_DIR)
    output = f"files/{job.pk}/{job.params['output_name']}"
    try:
        report = filescoring.score_file(
            base / job.upload,
            base / output,
            skip_invalid=bool(job.params.get("skip_invalid")),
            progress=progress,
        )
    except filescoring.ScoreRejected as exc:
        _record_errors(job.pk, exc.report.rejected)
        raise
    _record_errors(job.pk, report.rejected)
    Job.objects.filter(pk=job.pk).update(
        output=output, result={"version": report.version, "scored": report.scored}
    )
    return f"Scored {report.scored:,} tweets with version {report.version}."


RUNNERS: dict[str, Callable[[Job, Progress], str]] = {
    Job.Kind.RETRAIN: _run_retrain,
    Job.Kind.ACTIVATE: _run_activation,
    Job.Kind.SCORE: _run_scoring,
}


class JobProgress(Progress):
    """Progress written to the job's row, at most every PROGRESS_EVERY_SECONDS for rows."""

    def __init__(self, job_id: uuid.UUID) -> None:
        self.job_id = job_id
        self.pending: dict = {}
        self.last = 0.0

    def stage(self, name: str, detail: str = "") -> None:
        self.pending.update(stage=name[:100], detail=detail, rows_done=0, rows_total=None)
        self.flush()

    def note(self, detail: str) -> None:
        self.pending["detail"] = detail
        self.flush()

    def rows(self, done: int, total: int | None = None) -> None:
        self.pending["rows_done"] = done
        if total is not None:
            self.pending["rows_total"] = total
        if time.monotonic() - self.last >= PROGRESS_EVERY_SECONDS or done == total:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        try:
            Job.objects.filter(pk=self.job_id).update(heartbeat_at=timezone.now(), **self.pending)
        except DatabaseError:
            log.warning("could not record job %s's progress", self.job_id, exc_info=True)
            return
        self.pending = {}
        self.last = time.monotonic()


def _heartbeat(job_id: uuid.UUID, stop: threading.Event) -> None:
    try:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                Job.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
            except Exception:  # the database may be away for a while; the next beat retries
                log.warning("could not refresh job %s's heartbeat", job_id, exc_info=True)
    finally:
        connections.close_all()


def _finish(job_id: uuid.UUID, state: str, message: str) -> None:
    locks.drop_broken_connection()
    Job.objects.filter(pk=job_id).update(state=state, finished_at=timezone.now(), message=message)


def _record_errors(job_id: uuid.UUID, rejected: list[Rejection]) -> None:
    if rejected:
        errors = [str(rejection) for rejection in rejected[:SHOWN_ERRORS]]
        if len(rejected) > SHOWN_ERRORS:
            errors.append(f"… and {len(rejected) - SHOWN_ERRORS:,} more rejected rows")
        Job.objects.filter(pk=job_id).update(errors=errors)


def _expected(exc: Exception) -> bool:
    return isinstance(
        exc,
        training.RetrainError
        | versions.VersionError
        | locks.LockHeld
        | filescoring.ScoringError
        | ArtifactError
        | JobError,
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, locks.LockHeld):
        return f"{exc}; try again when it has finished"
    if _expected(exc) or type(exc).__name__ == "TweetFileError":
        return _one_line(exc)
    if isinstance(exc, DatabaseError):
        return f"the database is unreachable: {_one_line(exc)}"
    return f"{type(exc).__name__}: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# --- faults and housekeeping ---------------------------------------------------------------


def fail_interrupted() -> int:
    """Fail the running jobs whose process died; returns how many."""
    now = timezone.now()
    failed = 0
    for job in Job.objects.filter(state=Job.State.RUNNING).only("host", "pid", "heartbeat_at"):
        gone = job.host == socket.gethostname() and job.pid and not locks.process_alive(job.pid)
        silent = job.heartbeat_at is None or now - job.heartbeat_at > STALE_AFTER
        if not (gone or silent):
            continue
        why = "its worker process is gone" if gone else "its worker stopped answering"
        # A result being written has a temporary name: remove it, the job has no output.
        for partial in (Path(settings.JOBS_DIR) / "files" / str(job.pk)).glob(".*"):
            partial.unlink(missing_ok=True)
        failed += Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
            state=Job.State.FAILED,
            finished_at=now,
            message=f"interrupted: {why} (killed, or its host stopped); nothing half-written "
            "was kept. Start it again.",
        )
    return failed


def delete_expired_files() -> int:
    """Delete uploads and results of jobs that finished over JOBS_KEEP_HOURS ago."""
    cutoff = timezone.now() - timedelta(hours=settings.JOBS_KEEP_HOURS)
    expired = Job.objects.filter(finished_at__lt=cutoff).exclude(upload="", output="")
    count = 0
    for job in expired.only("pk"):
        shutil.rmtree(Path(settings.JOBS_DIR) / "files" / str(job.pk), ignore_errors=True)
        Job.objects.filter(pk=job.pk).update(upload="", output="")
        count += 1
    return count
