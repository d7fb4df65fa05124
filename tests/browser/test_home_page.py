"""The home page's form scores tweets through the API, in a real browser."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_form_scores_the_tweets_typed_in(
    page, transactional_db, trained_artifacts, isolated_model_dir
):
    from tests.conftest import install_version

    install_version(trained_artifacts, isolated_model_dir)
    page.goto("/")

    page.fill("#tweets", "I love this so much 😍\nquelle horreur, je déteste 😡")
    page.click("button[type=submit]")
    page.locator("#answer", has_text="HTTP").wait_for()  # no string evaluation under the CSP

    answer = page.inner_text("#answer")
    assert answer.startswith("HTTP 200")
    assert "I love this so much 😍" in answer
    assert page.errors == []
