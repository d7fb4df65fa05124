"""Rows for tests, built as the application stores them (factory_boy)."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from sentiment.ml.data import text_hash
from sentiment.models import Tweet


class TweetFactory(DjangoModelFactory):
    """A tweet with its text hash.

    `TweetFactory(...)` saves one; `TweetFactory.build(...)` makes an unsaved one for
    `Tweet.objects.bulk_create`, which skips `Tweet.save()` and so needs the hash set here.
    """

    class Meta:
        model = Tweet

    text = factory.Sequence(lambda n: f"tweet {n}")
    text_hash = factory.LazyAttribute(lambda tweet: text_hash(tweet.text))
