"""The environment of a service a benchmark starts: its own database, models and logs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sandbox_env(work: Path, **extra: str) -> dict[str, str]:
    """A clean environment for `manage.py`, gunicorn or a worker, whose state lives in `work`
    (SQLite database, model versions, logs) and never in the project's `.env` or `var/`."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "SOCIALMETRICS_ENV_FILE": "",
        "DJANGO_SECRET_KEY": "bench-only",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "SENTIMENT_MODEL_DIR": str(work / "models"),
        "SENTIMENT_LOG_DIR": str(work / "log"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def ml_code_fingerprint() -> str:
    """A digest of the ML code: a model pickled by other code may not load, or may differ."""
    code = b"".join(p.read_bytes() for p in sorted((ROOT / "sentiment" / "ml").glob("*.py")))
    return hashlib.sha256(code).hexdigest()
