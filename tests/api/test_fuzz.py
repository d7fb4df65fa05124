"""Property-based fuzzing of the API from its own OpenAPI schema (schemathesis + Hypothesis).

Every operation in /api/schema/ is called with bodies, headers and methods generated from the
schema, valid ones and invalid ones. Each answer must conform to the schema (status code,
headers, body), and none may be a server error or anything but JSON. A fixed seed and a
bounded number of examples keep the run short and repeatable.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from schemathesis import GenerationMode

from tests.conftest import install_version

EXAMPLES_PER_OPERATION = 1000

# The WSGI application gunicorn serves, called in process: schemathesis's pytest fixture
# loader does not work with this pytest, so the schema is fetched once, at collection.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
# Submitting a file job: schemathesis sends the multipart `file` part without a file name,
# which Django (rightly) reads as a form field, not an upload. tests/jobs/test_jobs_api.py
# covers that operation with real files; reading and following jobs stays fuzzed here.
schema = schema.exclude(path="/api/jobs", method="POST")
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES_PER_OPERATION,
    deterministic=True,
    database="none",
)


@pytest.fixture(scope="module")
def calls():
    seen: Counter = Counter()
    yield seen
    print("\nfuzz calls by operation and status:", dict(sorted(seen.items())))


@pytest.fixture(autouse=True)
def serving_model(transactional_db, trained_artifacts, isolated_model_dir):
    install_version(trained_artifacts, isolated_model_dir)


@schema.parametrize()
def test_the_api_conforms_to_its_schema_whatever_it_is_sent(case, calls):
    response = case.call_and_validate()

    calls[f"{case.operation.label} {response.status_code}"] += 1
    assert response.status_code < 500
    assert response.headers["content-type"] == ["application/json"]
