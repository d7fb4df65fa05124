"""The annotation page and its JSON endpoints (docs/annotation.md).

One key press sends one small POST that saves the label and answers the next tweet; the page
shows the tweet it prefetched at once, without waiting for that answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from sentiment.admin_views import admin_context, parse_tweet_id, require, staff_user
from sentiment.models import Label, Tweet
from sentiment.services import annotation, queue

PERMISSION = "sentiment.change_tweet"
PREFETCH = 3  # tweets the page holds beyond the one on screen
MAX_IDS = 100
SKIPPED_KEY = "annotation_skipped"
MAX_SKIPPED = 500


class BadRequest(Exception):
    pass


@dataclass
class QueueRequest:
    order: str
    exclude: list[int]
    recent: list[int]
    want: int


def page(request: HttpRequest) -> HttpResponse:
    require(request, PERMISSION)
    order = request.GET.get("order", queue.DEFAULT_ORDER)
    if order not in queue.ORDERS:
        order = queue.DEFAULT_ORDER
    tweets = queue.next_tweets(
        staff_user(request), count=PREFETCH + 1, order=order, exclude=_skipped(request)
    )
    left, more = queue.left()
    config = {
        "tweets": queue.cards(tweets),
        "left": left,
        "more": more,
        "order": order,
        "prefetch": PREFETCH,
        "urls": {
            "label": reverse("admin:sentiment_tweet_annotate_label"),
            "skip": reverse("admin:sentiment_tweet_annotate_skip"),
            "undo": reverse("admin:sentiment_tweet_annotate_undo"),
        },
        "labels": Label.values,
    }
    context = admin_context(
        request, "Annotate tweets", config=config, orders=queue.ORDERS, order=order
    )
    return TemplateResponse(request, "admin/sentiment/tweet/annotate.html", context)


@require_POST
def label(request: HttpRequest) -> JsonResponse:
    def handle() -> dict | JsonResponse:
        body = _body(request)
        tweet_id, value = _tweet_id(body), body.get("label")
        if value not in Label.values:
            raise BadRequest(f"label must be one of {', '.join(Label.values)}")
        params = _queue_request(body, tweet_id)  # all checked before anything is saved
        tweets = annotation.annotate([tweet_id], staff_user(request), value)
        if not tweets:
            return _not_found(tweet_id)
        return {"saved": _saved(request, tweets[0], value), **_answer(request, params)}

    return _json(request, handle)


@require_POST
def skip(request: HttpRequest) -> JsonResponse:
    def handle() -> dict | JsonResponse:
        body = _body(request)
        tweet_id = _tweet_id(body)
        params = _queue_request(body, tweet_id)
        skipped = [pk for pk in _skipped(request) if pk != tweet_id] + [tweet_id]
        request.session[SKIPPED_KEY] = skipped[-MAX_SKIPPED:]
        return {"skipped": tweet_id, **_answer(request, params)}

    return _json(request, handle)


@require_POST
def undo(request: HttpRequest) -> JsonResponse:
    def handle() -> dict | JsonResponse:
        tweet_id = _tweet_id(_body(request))
        tweets = annotation.withdraw([tweet_id], staff_user(request))
        if not tweets:
            if not Tweet.objects.filter(pk=tweet_id).exists():
                return _not_found(tweet_id)
            raise BadRequest(f"you have no label on tweet {tweet_id} to undo")
        left, more = queue.left()
        return {
            "undone": _saved(request, tweets[0]),
            "tweet": queue.cards(tweets)[0],
            "left": left,
            "more": more,
        }

    return _json(request, handle)


# --- helpers ----------------------------------------------------------------------------------


def _answer(request: HttpRequest, params: QueueRequest) -> dict:
    tweets = queue.next_tweets(
        staff_user(request),
        count=params.want,
        order=params.order,
        exclude={*params.exclude, *_skipped(request)},
        recent=params.recent,
    )
    left, more = queue.left()
    return {"tweets": queue.cards(tweets), "left": left, "more": more}


def _saved(request: HttpRequest, tweet: Tweet, label: str | None = None) -> dict:
    """What was saved. An annotator is told only their own label: the agreed label, a tie or
    a majority would tell them, over a label, an undo and another label, what others said."""
    if not annotation.can_settle(request.user):
        return {"tweet": tweet.pk} if label is None else {"tweet": tweet.pk, "label": label}
    return {
        "tweet": tweet.pk,
        "label": tweet.label,
        "review": tweet.review,
        "annotations": tweet.annotation_count,
        "wanted": tweet.annotations_wanted,
    }


def _queue_request(body: dict, current: int) -> QueueRequest:
    return QueueRequest(
        order=_order(body.get("order", queue.DEFAULT_ORDER)),
        exclude=[*_ids(body.get("exclude", [])), current],
        recent=_ids(body.get("recent", [])),
        want=_want(body.get("want", 1)),
    )


def _json(request: HttpRequest, handle: Callable[[], dict | JsonResponse]) -> JsonResponse:
    if not request.user.has_perm(PERMISSION):
        return JsonResponse({"error": "you may not annotate tweets"}, status=403)
    try:
        data = handle()
    except BadRequest as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except annotation.AnnotationError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except DatabaseError:
        return JsonResponse({"error": "the database is unavailable; try again"}, status=503)
    if isinstance(data, JsonResponse):
        return data
    return JsonResponse(data)


def _body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body must be a JSON object") from None
    except RecursionError:
        raise BadRequest("the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _tweet_id(body: dict) -> int:
    value = body.get("tweet")
    tweet_id = None if isinstance(value, str) else parse_tweet_id(value)
    if tweet_id is None:
        raise BadRequest("`tweet` must be a tweet id (a positive integer below 2**63)")
    return tweet_id


def _ids(values: object) -> list[int]:
    if not isinstance(values, list) or len(values) > MAX_IDS:
        raise BadRequest(f"tweet id lists hold at most {MAX_IDS} integers")
    parsed = [parse_tweet_id(v) for v in values if not isinstance(v, bool)]
    ids = [i for i in parsed if i is not None]
    if len(ids) != len(parsed):
        raise BadRequest("tweet id lists hold tweet ids only (positive integers below 2**63)")
    return ids


def _order(value: object) -> str:
    if value not in queue.ORDERS:
        raise BadRequest(f"order must be one of {', '.join(queue.ORDERS)}")
    return value


def _want(value: Any) -> int:  # a JSON value
    try:
        want = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        raise BadRequest("want must be a number from 0 to 10") from None
    if not 0 <= want <= 10:
        raise BadRequest("want must be a number from 0 to 10")
    return want


def _skipped(request: HttpRequest) -> list[int]:
    return list(request.session.get(SKIPPED_KEY, []))


def _not_found(tweet_id: int) -> JsonResponse:
    return JsonResponse({"error": f"there is no tweet {tweet_id}"}, status=404)
