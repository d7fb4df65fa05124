"""The OpenAPI schema at /api/schema/ and the interactive docs at /api/docs/, served offline."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from urllib.parse import urljoin, urlparse

import jsonschema
import pytest
import yaml
from drf_spectacular.validation import validate_schema

from tests.conftest import ROOT

ERROR_STATUSES = ["400", "401", "411", "413", "415", "429", "503"]


@pytest.fixture(scope="module")
def schema() -> dict:
    from django.test import Client

    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]


def validator_for(schema: dict, name: str) -> jsonschema.Draft4Validator:
    """A JSON Schema validator for one component (OpenAPI 3.0 schemas are Draft 4's kin)."""
    root = {"components": schema["components"], "allOf": [{"$ref": f"#/components/schemas/{name}"}]}
    return jsonschema.Draft4Validator(root)


def test_the_schema_is_valid_openapi_generated_without_warnings(tmp_path):
    result = subprocess.run(
        [
            *(sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn"),
            *("--file", str(tmp_path / "schema.yaml")),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    validate_schema(yaml.safe_load((tmp_path / "schema.yaml").read_text()))


def test_the_schema_is_served_as_yaml_by_default(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content)["paths"]


def test_it_documents_predict_health_model_and_jobs(schema):
    assert set(schema["paths"]) == {
        "/api/predict",
        "/api/health",
        "/api/model",
        "/api/jobs",
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/result",
    }
    assert set(schema["paths"]["/api/predict"]) == {"post"}
    assert "POST /predict" in schema["paths"]["/api/predict"]["post"]["description"]


def test_predict_documents_both_formats(schema):
    predict = schema["paths"]["/api/predict"]["post"]
    request = component(schema, "PredictRequest")
    answer = predict["responses"]["200"]["content"]["application/json"]

    assert request["required"] == ["tweets"]
    assert request["properties"]["detail"] == {**request["properties"]["detail"], "default": False}
    assert answer["schema"] == {"$ref": "#/components/schemas/PredictResponse"}
    assert component(schema, "PredictResponse")["oneOf"] == [
        {"$ref": "#/components/schemas/PredictScores"},
        {"$ref": "#/components/schemas/PredictDetail"},
    ]
    assert component(schema, "PredictScores")["additionalProperties"]["maximum"] == 1
    assert set(component(schema, "PredictDetail")["required"]) == {"model_version", "results"}
    assert "X-Model-Version" in predict["responses"]["200"]["headers"]


def test_the_documented_limits_are_the_servers(schema, settings):
    tweets = component(schema, "PredictRequest")["properties"]["tweets"]

    assert tweets["maxItems"] == settings.API_MAX_TWEETS
    assert tweets["items"]["maxLength"] == settings.API_MAX_TWEET_CHARS


def test_every_error_status_is_documented_with_the_error_body(schema):
    responses = schema["paths"]["/api/predict"]["post"]["responses"]

    for status in ERROR_STATUSES:
        content = responses[status]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/Error"}, status
        for example in content["examples"].values():
            validator_for(schema, "Error").validate(example["value"])
    assert sorted(component(schema, "Error")["required"]) == ["detail", "error"]
    assert "Retry-After" in responses["429"]["headers"]


def test_the_documented_examples_are_what_the_api_answers(schema, client, active_model):
    content = schema["paths"]["/api/predict"]["post"]
    requests = content["requestBody"]["content"]["application/json"]["examples"]
    answers = content["responses"]["200"]["content"]["application/json"]["examples"]
    validator = validator_for(schema, "PredictResponse")
    answered = {
        name: client.post("/api/predict", data=example["value"], content_type="application/json")
        for name, example in requests.items()
    }

    assert set(requests) == set(answers) == {"Scores", "Detailed"}
    for name, response in answered.items():
        assert response.status_code == 200
        validator.validate(response.json())
        validator.validate(answers[name]["value"])
    assert list(answered["Scores"].json()) == list(answers["Scores"]["value"])
    detailed, documented = answered["Detailed"].json(), answers["Detailed"]["value"]
    assert set(detailed) == set(documented)
    assert set(detailed["results"][0]) == set(documented["results"][0])


def test_the_interactive_docs_load_everything_from_this_server(live_server):
    with urllib.request.urlopen(live_server.url + "/api/docs/") as response:
        page = response.read().decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)

    assert len(assets) >= 5  # the icon, the stylesheet, the two scripts, the start-up script
    loaded = []
    for asset in assets:
        url = urljoin(live_server.url + "/api/docs/", asset)
        assert urlparse(url).netloc == urlparse(live_server.url).netloc, asset
        with urllib.request.urlopen(url) as response:
            assert response.status == 200
            loaded.append(response.read())
            assert loaded[-1], asset
    # The start-up script is a file of its own (no inline script under the CSP): it names
    # the schema.
    assert any(b"/api/schema/" in body for body in loaded)
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)", page)
