"""The HTTP API: POST /api/predict (and /predict, the old project's path), health, model."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from rest_framework import permissions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from sentiment.api import limits, schema, throttling
from sentiment.api.errors import BadRequest, LengthRequired, ServiceUnavailable
from sentiment.api.validation import EXAMPLE, parse_predict_request
from sentiment.models import ModelVersion
from sentiment.services import prediction
from sentiment.services.registry import ModelUnavailable, registry


class ProtectedByApiAuth(permissions.BasePermission):
    """Anyone while API_AUTH is open; a valid token with API_AUTH=token."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if settings.API_AUTH == "open":
            return True
        return request.user is not None and request.user.is_authenticated


class PredictViewSet(viewsets.ViewSet):
    """Score tweets from -1 (very negative) to +1 (very positive).

    `{"tweets": [...]}` answers `{"<tweet>": score, ...}`, the old project's format;
    `{"tweets": [...], "detail": true}` answers one result per tweet, in order.
    """

    permission_classes = [ProtectedByApiAuth]

    def get_throttles(self) -> list[BaseThrottle]:
        return throttling.predict_throttles()

    @schema.predict
    def create(self, request: Request) -> Response:
        if request.stream is None:
            if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                raise LengthRequired()
            raise BadRequest(f"the request body is empty; send {EXAMPLE}", "empty_body")
        body = parse_predict_request(request.data, limits.current())
        data: Mapping[str, object]
        try:
            if body.detail:
                version, results = prediction.predict_detail(body.tweets)
                data = {"model_version": version, "results": results}
            else:
                version, data = prediction.predict_scores(body.tweets)
        except ModelUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from None
        return Response(data, headers={"X-Model-Version": str(version)})


class HealthView(APIView):
    # Load balancers call it without credentials, whatever API_AUTH says.
    authentication_classes = []

    @schema.health
    def get(self, request: Request) -> Response:
        try:
            serving = registry.get()
        except ModelUnavailable as exc:
            body = {"status": "unavailable", "model_version": None, "detail": str(exc)}
            return Response(body, status=503)
        return Response({"status": "ok", "model_version": serving.version})


class ModelView(APIView):
    """The active model version: when it was trained, on what, and how well it scored."""

    permission_classes = [ProtectedByApiAuth]

    @schema.model
    def get(self, request: Request) -> Response:
        version = ModelVersion.objects.active()
        if version is None:
            raise ServiceUnavailable("no model is active yet: run `python manage.py retrain`")
        serving = registry.peek()
        return Response(
            {
                "model_version": version.pk,
                "trained_at": version.created_at.isoformat(),
                "sklearn_version": version.sklearn_version,
                "train_counts": version.label_counts,
                "eval_counts": version.eval_counts,
                "metrics": version.metrics,
                "params": version.params,
                "serving_version": serving.version if serving else None,
            },
            headers={"X-Model-Version": str(version.pk)},
        )
