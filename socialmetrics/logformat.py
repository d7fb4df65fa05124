"""Logs as one JSON object per line (DJANGO_LOG_FORMAT=json), for a log collector.

Built on python-json-logger's orjson formatter: every record has `timestamp` (ISO 8601, UTC),
`level`, `logger`, `message` and `pid`, plus whatever the code passed in `extra`. Two kinds of
record are turned into fields a collector can filter on:

- gunicorn's access log (`gunicorn.access`), one per request: `remote_addr`, `method`,
  `path`, `status`, `bytes`, `duration_ms`, `user_agent` and `model_version`;
- Django's request errors (`django.request`): `method` and `path` instead of the request object.

A traceback, when there is one, stays in the log line (`exc_info`), never in a response.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from pythonjsonlogger.orjson import OrjsonFormatter


def configure(config: dict[str, Any]) -> None:
    """Django's LOGGING_CONFIG: the LOGGING dict, and Python's warnings as log records too.

    Django no longer routes warnings through logging; without this they would be the only
    lines on stderr that are not JSON.
    """
    logging.config.dictConfig(config)
    logging.captureWarnings(True)


class JsonFormatter(OrjsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message", "process"])
        kwargs.setdefault(
            "rename_fields", {"levelname": "level", "name": "logger", "process": "pid"}
        )
        kwargs.setdefault("timestamp", True)
        super().__init__(*args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            fields = _access_fields(record.args)
            log_data.update(fields)
            log_data["message"] = f"{fields['method']} {fields['path']} {fields['status']}"
        request = log_data.pop("request", None)
        if request is not None:
            log_data["method"] = getattr(request, "method", None)
            log_data["path"] = getattr(request, "path", None)


def _access_fields(atoms: dict[str, Any]) -> dict[str, Any]:
    """The request's fields from gunicorn's access-log atoms (its `%(h)s`-style names)."""
    return {
        "remote_addr": _text(atoms, "h"),
        "method": _text(atoms, "m"),
        "path": _text(atoms, "U"),
        "query": _text(atoms, "q"),
        "status": _int(atoms.get("s")),
        "bytes": _int(atoms.get("B")),
        "duration_ms": round((_int(atoms.get("D")) or 0) / 1000, 3),
        "user_agent": _text(atoms, "a"),
        "model_version": _int(atoms.get("{x-model-version}o")),
    }


def _text(atoms: dict[str, Any], name: str) -> str | None:
    value = atoms.get(name)
    if not isinstance(value, str) or value in ("", "-"):
        return None
    # gunicorn escapes quotes for its own one-line format; JSON escapes them itself.
    return value.replace('\\"', '"')


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
