"""Annotations: each person's label for a tweet, and the tweet's agreed label.

Every label change goes through here — the annotation page, the admin's form, list and bulk
actions, a reviewer's settlement, undo — so that the annotations, the agreed label, the
counts the queue reads and the admin's history (LogEntry) always agree.

The rules:
- a person has at most one annotation per tweet; labelling the tweet again replaces it;
- a tweet wants `annotations_wanted` annotations (1 unless overlap was asked for); until it has
  them it stays unlabelled and in the queue;
- then its label is the majority's. A tie leaves it unlabelled, out of the queue, waiting for a
  reviewer (review="tie"); a majority over dissent is marked (review="majority");
- a reviewer's decision (review="settled") wins over the annotations until the tweet is reset;
- a label that came from an imported file, with no annotation, stands until someone annotates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from sentiment.models import Annotation, Label, Review, Tweet

CHUNK = 500
SETTLE_PERMISSION = "sentiment.settle_tweet"
_TWEET_FIELDS = ["label", "annotated_by", "annotated_at", "annotation_count", "review"]


class AnnotationError(Exception):
    """A label or a number that cannot be recorded; the message says why."""


def can_settle(user: User | AnonymousUser) -> bool:
    return bool(getattr(user, "has_perm", None)) and user.has_perm(SETTLE_PERMISSION)


def annotate(tweet_ids: Iterable[int], user: User, label: str) -> list[Tweet]:
    """Record `user`'s label for each tweet (replacing theirs), then agree the tweets' labels."""
    _check_label(label)

    def edit(tweets: list[Tweet], annotations: dict[int, list[Annotation]]) -> dict[int, str]:
        now = timezone.now()
        created, updated = [], []
        for tweet in tweets:
            mine = _of(annotations[tweet.pk], user)
            if mine is None:
                mine = Annotation(
                    tweet=tweet, annotator_id=user.pk, label=label, created_at=now, updated_at=now
                )
                created.append(mine)
                annotations[tweet.pk].append(mine)
            elif mine.label != label:
                mine.label, mine.updated_at = label, now
                updated.append(mine)
        Annotation.objects.bulk_create(created)
        Annotation.objects.bulk_update(updated, ["label", "updated_at"])
        for tweet in tweets:
            _agree(tweet, annotations[tweet.pk])
        return dict.fromkeys((t.pk for t in tweets), f"Annotated “{label}”")

    return _change(tweet_ids, user, edit)


def withdraw(tweet_ids: Iterable[int], user: User) -> list[Tweet]:
    """Remove `user`'s own annotation of each tweet (undo); returns the tweets that had one."""

    def edit(tweets: list[Tweet], annotations: dict[int, list[Annotation]]) -> dict[int, str]:
        messages = {}
        for tweet in tweets:
            mine = _of(annotations[tweet.pk], user)
            if mine is None:
                continue
            mine.delete()
            annotations[tweet.pk].remove(mine)
            _agree(tweet, annotations[tweet.pk])
            messages[tweet.pk] = f"Withdrew the annotation “{mine.label}”"
        return messages

    return _change(tweet_ids, user, edit)


def settle(tweet_ids: Iterable[int], user: User, label: str) -> list[Tweet]:
    """A reviewer's decision: the tweets' label is `label`, whatever the annotations say."""
    _check_label(label)
    _check_can_settle(user)

    def edit(tweets: list[Tweet], annotations: dict[int, list[Annotation]]) -> dict[int, str]:
        now = timezone.now()
        for tweet in tweets:
            tweet.label, tweet.review = label, Review.SETTLED
            tweet.annotated_by_id, tweet.annotated_at = user.pk, now
        return dict.fromkeys((t.pk for t in tweets), f"Settled as “{label}”")

    return _change(tweet_ids, user, edit)


def reset(tweet_ids: Iterable[int], user: User) -> list[Tweet]:
    """Clear the tweets' label, annotations and decision: they go back to the queue."""
    _check_can_settle(user)

    def edit(tweets: list[Tweet], annotations: dict[int, list[Annotation]]) -> dict[int, str]:
        Annotation.objects.filter(tweet__in=tweets).delete()
        messages = {}
        for tweet in tweets:
            messages[tweet.pk] = f"Cleared the label and {len(annotations[tweet.pk])} annotation(s)"
            tweet.label, tweet.review, tweet.annotation_count = "", Review.NONE, 0
            tweet.annotated_by = tweet.annotated_at = None
        return messages

    return _change(tweet_ids, user, edit)


def set_wanted(tweet_ids: Iterable[int], user: User, wanted: int) -> list[Tweet]:
    """Ask for `wanted` annotators on each tweet (overlap), and agree again with that number."""
    _check_can_settle(user)
    if not 1 <= wanted <= 10:
        raise AnnotationError(f"between 1 and 10 annotators per tweet, not {wanted}")

    def edit(tweets: list[Tweet], annotations: dict[int, list[Annotation]]) -> dict[int, str]:
        for tweet in tweets:
            tweet.annotations_wanted = wanted
            _agree(tweet, annotations[tweet.pk])
        return dict.fromkeys((t.pk for t in tweets), f"Asked for {wanted} annotator(s)")

    return _change(tweet_ids, user, edit, extra_fields=["annotations_wanted"])


