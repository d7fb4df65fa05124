"""The API's OpenAPI description (drf-spectacular), served at /api/schema/ and /api/docs/.

The serializers here only describe the requests and answers; the views check requests with
`validation.py`, one fast pass over a big batch. Limits come from `limits.py`, as the server's
checks do, so that the schema states the ones the server enforces.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers

from sentiment.api.limits import current as current_limits
from sentiment.models import Label

LIMITS = current_limits()

SCORE = {
    "type": "number",
    "format": "double",
    "minimum": -1,
    "maximum": 1,
    "description": "From -1 (very negative) to +1 (very positive), 4 decimals.",
}
TWEETS = ["I love this, best day ever! 😍 #happy", "This is awful, worst service ever 😡"]


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="A stable code to test for, e.g. `too_many_tweets`.")
    detail = serializers.CharField(help_text="What is wrong and what to do, for a person.")


@extend_schema_field(
    {"type": "string", "maxLength": LIMITS.tweet_chars, "pattern": "^[^\\u0000]*$"}
)
class TweetField(serializers.CharField):
    """A tweet: no NUL anywhere in the product (400 tweet_contains_nul), said by a pattern."""


class PredictRequestSerializer(serializers.Serializer):
    tweets = serializers.ListField(
        # Blank tweets are accepted: the pattern allows them (allow_blank would add a oneOf).
        child=TweetField(trim_whitespace=False, max_length=LIMITS.tweet_chars),
        max_length=LIMITS.tweets,
        help_text=LIMITS.summary(),
    )
    detail = serializers.BooleanField(
        required=False,
        default=False,
        help_text="false: `{tweet: score}` (the old project's format); true: one result per "
        "tweet, in order, with the label, probabilities and the terms that weighed most.",
    )


class PredictScoresSerializer(serializers.Serializer):
    """`{"<tweet>": score}`: described by PredictScoresExtension, a map no field can express."""


class PredictScoresExtension(OpenApiSerializerExtension):
    target_class = PredictScoresSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "additionalProperties": SCORE,
            "description": "Each distinct tweet, as sent, with its score (the old project's "
            "format: a tweet sent twice appears once).",
        }


class ProbabilitiesSerializer(serializers.Serializer):
    negative = serializers.FloatField(min_value=0, max_value=1)
    neutral = serializers.FloatField(min_value=0, max_value=1)
    positive = serializers.FloatField(min_value=0, max_value=1)


class PredictResultSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The tweet, as sent.")
    score = serializers.FloatField(min_value=-1, max_value=1)
    # A declared field: the serializer's metaclass moves it out of the class attributes.
    label = serializers.ChoiceField(  # type: ignore[assignment]
        choices=Label.choices, help_text="The most probable label."
    )
    probabilities = ProbabilitiesSerializer()
    explanation = serializers.ListField(
        child=serializers.ListField(min_length=2, max_length=2),
        help_text="Up to 5 `[term, contribution]` pairs, largest effect first; a positive "
        "contribution pushed the score up.",
    )


class PredictDetailSerializer(serializers.Serializer):
    model_version = serializers.IntegerField(help_text="The model version that answered.")
    results = PredictResultSerializer(many=True, help_text="One per tweet, in the sent order.")


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    model_version = serializers.IntegerField(allow_null=True)
    detail = serializers.CharField(required=False, help_text="Why no model serves.")


class ModelInfoSerializer(serializers.Serializer):
    model_version = serializers.IntegerField(help_text="The active version.")
    trained_at = serializers.DateTimeField()
    sklearn_version = serializers.CharField()
    train_counts = serializers.DictField(child=serializers.IntegerField())
    eval_counts = serializers.DictField(child=serializers.IntegerField())
    metrics = serializers.DictField(help_text="Accuracy, recall, confusion matrix, ...")
    params = serializers.DictField()
    serving_version = serializers.IntegerField(
        allow_null=True, help_text="The version this server process answers with right now."
    )


def _error(description: str, code: str, detail: str) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer,
        description=description,
        examples=[OpenApiExample(code, value={"error": code, "detail": detail})],
    )


MODEL_VERSION_HEADER = OpenApiParameter(
    "X-Model-Version",
    int,
    OpenApiParameter.HEADER,
    response=[200],
    description="The model version that answered.",
)
RETRY_AFTER_HEADER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[429],
    description="Seconds to wait before the limit lets a request through again.",
)
UNAVAILABLE = _error(
    "No model can answer (none trained yet, or its files failed their check), or the "
    "database is away for an endpoint that needs it.",
    "model_unavailable",
    "no model has been trained yet: run `python manage.py retrain` (or `make run`)",
)
UNAUTHORIZED = _error(
    "Only with API_AUTH=token: no token, or an unknown one. Send `Authorization: Token <key>`.",
    "not_authenticated",
    "Authentication credentials were not provided.",
)

predict = extend_schema(
    operation_id="predict",
    summary="Score tweets",
    description=(
        "Scores each tweet from -1 (very negative) to +1 (very positive).\n\n"
        '`{"tweets": [...]}` answers `{"<tweet>": score}`, the old Flask project\'s format '
        '(also served at `POST /predict`). `{"tweets": [...], "detail": true}` answers one '
        "result per tweet, in order. Rate-limited per client address (API_THROTTLE_ANON) or "
        "per token (API_THROTTLE_USER)."
    ),
    request=PredictRequestSerializer,
    parameters=[MODEL_VERSION_HEADER, RETRY_AFTER_HEADER],
    responses={
        200: OpenApiResponse(
            PolymorphicProxySerializer(
                component_name="PredictResponse",
                serializers=[PredictScoresSerializer, PredictDetailSerializer],
                resource_type_field_name=None,
            ),
            description="`{tweet: score}`, or with `detail: true` one result per tweet.",
        ),
        400: _error(
            "The body is not a predict request: malformed JSON, no `tweets`, a tweet that is "
            "not a string, too many or too long tweets.",
            "tweet_not_a_string",
            "tweets[1] must be a string, not a JSON number",
        ),
        401: UNAUTHORIZED,
        411: _error(
            "A chunked body without Content-Length.",
            "length_required",
            "send the body with a Content-Length header; chunked transfer encoding is not "
            "supported",
        ),
        413: _error(
            "The body is larger than API_MAX_BODY_BYTES.",
            "body_too_large",
            LIMITS.body_too_large(),
        ),
        415: _error(
            "The body is not JSON (Content-Type), or is compressed (Content-Encoding).",
            "unsupported_media_type",
            'Unsupported media type "text/plain" in request. Send the body as JSON with '
            "Content-Type: application/json.",
        ),
        429: _error(
            "Too many requests from this address or token; see Retry-After.",
            "throttled",
            "Request was throttled. Expected available in 12 seconds.",
        ),
        503: UNAVAILABLE,
    },
    examples=[
        OpenApiExample(
            "scores",
            summary="Scores (the old project's format)",
            request_only=True,
            value={"tweets": TWEETS},
        ),
        OpenApiExample(
            "detailed",
            summary="One result per tweet",
            request_only=True,
            value={"tweets": TWEETS[:1], "detail": True},
        ),
        OpenApiExample(
            "scores",
            summary="Scores (the old project's format)",
            response_only=True,
            value={TWEETS[0]: 0.9387, TWEETS[1]: -0.8911},
        ),
        OpenApiExample(
            "detailed",
            summary="One result per tweet",
            response_only=True,
            value={
                "model_version": 3,
                "results": [
                    {
                        "text": TWEETS[0],
                        "score": 0.9387,
                        "label": "positive",
                        "probabilities": {
                            "negative": 0.0158,
                            "neutral": 0.0297,
                            "positive": 0.9545,
                        },
                        "explanation": [["love", 1.9021], ["best", 1.2214], ["😍", 0.8113]],
                    }
                ],
            },
        ),
    ],
)

health = extend_schema(
    operation_id="health",
    summary="Can this server answer predictions?",
    description="For load balancers and monitoring: no database query, never rate-limited.",
    responses={
        200: OpenApiResponse(
            HealthSerializer,
            examples=[OpenApiExample("Serving", value={"status": "ok", "model_version": 3})],
        ),
        503: OpenApiResponse(
            HealthSerializer,
            description="No model can answer.",
            examples=[
                OpenApiExample(
                    "No model",
                    value={
                        "status": "unavailable",
                        "model_version": None,
                        "detail": "no model has been trained yet: run `python manage.py "
                        "retrain` (or `make run`)",
                    },
                )
            ],
        ),
    },
)

model = extend_schema(
    operation_id="model",
    summary="The active model version",
    description="When it was trained, on how many tweets, and how well it scored.",
    parameters=[MODEL_VERSION_HEADER],
    responses={200: ModelInfoSerializer, 401: UNAUTHORIZED, 503: UNAVAILABLE},
)


class JobSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The job's id: keep it to follow the job.")
    kind = serializers.ChoiceField(["score", "retrain", "activate"])
    state = serializers.ChoiceField(
        ["queued", "running", "succeeded", "failed"],
        help_text="queued waits for a worker (none may be running: see `message`).",
    )
    stage = serializers.CharField(help_text="The current step: validating, scoring…")
    rows_done = serializers.IntegerField()
    rows_total = serializers.IntegerField(allow_null=True, help_text="Known once validated.")
    # A declared field: the serializer's metaclass moves it out of the class attributes.
    errors = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(), help_text="Rejected rows, with their line and reason."
    )
    message = serializers.CharField(help_text="The outcome, the reason it failed, or a wait.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    result_url = serializers.URLField(allow_null=True, help_text="Where to download the scores.")


class JobRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV with a `text` column, or JSON Lines with a `text` key; the name's "
        "extension (.csv, .jsonl, .ndjson, optionally .gz) says which. At most "
        f"{settings.JOBS_MAX_UPLOAD_BYTES:,} bytes (JOBS_MAX_UPLOAD_BYTES)."
    )
    skip_invalid = serializers.BooleanField(
        required=False,
        help_text="Score the valid rows and list the others (default: any invalid row fails "
        "the job, as `import_tweets` does).",
    )


JOB_NOT_FOUND = _error(
    "No such job, or (API_AUTH=token) one that another token's owner submitted.",
    "not_found",
    "there is no job 3f1c…",
)

submit_job = extend_schema(
    operation_id="submit_job",
    summary="Score a tweet file of any size, as a job",
    description=(
        "Uploads a CSV or JSON Lines file (multipart field `file`) and queues its scoring on "
        "a worker. Answers 202 with the job; follow it at `GET /api/jobs/{id}` and download "
        "the result from `GET /api/jobs/{id}/result`: for every row its text, score (the same "
        "as `/api/predict`'s for the same model version), label, the three probabilities and "
        "the model version, in the uploaded file's format. Uploads and results are deleted "
        "JOBS_KEEP_HOURS after the job finished."
    ),
    request={"multipart/form-data": JobRequestSerializer},
    responses={
        202: JobSerializer,
        400: _error(
            "No `file` field, or a name whose format is unknown.",
            "unknown_format",
            "tweets.txt: unknown format; name the file .csv, .jsonl or .ndjson, optionally + .gz",
        ),
        401: UNAUTHORIZED,
        413: _error(
            "The file is larger than JOBS_MAX_UPLOAD_BYTES.",
            "file_too_large",
            "the file is larger than 2,147,483,648 bytes (JOBS_MAX_UPLOAD_BYTES)",
        ),
        503: _error(
            "The job broker (Redis or RabbitMQ) cannot be reached: nothing was queued.",
            "broker_unavailable",
            "the job could not be queued, the job broker is unreachable (…); try again later",
        ),
    },
)

job = extend_schema(
    operation_id="job",
    summary="A job's state and progress",
    responses={200: JobSerializer, 401: UNAUTHORIZED, 404: JOB_NOT_FOUND},
)

job_result = extend_schema(
    operation_id="job_result",
    summary="Download a finished job's scores",
    responses={
        (200, "application/octet-stream"): OpenApiResponse(
            description="The scored file: CSV or JSON Lines (gzip-compressed if the upload "
            "was), columns text, score, label, p_negative, p_neutral, p_positive, "
            "model_version."
        ),
        401: UNAUTHORIZED,
        404: JOB_NOT_FOUND,
    },
)


def public_endpoints(endpoints: list[tuple], **kwargs) -> list[tuple]:
    """drf-spectacular hook: `/api/predict` once, as clients write it.

    The old project's `/predict` and the trailing-slash forms answer the same and are named in
    the description instead of being listed as more operations.
    """
    kept = []
    for path, path_regex, method, callback in endpoints:
        if path == "/predict/":
            continue
        kept.append((path.rstrip("/") or "/", path_regex, method, callback))
    return kept
