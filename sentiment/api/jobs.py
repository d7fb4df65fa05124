"""The jobs API: POST /api/jobs (a tweet file to score), GET /api/jobs/{id}, its result.

A thin edge over services/jobs.py, the same service the admin's "Score a file" calls. With
API_AUTH=token a job belongs to the token's owner and nobody else sees it; with the API open
the job's random id is what lets a client follow it.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from sentiment.api import schema
from sentiment.api.errors import BadRequest, ServiceUnavailable
from sentiment.api.views import ProtectedByApiAuth
from sentiment.models import Job
from sentiment.services import jobs
from sentiment.tweetfiles import TweetFileError


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"


def _owner(request: Request):
    user = request.user
    return user if user is not None and user.is_authenticated else None


def _find(request: Request, job_id: str) -> Job:
    jobs.fail_interrupted()
    only_own = settings.API_AUTH == "token"
    job = jobs.visible_jobs(_owner(request), only_own=only_own).filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"there is no job {job_id}")
    return job


def describe(request: Request, job: Job) -> dict:
    has_result = jobs.output_path(job) is not None
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "state": job.state,
        "stage": job.stage,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "errors": job.errors,
        "message": job.message or jobs.waiting_note(job),
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "result_url": (
            reverse("job-result", args=[job.pk], request=request) if has_result else None
        ),
    }


class JobListView(APIView):
    permission_classes = [ProtectedByApiAuth]
    parser_classes = [MultiPartParser]

    @schema.submit_job
    def post(self, request: Request) -> Response:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.JOBS_MAX_UPLOAD_BYTES:
            raise UploadTooLarge(
                f"the file is larger than {settings.JOBS_MAX_UPLOAD_BYTES:,} bytes "
                "(JOBS_MAX_UPLOAD_BYTES); split it, or use `manage.py score_tweets` on the server"
            )
        upload = request.FILES.get("file")
        if upload is None:
            raise BadRequest("send the tweet file as the multipart field `file`", "file_missing")
        form = request.data if isinstance(request.data, dict) else {}  # multipart: a QueryDict
        skip = str(form.get("skip_invalid", "")).lower() in ("1", "true", "yes", "on")
        try:
            job = jobs.submit_scoring(upload.file, upload.name, _owner(request), skip_invalid=skip)
        except TweetFileError as exc:
            raise BadRequest(str(exc), "unknown_format") from None
        except jobs.JobNotQueued as exc:
            raise ServiceUnavailable(str(exc), code="broker_unavailable") from None
        url = reverse("job", args=[job.pk], request=request)
        return Response(describe(request, job), status=202, headers={"Location": url})


class JobView(APIView):
    permission_classes = [ProtectedByApiAuth]

    @schema.job
    def get(self, request: Request, job_id: str) -> Response:
        return Response(describe(request, _find(request, job_id)))


class JobResultView(APIView):
    permission_classes = [ProtectedByApiAuth]

    @schema.job_result
    def get(self, request: Request, job_id: str) -> FileResponse:
        job = _find(request, job_id)
        path = jobs.output_path(job)
        if path is None:
            raise NotFound(
                f"job {job_id} has no result: it is {job.state}"
                + (f" ({job.message})" if job.message else "")
            )
        return FileResponse(open(path, "rb"), as_attachment=True, filename=path.name)