def label_from_admin(tweet_ids: Iterable[int], user: User, label: str) -> list[Tweet]:
    """A label set in the admin's form, list or bulk actions.

    A reviewer (who may settle) decides the label, and "" resets the tweet; anyone else gives
    their annotation, and "" withdraws it.
    """
    if can_settle(user):
        return settle(tweet_ids, user, label) if label else reset(tweet_ids, user)
    return annotate(tweet_ids, user, label) if label else withdraw(tweet_ids, user)


def describe(tweet: Tweet) -> str:
    """Where the tweet's label stands, in words, for messages and the history."""
    count = f"{tweet.annotation_count} of {tweet.annotations_wanted} annotation(s)"
    if tweet.review == Review.SETTLED:
        return f"“{tweet.label}”, settled by a reviewer"
    if tweet.review == Review.TIE:
        return f"none, the annotators disagree ({count}): waiting for a reviewer"
    if tweet.review == Review.MAJORITY:
        return f"“{tweet.label}” by majority over dissent ({count})"
    if tweet.label:
        return f"“{tweet.label}” ({count})"
    return f"none yet ({count})"


def private_message(message: str) -> str:
    """A history message as an annotator may read it: what they did, not where the label stands.

    The agreed label after someone's annotation tells them, by a tie or a winner, what the
    others said; only reviewers read it.
    """
    return message.split(". Label: ", 1)[0].rstrip(".") + "."


# --- the one path -----------------------------------------------------------------------------

Edit = Callable[[list[Tweet], dict[int, list[Annotation]]], dict[int, str]]


def _change(
    tweet_ids: Iterable[int], user: User, edit: Edit, *, extra_fields: list[str] | None = None
) -> list[Tweet]:
    """Lock the tweets, let `edit` change them and their annotations, save, log; by chunks."""
    ids = sorted({int(pk) for pk in tweet_ids})
    changed: list[Tweet] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            # Row locks, taken in id order: two annotators finishing the same tweet at once
            # are serialised, so the agreed label always sees every annotation.
            tweets = list(Tweet.objects.select_for_update().filter(pk__in=chunk).order_by("pk"))
            annotations: dict[int, list[Annotation]] = defaultdict(list)
            for annotation in Annotation.objects.filter(tweet__in=chunk).order_by("pk"):
                annotations[annotation.tweet_id].append(annotation)
            messages = edit(tweets, annotations)
            done = [tweet for tweet in tweets if tweet.pk in messages]
            Tweet.objects.bulk_update(done, _TWEET_FIELDS + (extra_fields or []))
            _log(user, done, messages)
        changed += done
    return changed


def _agree(tweet: Tweet, annotations: list[Annotation]) -> None:
    """Recompute the tweet's label from its annotations, by the rules in the module's doc."""
    before = tweet.annotation_count
    tweet.annotation_count = len(annotations)
    if tweet.review == Review.SETTLED or (not annotations and before == 0):
        return
    ranked = Counter(a.label for a in annotations).most_common()
    if len(annotations) < tweet.annotations_wanted:
        label, review = "", Review.NONE
    elif len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        label, review = "", Review.TIE
    else:
        label = ranked[0][0]
        review = Review.MAJORITY if len(ranked) > 1 else Review.NONE
    tweet.label, tweet.review = label, review
    if label:
        # Credited to whoever completed the agreement: the latest annotation in the majority.
        decider = max(
            (a for a in annotations if a.label == label), key=lambda a: (a.updated_at, a.pk or 0)
        )
        tweet.annotated_by_id, tweet.annotated_at = decider.annotator_id, decider.updated_at
    else:
        tweet.annotated_by, tweet.annotated_at = None, None


def _log(user: User, tweets: list[Tweet], messages: dict[int, str]) -> None:
    if not tweets:
        return
    content_type = ContentType.objects.get_for_model(Tweet)
    LogEntry.objects.bulk_create(
        LogEntry(
            user_id=user.pk,
            content_type_id=content_type.pk,
            object_id=str(tweet.pk),
            object_repr=str(tweet)[:200],
            action_flag=CHANGE,
            change_message=f"{messages[tweet.pk]}. Label: {describe(tweet)}.",
        )
        for tweet in tweets
    )


def _of(annotations: list[Annotation], user: User) -> Annotation | None:
    return next((a for a in annotations if a.annotator_id == user.pk), None)


def _check_label(label: str) -> None:
    if label not in Label.values:
        raise AnnotationError(f"unknown label {label!r}: expected one of {', '.join(Label.values)}")


def _check_can_settle(user: User | AnonymousUser) -> None:
    if not can_settle(user):
        raise AnnotationError("only a reviewer (permission “settle tweets”) can do this")
