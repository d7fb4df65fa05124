"""Every page works under the Content-Security-Policy, in a real browser (docs/reliability.md).

The policy allows scripts from the server itself only. Each page is loaded with a listener for
`securitypolicyviolation` events, then used as a person would (its scripts must run), and no
violation may be reported, in the events or in the console.
"""

from __future__ import annotations

import pytest

from sentiment.models import Tweet
from tests.browser.conftest import log_in
from tests.conftest import install_version

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`);
});
"""


@pytest.fixture
def watched(page):
    page.set_default_timeout(60_000)  # Swagger UI's bundle is large for a busy 2-core machine
    page.add_init_script(LISTEN)
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    responses: list = []
    page.on(
        "response", lambda r: responses.append(r) if r.request.is_navigation_request() else None
    )
    page.console_violations = console
    page.navigations = responses
    return page


def assert_no_violation(page) -> None:
    assert page.evaluate("window.__violations") == []
    assert page.console_violations == []
    assert page.errors == []
    for response in page.navigations:
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, response.url


@pytest.fixture
def model(transactional_db, trained_artifacts, isolated_model_dir):
    return install_version(trained_artifacts, isolated_model_dir)


def test_the_home_page_form_works_under_the_policy(watched, model):
    watched.goto("/")
    watched.click("button[type=submit]")
    # Locators, not wait_for_function: Playwright evaluates a string, which the policy refuses.
    watched.locator("#answer", has_text="HTTP").wait_for()

    assert watched.inner_text("#answer").startswith("HTTP 200")
    assert_no_violation(watched)


def test_swagger_ui_works_under_the_policy(watched, model):
    watched.goto("/api/docs/")
    watched.wait_for_selector(".swagger-ui .info .title")
    watched.locator(".opblock-summary").first.click()  # its scripts run
    watched.wait_for_selector(".opblock-body")

    assert "socialmetrics" in watched.inner_text(".swagger-ui .info .title")
    assert_no_violation(watched)


def test_the_admin_annotation_page_and_dashboard_work_under_the_policy(watched, model, make_member):
    for n in range(5):
        Tweet.objects.create(text=f"tweet numéro {n} à annoter")
    make_member("admins", "boss")
    log_in(watched, "boss")
    assert_no_violation(watched)

    watched.goto("/admin/sentiment/tweet/")
    watched.click("#action-toggle")  # the admin's own actions.js
    assert watched.locator("input.action-select:checked").count() > 0

    watched.goto("/admin/sentiment/tweet/annotate/")
    watched.locator("#annotate-text", has_text=" ").wait_for()
    watched.keyboard.press("1")
    watched.locator("#annotate-done", has_text="1 labelled").wait_for()

    watched.goto("/admin/sentiment/modelversion/dashboard/")
    watched.wait_for_selector("svg")

    assert_no_violation(watched)
