"""Logs as one JSON object per line (DJANGO_LOG_FORMAT=json), for a log collector.

Built on python-json-logger's orjson formatter: every record has `timestamp` (ISO 8601, UTC),
`level`, `logger`, `message` and `pid`, plus whatever the code passed in `extra`. Two kinds of
record are turned into fields a collector can filter on:

- gunicorn's access log (`gunicorn.access`), one per request: `remote_addr`, `method`,
  `path`, `query`, `status`, `bytes`, `duration_ms`, `user_agent` and `model_version`, written
  by `JsonAccessLogger` (the `logger_class` of socialmetrics/gunicorn.py's JSON configuration);
- Django's request errors (`django.request`): `method` and `path` instead of the request object.

A traceback, when there is one, stays in the log line (`exc_info`), never in a response.
"""

from __future__ import annotations

import logging
import logging.config
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from gunicorn.glogging import Logger as GunicornLogger
from pythonjsonlogger.orjson import OrjsonFormatter

ACCESS_LOGGER = "gunicorn.access"
ACCESS_FIELDS = (
    "remote_addr",
    "method",
    "path",
    "query",
    "status",
    "bytes",
    "duration_ms",
    "user_agent",
    "model_version",
)


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

    def format(self, record: logging.LogRecord) -> str:
        # The access record is written once per request: its fixed fields go straight to
        # orjson instead of through python-json-logger's generic merge of the record's
        # attributes (a third of its cost; docs/benchmarks.md). Same fields, same order.
        if record.name == ACCESS_LOGGER and "duration_ms" in record.__dict__:
            fields = record.__dict__
            line = {
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
                "pid": record.process,
                "timestamp": datetime.fromtimestamp(record.created, tz=UTC),
            }
            for name in ACCESS_FIELDS:
                line[name] = fields[name]
            return orjson.dumps(line).decode()
        return super().format(record)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        request = log_data.pop("request", None)
        if request is not None:
            log_data["method"] = getattr(request, "method", None)
            log_data["path"] = getattr(request, "path", None)


class JsonAccessLogger(GunicornLogger):
    """gunicorn's logger, whose access records carry the request's fields as attributes.

    gunicorn's own `access` first builds its "atoms", a dict of every request and response
    header and a dozen formatted values, for a one-line format this configuration never uses.
    """

    def access(self, resp: Any, req: Any, environ: dict, request_time: timedelta) -> None:
        if not self.access_log_enabled or not self.access_log.isEnabledFor(logging.INFO):
            return
        fields = access_fields(resp, environ, request_time)
        self.access_log.info(
            "%s %s %s", fields["method"], fields["path"], fields["status"], extra=fields
        )


def access_fields(resp: Any, environ: dict, request_time: timedelta) -> dict[str, Any]:
    """The access record's fields, from gunicorn's response object and the WSGI environ."""
    version = None
    for name, value in resp.headers:
        if name.lower() == "x-model-version":
            version = _int(value)
    # status_code is set by start_response; gunicorn's own error answers only have `status`.
    status = getattr(resp, "status_code", None) or _status(resp.status)
    return {
        "remote_addr": environ.get("REMOTE_ADDR") or None,
        "method": environ.get("REQUEST_METHOD"),
        "path": environ.get("PATH_INFO"),
        "query": environ.get("QUERY_STRING") or None,
        "status": status,
        "bytes": getattr(resp, "sent", None),
        "duration_ms": round(request_time / timedelta(milliseconds=1), 3),
        "user_agent": environ.get("HTTP_USER_AGENT") or None,
        "model_version": version,
    }


def _status(status: Any) -> int | None:
    # "500 Internal Server Error", or None before anything answered
    return _int(str(status).split(None, 1)[0]) if status else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
