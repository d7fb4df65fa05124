"""The API's OpenAPI description (drf-spectacular), served at /api/schema/ and /api/docs/.

The serializers here only describe the requests and answers; the views check requests with
`validation.py`, one fast pass over a big batch. Limits come from the settings, so that the
schema states the ones the server enforces.
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

from sentiment.models import Label

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
    {"type": "string", "maxLength": settings.API_MAX_TWEET_CHARS, "pattern": "^[^\\u0000]*$"}
)
class TweetField(serializers.CharField):
    """A tweet: no NUL anywhere in the product (400 tweet_contains_nul), said by a pattern."""


class PredictRequestSerializer(serializers.Serializer):
    tweets = serializers.ListField(
        # Blank tweets are accepted: the pattern allows them (allow_blank would add a oneOf).
        child=TweetField(trim_whitespace=False, max_length=settings.API_MAX_TWEET_CHARS),
        max_length=settings.API_MAX_TWEETS,
        help_text=(
            f"At most {settings.API_MAX_TWEETS:,} tweets (API_MAX_TWEETS) of at most "
            f"{settings.API_MAX_TWEET_CHARS:,} characters each (API_MAX_TWEET_CHARS) and "
            f"{settings.API_MAX_BATCH_CHARS:,} in all (API_MAX_BATCH_CHARS); the whole body "
            f"at most {settings.API_MAX_BODY_BYTES:,} bytes (API_MAX_BODY_BYTES)."
        ),
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
    label = serializers.ChoiceField(choices=Label.choices, help_text="The most probable label.")
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
            "the request body is larger than 16,777,216 bytes (API_MAX_BODY_BYTES); send "
            "fewer tweets per request",
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
