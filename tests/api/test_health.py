def test_health_names_the_serving_version(client, active_model):
    response = client.get("/api/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "model_version": active_model.pk}


def test_health_is_503_without_a_model(client, db):
    response = client.get("/api/health")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["model_version"] is None
