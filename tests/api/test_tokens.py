"""API_AUTH=token: predict and model need a DRF token; `manage.py api_token` manages them."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from tests.conftest import install_version
from tests.servers import get, gunicorn, post_json

TWEETS = {"tweets": ["lovely weather"]}


def api_token(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


@pytest.fixture
def token_server(subprocess_env, trained_artifacts, isolated_model_dir, tmp_path):
    """A gunicorn with API_AUTH=token, started on demand with extra settings."""
    install_version(trained_artifacts, isolated_model_dir)

    def start(**settings: str):
        env = {**subprocess_env, "API_AUTH": "token", **settings}
        return gunicorn(env, tmp_path / "gunicorn.log")

    return start


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


# --- the command ----------------------------------------------------------------------------


def test_it_makes_a_token_for_a_user_and_prints_only_the_key(db):
    user = get_user_model().objects.create_user("analyst", password="x-long-password")

    key, message = api_token("analyst")

    assert Token.objects.get(user=user).key == key
    assert len(key) == 40
    assert "New API token of analyst" in message


def test_asking_again_gives_the_same_token(db):
    get_user_model().objects.create_user("analyst")
    first, _ = api_token("analyst")

    again, message = api_token("analyst")

    assert again == first
    assert "Existing API token" in message


def test_rotate_replaces_the_token(db):
    get_user_model().objects.create_user("analyst")
    old, _ = api_token("analyst")

    new, _ = api_token("analyst", "--rotate")

    assert new != old
    assert list(Token.objects.values_list("key", flat=True)) == [new]


def test_revoke_deletes_the_token(db):
    get_user_model().objects.create_user("analyst")
    api_token("analyst")

    api_token("analyst", "--revoke")

    assert not Token.objects.exists()
    with pytest.raises(CommandError, match="has no API token"):
        api_token("analyst", "--revoke")


def test_an_unknown_user_is_refused_with_what_to_do(db):
    with pytest.raises(CommandError, match=r"there is no user 'ghost'.*--create-user"):
        api_token("ghost")

    assert not get_user_model().objects.exists()


def test_create_user_makes_an_account_that_cannot_log_in(db):
    key, message = api_token("etl-robot", "--create-user")

    user = get_user_model().objects.get(username="etl-robot")
    assert Token.objects.get(user=user).key == key
    assert not user.has_usable_password()
    assert not user.is_staff
    assert not user.is_superuser
    assert "Created the API-only user etl-robot" in message


def test_tokens_are_listed_in_the_admin(admin_client, db):
    get_user_model().objects.create_user("analyst")
    api_token("analyst")

    page = admin_client.get("/admin/authtoken/tokenproxy/")

    assert page.status_code == 200
    assert "analyst" in page.content.decode()


# --- the API with API_AUTH=token -------------------------------------------------------------


@pytest.mark.slow
def test_with_token_auth_predict_and_model_need_a_valid_token(token_server):
    get_user_model().objects.create_user("analyst")
    key, _ = api_token("analyst")

    with token_server() as server:
        anonymous = post_json(server.url + "/api/predict", TWEETS)
        wrong = post_json(server.url + "/api/predict", TWEETS, headers=auth("0" * 40))
        good = post_json(server.url + "/api/predict", TWEETS, headers=auth(key))
        model_anonymous = get(server.url + "/api/model")
        model_good = get(server.url + "/api/model", headers=auth(key))
        health = get(server.url + "/api/health")
        docs = get(server.url + "/api/schema/")

    assert anonymous[0] == 401
    assert anonymous[1]["WWW-Authenticate"] == "Token"
    assert json.loads(anonymous[2])["error"] == "not_authenticated"
    assert (wrong[0], json.loads(wrong[2])["error"]) == (401, "authentication_failed")
    assert good[0] == 200
    assert list(json.loads(good[2])) == TWEETS["tweets"]
    assert (model_anonymous[0], model_good[0]) == (401, 200)
    assert health[0] == 200
    assert docs[0] == 200
    assert b"Token" in docs[2]  # the schema documents the token scheme


@pytest.mark.slow
def test_a_rotated_token_stops_working(token_server):
    get_user_model().objects.create_user("analyst")
    old, _ = api_token("analyst")

    with token_server(API_TOKEN_CACHE_SECONDS="0") as server:
        before = post_json(server.url + "/api/predict", TWEETS, headers=auth(old))[0]
        new, _ = api_token("analyst", "--rotate")
        with_old = post_json(server.url + "/api/predict", TWEETS, headers=auth(old))[0]
        with_new = post_json(server.url + "/api/predict", TWEETS, headers=auth(new))[0]

    assert (before, with_old, with_new) == (200, 401, 200)


@pytest.mark.slow
def test_each_token_owner_has_a_limit_of_their_own(token_server, tmp_path):
    for name in ("alice", "bob"):
        get_user_model().objects.create_user(name)
    alice, _ = api_token("alice")
    bob, _ = api_token("bob")

    with token_server(
        API_THROTTLE_USER="2/minute", DJANGO_CACHE_DIR=str(tmp_path / "cache")
    ) as server:
        statuses = [
            post_json(server.url + "/api/predict", TWEETS, headers=auth(key))[0]
            for key in (alice, alice, alice, bob)
        ]

    assert statuses == [200, 200, 429, 200]


def test_while_the_api_is_open_no_token_is_looked_at(client, active_model):
    response = client.post(
        "/api/predict", data=TWEETS, content_type="application/json", HTTP_AUTHORIZATION="Token x"
    )

    assert response.status_code == 200
