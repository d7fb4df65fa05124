"""Configuration from the environment, with clear errors for what is missing or wrong."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

SHOW = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'db': settings.DATABASES['default'], "
    "'models': str(settings.SENTIMENT_MODEL_DIR), 'hosts': settings.ALLOWED_HOSTS}, default=str))"
)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "socialmetrics.settings",
        "SOCIALMETRICS_ENV_FILE": "",
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd="/tmp",
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_with(env: dict[str, str]) -> dict:
    result = run({"PYTHONPATH": str(ROOT), **env}, "-c", SHOW)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_secret_key_is_required_when_debug_is_off():
    result = run({"DJANGO_DEBUG": "off"}, str(ROOT / "manage.py"), "check")

    assert result.returncode == 1
    assert "Configuration error: DJANGO_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_mode_runs_without_a_secret_key():
    result = run({"DJANGO_DEBUG": "on"}, str(ROOT / "manage.py"), "check")

    assert result.returncode == 0, result.stderr


def test_a_mysql_url_uses_utf8mb4_for_connections_and_test_databases():
    db = settings_with(
        {"DJANGO_SECRET_KEY": "x", "DATABASE_URL": "mysql://u:p%40ss@db:3307/tweets"}
    )["db"]

    assert db["ENGINE"] == "django.db.backends.mysql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "tweets",
        "u",
        "p@ss",
        "db",
        3307,
    )
    assert db["OPTIONS"]["charset"] == "utf8mb4"
    assert db["TEST"]["CHARSET"] == "utf8mb4"
    assert db["TEST"]["COLLATION"].startswith("utf8mb4")


def test_the_default_database_is_sqlite_under_var():
    db = settings_with({"DJANGO_SECRET_KEY": "x"})["db"]

    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(ROOT / "var" / "db.sqlite3")


def test_relative_paths_are_taken_from_the_project_root_not_the_cwd():
    values = settings_with({"DJANGO_SECRET_KEY": "x", "SENTIMENT_MODEL_DIR": "data/models"})

    assert values["models"] == str(ROOT / "data" / "models")


def test_allowed_hosts_come_from_the_environment():
    values = settings_with(
        {"DJANGO_SECRET_KEY": "x", "DJANGO_ALLOWED_HOSTS": "a.example, b.example"}
    )

    assert values["hosts"] == ["a.example", "b.example"]


def test_a_bad_value_names_its_variable():
    result = run({"DJANGO_DEBUG": "maybe"}, str(ROOT / "manage.py"), "check")

    assert result.returncode == 1
    assert "DJANGO_DEBUG='maybe' is not a boolean" in result.stderr


def test_a_bad_database_url_names_its_variable():
    result = run(
        {"DJANGO_SECRET_KEY": "x", "DATABASE_URL": "nosuchdb://x"}, str(ROOT / "manage.py"), "check"
    )

    assert result.returncode == 1
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_values_are_read_from_the_env_file_and_the_environment_wins(tmp_path):
    env_file = tmp_path / "custom.env"
    env_file.write_text("DJANGO_SECRET_KEY=from-file\nDJANGO_ALLOWED_HOSTS=file.example\n")

    from_file = settings_with({"SOCIALMETRICS_ENV_FILE": str(env_file)})
    overridden = settings_with(
        {"SOCIALMETRICS_ENV_FILE": str(env_file), "DJANGO_ALLOWED_HOSTS": "env.example"}
    )

    assert from_file["hosts"] == ["file.example"]
    assert overridden["hosts"] == ["env.example"]
