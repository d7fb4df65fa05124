"""The model dashboard: metrics over versions, confusion matrices, labels, progress."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.safestring import mark_safe

from sentiment.admin_views import admin_context, require
from sentiment.services import dashboard


def page(request: HttpRequest) -> HttpResponse:
    require(request, "sentiment.view_modelversion")
    metrics_svg = dashboard.metrics_chart()
    progress_svg, annotators = dashboard.progress()
    distribution = dashboard.label_distribution()
    biggest = max(distribution.values(), default=0) or 1
    drift = dashboard.drift_of_serving_version()
    context = admin_context(
        request,
        "Model dashboard",
        # Drawn by matplotlib, which escapes the text it writes (annotator names).
        metrics_svg=mark_safe(metrics_svg) if metrics_svg else None,  # noqa: S308
        progress_svg=mark_safe(progress_svg),  # noqa: S308
        matrices=dashboard.confusion_matrices(),
        distribution=[(name, n, round(100 * n / biggest, 1)) for name, n in distribution.items()],
        annotators=annotators,
        days=dashboard.DAYS,
        drift=drift,
        shadow_runs=dashboard.shadow_runs(),
        drift_svg=mark_safe(drift.svg) if drift and drift.svg else None,  # noqa: S308
    )
    return TemplateResponse(request, "admin/sentiment/modelversion/dashboard.html", context)
