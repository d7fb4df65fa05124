def test_the_home_page_says_which_model_serves_and_how_to_call_it(client, active_model):
    response = client.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Model version {active_model.pk} is serving" in page
    assert "curl -X POST http://testserver/api/predict" in page
    assert 'src="/static/sentiment/home.js"' in page


def test_without_a_model_it_says_what_to_run(client, db):
    assert "python manage.py retrain" in client.get("/").content.decode()
