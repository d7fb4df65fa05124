"""The admin's JSON endpoints answer 4xx JSON to anything, never a 500 (docs/reliability.md).

The hostile inputs found by hand first, then Hypothesis: any JSON value (integers far beyond
64 bits, infinities, deep nesting, wrong types) under the keys the endpoints read, and any
bytes. The settle form (agreement/settle/, a form POST) answers a redirect with a message.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.annotation.conftest import LABEL_URL, SKIP_URL, UNDO_URL, logged_in, make_tweets

JSON_URLS = (LABEL_URL, SKIP_URL, UNDO_URL)
SETTLE_URL = reverse("admin:sentiment_tweet_agreement_settle")
BIG = 10**29
HOSTILE = [
    b'{"tweet": %d, "label": "positive"}' % BIG,
    b'{"tweet": %d, "label": "positive"}' % 2**63,
    b'{"tweet": -%d, "label": "positive"}' % BIG,
    b'{"tweet": 1e400, "label": "positive"}',
    b'{"tweet": 1, "label": "positive", "exclude": [1e400]}',
    b'{"tweet": 1, "label": "positive", "exclude": [-1e400]}',
    b'{"tweet": 1, "label": "positive", "exclude": [NaN]}',
    b'{"tweet": 1, "label": "positive", "exclude": [%d]}' % BIG,
    b'{"tweet": 1, "label": "positive", "recent": [%d]}' % BIG,
    b'{"tweet": 1, "label": "positive", "exclude": ["%d"]}' % BIG,
    b'{"tweet": 1, "label": "positive", "want": 1e400}',
    b'{"tweet": 1, "label": "positive", "want": NaN}',
    b'{"tweet": 1, "label": "positive", "want": %d}' % BIG,
    b'{"tweet": 1, "label": "positive", "order": []}',
    b'{"tweet": 1, "label": "positive", "order": {}}',
    b'{"tweet": 1, "exclude": {"a": 1}}',
    b"[" * 100_000,
    b'{"a":' * 100_000,
    b"[" * 100_000 + b"]" * 100_000,
    b'{"tweet": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b"",
    b"\xff\xfe",
    b'"just a string"',
]


@pytest.fixture
def tweets(db):
    return make_tweets(["un tweet", "un autre tweet"])


@pytest.fixture
def client(make_member, tweets):
    return logged_in(make_member("reviewers", "rev"))  # may use every endpoint


def assert_json_4xx_or_ok(response) -> None:
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"] == "application/json", response.content[:300]
    if response.status_code >= 400:
        assert json.loads(response.content)["error"]


@pytest.mark.parametrize("url", JSON_URLS)
def test_a_hostile_body_gets_a_4xx_json_answer(client, url):
    for body in HOSTILE:  # one test per endpoint: the setup is the slow part
        response = client.post(url, body, content_type="application/json")

        assert_json_4xx_or_ok(response)
        assert 400 <= response.status_code < 500, body[:60]


@pytest.mark.parametrize("label", ['["positive"]', '{"a": 1}', "null", "1e400", '"POSITIVE"'])
def test_a_label_that_is_not_a_label_word_gets_a_400(client, tweets, label):
    body = f'{{"tweet": {tweets[0].pk}, "label": {label}}}'

    response = client.post(LABEL_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert "label must be one of" in response.json()["error"]


@pytest.mark.parametrize("tweet", [str(BIG), str(2**63), "1e400", "-5", "", "[]", "१२"])
def test_the_settle_form_refuses_a_hostile_tweet_id_with_a_message(client, tweet):
    response = client.post(SETTLE_URL, {"tweet": tweet, "label": "positive"}, follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages
    assert all("settled" not in m for m in messages), messages


# Any JSON: integers of any size, every float including infinities, nesting.
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**64)
    | st.sampled_from([BIG, -BIG, 10**400])
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["positive", "negative", "neutral", "uncertain", "random", "1"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=20,
)
keys = st.sampled_from(["tweet", "label", "exclude", "recent", "want", "order"]) | st.text(
    max_size=5
)
bodies = st.dictionaries(keys, values, max_size=6).map(
    lambda d: json.dumps(d).encode()  # Infinity and NaN: Python's json reads them back
) | st.binary(max_size=200)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples in every CI run
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(url=st.sampled_from(JSON_URLS), body=bodies)
def test_fuzz_the_json_endpoints(client, url, body):
    assert_json_4xx_or_ok(client.post(url, body, content_type="application/json"))


@FUZZ
@given(tweet=st.text(max_size=30) | st.integers().map(str), label=st.text(max_size=10))
def test_fuzz_the_settle_form(client, tweet, label):
    response = client.post(SETTLE_URL, {"tweet": tweet, "label": label})

    assert response.status_code == 302
