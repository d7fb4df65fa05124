"""The agreement page: how far annotators agree, and the disagreements a reviewer settles."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from sentiment.admin_views import admin_context, parse_tweet_id, require, staff_user
from sentiment.models import Label
from sentiment.services import agreement, annotation

PERMISSION = "sentiment.settle_tweet"


def page(request: HttpRequest) -> HttpResponse:
    require(request, PERMISSION)
    include_majority = request.GET.get("show") == "all"
    report, names = agreement.report()
    disputes, total = agreement.disagreements(include_majority=include_majority)
    pairs = [
        {"first": names.get(p.first, p.first), "second": names.get(p.second, p.second), "pair": p}
        for p in report.pairs
    ]
    context = admin_context(
        request,
        "Agreement between annotators",
        report=report,
        pairs=pairs,
        disputes=disputes,
        disputes_total=total,
        include_majority=include_majority,
        labels=Label.values,
    )
    return TemplateResponse(request, "admin/sentiment/tweet/agreement.html", context)


@require_POST
def settle(request: HttpRequest) -> HttpResponse:
    require(request, PERMISSION)
    back = reverse("admin:sentiment_tweet_agreement")
    if request.POST.get("show") == "all":
        back += "?show=all"
    label = request.POST.get("label", "")
    tweet_id = parse_tweet_id(request.POST.get("tweet", ""))
    if tweet_id is None:
        messages.error(request, "No tweet was chosen to settle.")
        return HttpResponseRedirect(back)
    try:
        settled = annotation.settle([tweet_id], staff_user(request), label)
    except annotation.AnnotationError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(back)
    if not settled:
        messages.error(request, f"There is no tweet {tweet_id}.")
    else:
        messages.success(request, f"Tweet {tweet_id} settled as “{label}”.")
    return HttpResponseRedirect(back)
