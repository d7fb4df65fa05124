"""Typed access to the environment for settings.py.

Values come from the process environment first, then from the project's `.env` file (which
`make run` creates with a generated secret key), so that a cron job or a shell without exported
variables still sees the same configuration. Bad values fail loudly with the variable's name.
"""

from __future__ import annotations

import builtins
import ipaddress
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from dotenv import dotenv_values

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# The periods Django REST framework's throttles understand (it reads the first letter).
_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


class Env:
    def __init__(self, env_file: Path | None) -> None:
        # dotenv_values reads without touching os.environ: the real environment always wins.
        values = dotenv_values(env_file) if env_file and env_file.is_file() else {}
        self._file = {k: v for k, v in values.items() if v is not None}
        self.env_file = env_file

    def get(self, name: str, default: str | None = None) -> str | None:
        if name in os.environ:
            return os.environ[name]
        return self._file.get(name, default)

    def str(self, name: str, default: str) -> str:
        value = self.get(name)
        return default if value is None or value == "" else value

    def bool(self, name: builtins.str, default: bool) -> bool:
        value = self.get(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a boolean (use 1/0, true/false, on/off)"
        )

    def int(self, name: builtins.str, default: int, *, minimum: int = 0) -> int:
        return self._number(name, default, minimum, int, "a whole number")

    def float(self, name: builtins.str, default: float, *, minimum: float = 0.0) -> float:
        return self._number(name, default, minimum, float, "a number")

    def _number(self, name, default, minimum, kind, described: builtins.str):
        value = self.get(name)
        if value is None or value.strip() == "":
            return default
        try:
            number = kind(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} is not {described}") from None
        if number < minimum:
            raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
        return number

    def choice(
        self, name: builtins.str, default: builtins.str, choices: tuple[builtins.str, ...]
    ) -> builtins.str:
        value = self.str(name, default).strip().lower()
        if value not in choices:
            raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}")
        return value

    def rate(self, name: builtins.str, default: builtins.str) -> builtins.str | None:
        """A request rate in Django REST framework's form (`600/minute`), or None for `off`."""
        value = self.str(name, default).strip().lower()
        if value in _FALSE:
            return None
        number, _, period = value.partition("/")
        if not number.isdigit() or int(number) < 1 or period not in _PERIODS:
            raise ImproperlyConfigured(
                f"{name}={value!r} is not a rate: use a count per second, minute, hour or day "
                "like 600/minute, or off"
            )
        return value

    def list(
        self, name: builtins.str, default: builtins.list[builtins.str]
    ) -> builtins.list[builtins.str]:
        value = self.get(name)
        if value is None:
            return default
        return [item.strip() for item in value.split(",") if item.strip()]

    def networks(
        self, name: builtins.str, default: builtins.list[builtins.str]
    ) -> tuple[builtins.str, ...]:
        """Comma-separated IP addresses or networks (`10.0.0.0/8`), each checked."""
        entries = self.list(name, default)
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ImproperlyConfigured(
                    f"{name}: {entry!r} is not an IP address or network like 10.0.0.0/8"
                ) from None
        return tuple(entries)

    def path(self, name: builtins.str, default: Path, *, base: Path) -> Path:
        """A path setting; relative values are taken from the project root, not the cwd."""
        value = self.get(name)
        path = Path(value) if value else default
        return path if path.is_absolute() else (base / path).resolve()
