"""A short run of bench/load_test.py: predict under load through a retrain and an activation."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_under_load_a_retrain_and_activation_lose_no_request(
    subprocess_env, isolated_model_dir, tmp_path
):
    results = tmp_path / "results.json"

    run = subprocess.run(
        [
            *(sys.executable, "bench/load_test.py", "--duration", "12", "--retrain-at", "4"),
            *("--after", "4", "--database-url", subprocess_env["DATABASE_URL"]),
            *("--model-dir", str(isolated_model_dir), "--report", "none", "--json", str(results)),
        ],
        cwd=ROOT,
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    r = json.loads(results.read_text())
    assert r["failures"] == 0
    assert all(phase["requests"] > 0 for phase in r["phases"].values())
    assert sorted(r["retrain_exits"]) == [0, 1]
    assert "another retrain is running" in r["refusal"]
    assert r["first_new_answer_s"] is not None
    assert r["last_old_answer_s"] < 10  # every worker switched within a few reload checks
