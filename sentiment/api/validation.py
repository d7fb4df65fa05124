"""Checking a predict request, with a message that names the problem.

Hand-written rather than a DRF serializer: a batch of 1,000 tweets is checked in one fast
pass, and a number or null among the tweets is refused instead of being coerced to text.
"""

from __future__ import annotations

from dataclasses import dataclass

from sentiment.api.errors import BadRequest
from sentiment.api.limits import Limits

EXAMPLE = '{"tweets": ["first tweet", "second tweet"]}'


@dataclass(frozen=True)
class PredictRequest:
    tweets: list[str]
    detail: bool


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def parse_predict_request(data: object, limits: Limits) -> PredictRequest:
    max_tweets, max_chars, max_total_chars = limits.tweets, limits.tweet_chars, limits.batch_chars
    if not isinstance(data, dict):
        raise BadRequest(
            f"the body must be a JSON object like {EXAMPLE}, not a JSON {json_type(data)}",
            "not_an_object",
        )
    if "tweets" not in data:
        raise BadRequest(f"the body has no `tweets` key; send {EXAMPLE}", "tweets_missing")
    tweets = data["tweets"]
    if not isinstance(tweets, list):
        raise BadRequest(
            f"`tweets` must be a list of strings, not a JSON {json_type(tweets)}",
            "tweets_not_a_list",
        )
    if len(tweets) > max_tweets:
        raise BadRequest(
            f"{len(tweets):,} tweets in one request; the limit is {max_tweets:,} (API_MAX_TWEETS)",
            "too_many_tweets",
        )
    if not all(type(tweet) is str for tweet in tweets):
        index = next(i for i, tweet in enumerate(tweets) if type(tweet) is not str)
        raise BadRequest(
            f"tweets[{index}] must be a string, not a JSON {json_type(tweets[index])}",
            "tweet_not_a_string",
        )
    if tweets and max(map(len, tweets)) > max_chars:
        index = next(i for i, tweet in enumerate(tweets) if len(tweet) > max_chars)
        raise BadRequest(
            f"tweets[{index}] is {len(tweets[index]):,} characters; the limit is "
            f"{max_chars:,} (API_MAX_TWEET_CHARS)",
            "tweet_too_long",
        )
    if any("\x00" in tweet for tweet in tweets):
        # One rule with import and the admin, which cannot store it (docs/reliability.md).
        index = next(i for i, tweet in enumerate(tweets) if "\x00" in tweet)
        raise BadRequest(
            f"tweets[{index}] contains a NUL character (\\u0000), which is not accepted",
            "tweet_contains_nul",
        )
    if tweets:
        total = sum(map(len, tweets))
        if total > max_total_chars:
            # Scoring time grows with the characters: about 2.3 s per million on one core.
            raise BadRequest(
                f"the tweets total {total:,} characters; the limit per request is "
                f"{max_total_chars:,} (API_MAX_BATCH_CHARS): send them in several requests",
                "batch_too_long",
            )
    detail = data.get("detail", False)
    if not isinstance(detail, bool):
        raise BadRequest(
            f"`detail` must be true or false, not a JSON {json_type(detail)}", "detail_not_boolean"
        )
    return PredictRequest(tweets, detail)
