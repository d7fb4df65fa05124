"""GET /api/model describes the active version: when, on what, and how well."""


def test_it_describes_the_active_version(client, active_model):
    response = client.get("/api/model")

    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == active_model.pk
    assert response["X-Model-Version"] == str(active_model.pk)
    assert body["train_counts"] == active_model.label_counts
    assert body["trained_at"].startswith(active_model.created_at.date().isoformat())
    metrics = body["metrics"]
    assert metrics["macro_recall"] == active_model.metrics["macro_recall"]
    assert metrics["confusion_matrix"]["labels"] == ["negative", "neutral", "positive"]
    assert len(metrics["confusion_matrix"]["matrix"]) == 3


def test_it_is_503_without_a_model(client, db):
    response = client.get("/api/model")

    assert response.status_code == 503
    assert response.json()["error"] == "model_unavailable"
