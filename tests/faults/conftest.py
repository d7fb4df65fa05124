"""A database the test can take away from a server or a command, and give back.

MariaDB/MySQL: the process under test connects through a TCP proxy that the test cuts.
SQLite: the process under test uses a copy of the test database, whose file the test replaces
by a directory of the same name (the path can no longer be opened), then puts back. SQLite has
no server to lose; that is the nearest real failure: a disk or mount gone.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import database_url_for_subprocess, using_mysql
from tests.faults.tcp_proxy import TcpProxy


@dataclass
class AwayDatabase:
    url: str  # what the process under test connects to
    direct_url: str  # for the test's own commands, never cut
    proxy: TcpProxy | None = None
    path: Path | None = None

    def cut(self) -> None:
        if self.proxy is not None:
            self.proxy.cut()
            return
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.rename(f"{self.path}{suffix}.away")
        self.path.mkdir()

    def restore(self) -> None:
        if self.proxy is not None:
            self.proxy.restore()
            return
        self.path.rmdir()
        for suffix in ("", "-wal", "-shm"):
            moved = Path(f"{self.path}{suffix}.away")
            if moved.exists():
                moved.rename(f"{self.path}{suffix}")


@pytest.fixture
def away_database(subprocess_env, tmp_path):
    """Call it once the test data is committed; it returns an AwayDatabase."""
    made: list[AwayDatabase] = []

    def make() -> AwayDatabase:
        if using_mysql():
            direct = database_url_for_subprocess()
            parts = urlsplit(direct)
            proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 3306)
            netloc = parts.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{proxy.port}"
            away = AwayDatabase(urlunsplit(parts._replace(netloc=netloc)), direct, proxy=proxy)
        else:
            from django.db import connection

            copy = tmp_path / "away.sqlite3"
            source, target = (
                sqlite3.connect(connection.settings_dict["NAME"]),
                sqlite3.connect(copy),
            )
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            away = AwayDatabase(f"sqlite:///{copy}", f"sqlite:///{copy}", path=copy)
        made.append(away)
        return away

    yield make
    for away in made:
        if away.proxy is not None:
            away.proxy.close()
        elif away.path is not None and away.path.is_dir():
            shutil.rmtree(away.path)
