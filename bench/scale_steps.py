"""The steps of bench/scale.py that run inside Django, each in a process of its own.

    python bench/scale_steps.py admin|refresh

bench/scale.py starts this script (with the benchmark's environment) so that a step's wall
time and peak memory are those of its own process; the step prints one line,
`RESULT <json>`, that scale.py reads.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable

ADMIN_PAGES = (
    ("tweet list", "/admin/sentiment/tweet/"),
    ("?labeled=no", "/admin/sentiment/tweet/?labeled=no"),
    ("annotation view", "/admin/sentiment/tweet/annotate/"),
    ("annotation view, priority order", "/admin/sentiment/tweet/annotate/?order=priority"),
)


def admin_pages() -> dict:
    """Median of 5 requests per admin page, its query count and the tweets queries' plans."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    users = get_user_model().objects
    user = users.filter(username="bench").first() or users.create_superuser(
        "bench",
        password="bench-only-password",  # noqa: S106  (the benchmark's own database)
    )
    client = Client()
    client.force_login(user)
    result = {}
    for name, url in ADMIN_PAGES:
        client.get(url)  # warm caches once
        times = []
        for _ in range(5):
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        result[name] = {
            "status": response.status_code,
            "median_s": round(statistics.median(times), 3),
            "queries": len(captured.captured_queries),
            "plans": _plans(connection, captured.captured_queries),
        }
    return result


def _plans(connection, queries: list[dict]) -> list[dict]:
    """EXPLAIN of each SELECT on the tweets table (MySQL/MariaDB only)."""
    plans = []
    for query in queries:
        sql = query["sql"]
        if "`tweets`" in sql and sql.startswith("SELECT") and connection.vendor == "mysql":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql)
                columns = [c[0] for c in cursor.description]
                for row in cursor.fetchall():
                    plan = dict(zip(columns, row, strict=True))
                    plans.append(
                        {
                            "sql": sql[:160],
                            "key": plan.get("key"),
                            "rows": plan.get("rows"),
                            "extra": plan.get("Extra"),
                        }
                    )
    return plans


def refresh() -> dict:
    """Rescore every unlabelled tweet with the active model."""
    from sentiment.models import ModelVersion
    from sentiment.services.scoring import refresh_predictions

    return {"scored": refresh_predictions(ModelVersion.objects.active())}


STEPS: dict[str, Callable[[], dict]] = {"admin": admin_pages, "refresh": refresh}


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in STEPS:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(STEPS)}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialmetrics.settings")
    import django

    django.setup()
    print("RESULT", json.dumps(STEPS[sys.argv[1]]()))


if __name__ == "__main__":
    main()
