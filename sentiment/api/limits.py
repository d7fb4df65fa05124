"""The limits on one predict request: read from the settings, stated once.

The parser, the request check, the error messages and the OpenAPI schema all take them from
here, so that what the schema promises is what the server enforces. Read per request (`current`),
so that a changed setting applies at once (the tests change them).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Limits:
    tweets: int  # API_MAX_TWEETS
    tweet_chars: int  # API_MAX_TWEET_CHARS
    batch_chars: int  # API_MAX_BATCH_CHARS
    body_bytes: int  # API_MAX_BODY_BYTES

    def summary(self) -> str:
        return (
            f"At most {self.tweets:,} tweets (API_MAX_TWEETS) of at most "
            f"{self.tweet_chars:,} characters each (API_MAX_TWEET_CHARS) and "
            f"{self.batch_chars:,} in all (API_MAX_BATCH_CHARS); the whole body "
            f"at most {self.body_bytes:,} bytes (API_MAX_BODY_BYTES)."
        )

    def body_too_large(self) -> str:
        return (
            f"the request body is larger than {self.body_bytes:,} bytes (API_MAX_BODY_BYTES); "
            "send fewer tweets per request"
        )


def current() -> Limits:
    return Limits(
        tweets=settings.API_MAX_TWEETS,
        tweet_chars=settings.API_MAX_TWEET_CHARS,
        batch_chars=settings.API_MAX_BATCH_CHARS,
        body_bytes=settings.API_MAX_BODY_BYTES,
    )
