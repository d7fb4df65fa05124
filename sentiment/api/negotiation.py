"""Content negotiation: DRF's own, short-cut for what API clients send almost always."""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer


class JSONFirstNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, short-cut for what API clients send almost always.

    With no Accept header, `*/*` or exactly the first renderer's media type, and no
    `?format=`, the answer is the first renderer, as DRF's own negotiation would decide,
    without parsing media types on every request. Anything else goes through DRF's rules
    (and an unacceptable Accept still gets 406).
    """

    # DRF declares an Iterable but always passes the view's list, which is indexed here.
    def select_renderer(  # type: ignore[override]
        self, request: Any, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        accept = request.META.get("HTTP_ACCEPT", "")
        if (
            not format_suffix
            and not request.META.get("QUERY_STRING")
            and accept in ("", "*/*", renderers[0].media_type)
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
