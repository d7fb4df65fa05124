"""Production settings: Django's deployment checklist passes with the documented environment,
and the demo (`make run`, DEBUG on) still works on plain http://127.0.0.1."""

from __future__ import annotations

import http.cookiejar
import json
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import ROOT
from tests.servers import free_port, gunicorn, wait_until_answering

PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "sentiment.example.com",
}
SHOW = (
    "import json, django; from django.conf import settings as s; django.setup(); print(json.dumps("
    "{k: getattr(s, k, None) for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
    "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', "
    "'SILENCED_SYSTEM_CHECKS', 'LOG_FORMAT')}))"
)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "SOCIALMETRICS_ENV_FILE": "", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *args],
        cwd="/tmp",
        env={**base, "DJANGO_SETTINGS_MODULE": "socialmetrics.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(env, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING")


def settings_with(env: dict[str, str]) -> dict:
    result = run(env, "-c", SHOW)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_deployment_checklist_passes_with_the_documented_environment():
    result = check_deploy(PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (2 silenced)." in result.stdout


def test_behind_tls_with_hsts_it_passes_with_nothing_silenced():
    result = check_deploy(
        {
            **PRODUCTION,
            "DJANGO_SECURE_SSL_REDIRECT": "1",
            "DJANGO_SECURE_HSTS_SECONDS": "31536000",
            "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
            "DJANGO_SECURE_HSTS_PRELOAD": "1",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        }
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("env", "check"),
    [
        ({"DJANGO_SECRET_KEY": "short"}, "security.W009"),
        ({"DJANGO_DEBUG": "1"}, "security.W018"),
        ({"DJANGO_SECURE_COOKIES": "0"}, "security.W012"),
    ],
)
def test_the_checklist_fails_on_an_unsafe_setting(env, check):
    result = check_deploy({**PRODUCTION, **env})

    assert result.returncode == 1
    assert check in result.stderr


def test_only_the_checks_that_belong_to_the_proxy_are_silenced():
    values = settings_with(PRODUCTION)

    assert values["SILENCED_SYSTEM_CHECKS"] == ["security.W008", "security.W004"]
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0


def test_cookies_are_secure_in_production_and_not_in_development():
    production = settings_with(PRODUCTION)
    development = settings_with({"DJANGO_DEBUG": "1"})

    assert production["SESSION_COOKIE_SECURE"] is production["CSRF_COOKIE_SECURE"] is True
    assert development["SESSION_COOKIE_SECURE"] is development["CSRF_COOKIE_SECURE"] is False


def test_the_tls_settings_come_from_the_environment():
    values = settings_with(
        {
            **PRODUCTION,
            "DJANGO_SECURE_SSL_REDIRECT": "on",
            "DJANGO_SECURE_HSTS_SECONDS": "3600",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        }
    )

    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 3600
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_logs_are_json_in_production_and_plain_in_development():
    assert settings_with(PRODUCTION)["LOG_FORMAT"] == "json"
    assert settings_with({"DJANGO_DEBUG": "1"})["LOG_FORMAT"] == "plain"


# --- the admin login over plain HTTP --------------------------------------------------------


def log_in(base_url: str, password: str) -> tuple[int, str]:
    """Log in to the admin like a browser: cookies (Secure ones only over HTTPS), CSRF token."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    form = opener.open(base_url + "/admin/login/?next=/admin/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"username": "admin", "password": password, "csrfmiddlewaretoken": token, "next": "/admin/"}
    ).encode()
    request = urllib.request.Request(
        base_url + "/admin/login/?next=/admin/", data=data, headers={"Referer": base_url}
    )
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def admin_password(transactional_db) -> str:
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_superuser("admin", password=password)
    return password


@pytest.mark.slow
def test_the_admin_login_works_on_plain_http_in_the_demo(subprocess_env, admin_password, tmp_path):
    """`make run`: runserver with DJANGO_DEBUG=1 on http://127.0.0.1."""
    port = free_port()
    env = {**subprocess_env, "DJANGO_DEBUG": "1"}
    with open(tmp_path / "runserver.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(base + "/api/health", server, tmp_path / "runserver.log")
        status, page = log_in(base, admin_password)
    finally:
        server.terminate()
        server.wait(timeout=10)

    assert status == 200
    assert "Site administration" in page


@pytest.mark.slow
def test_in_production_the_admin_refuses_a_login_over_plain_http(
    subprocess_env, admin_password, tmp_path
):
    """Secure cookies: the browser never sends the CSRF cookie back without TLS."""
    with gunicorn(subprocess_env, tmp_path / "gunicorn.log", ready_status=None) as server:
        status, page = log_in(server.url, admin_password)

    assert status == 403
    assert "CSRF" in page
