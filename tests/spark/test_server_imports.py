"""The web server never imports pyspark: Spark scoring is an optional, separate entry point."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

CHECK = """
import sys
import django
from django.conf import settings
django.setup()
from socialmetrics.wsgi import application
from django.urls import get_resolver
get_resolver().url_patterns  # every view module, the admin's included
import sentiment.admin, sentiment.services.prediction, sentiment.services.scoring
spark = sorted(name for name in sys.modules if name.split(".")[0] in {"pyspark", "py4j"})
print("spark modules:", spark)
"""


def test_the_web_server_loads_without_importing_pyspark():
    done = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "socialmetrics.settings",
            "DJANGO_SECRET_KEY": "tests-only-not-secret",
            "SOCIALMETRICS_ENV_FILE": "",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "spark modules: []" in done.stdout
