def test_the_home_page_says_which_model_serves_and_how_to_call_it(client, active_model):
    response = client.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Model version {active_model.pk} is serving" in page
    assert "curl -X POST http://testserver/api/predict" in page
    assert 'src="/static/sentiment/home.js"' in page


def test_without_a_model_it_says_what_to_run(client, db):
    assert "python manage.py retrain" in client.get("/").content.decode()


def test_with_token_auth_the_page_says_the_form_needs_a_token(client, db, settings):
    """The browser form sends no token: with API_AUTH=token it could only get 401."""
    settings.API_AUTH = "token"

    page = client.get("/").content.decode()

    assert 'id="try"' not in page  # no form that can only fail
    assert "needs a token" in page
    assert "Authorization: Token" in page
    assert "manage.py api_token" in page


def test_with_an_open_api_the_page_has_the_form(client, db, settings):
    settings.API_AUTH = "open"

    page = client.get("/").content.decode()

    assert 'id="try"' in page
    assert "Authorization: Token" not in page
