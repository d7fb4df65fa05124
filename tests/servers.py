"""Real servers and raw HTTP for tests: gunicorn on a port the OS picks, and a client that sends
exactly the bytes a test wants (chunked bodies, lying headers) and reads whatever comes back."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# Not imported from tests.conftest: bench/load_test.py starts its server with this module too,
# outside pytest.
ROOT = Path(__file__).resolve().parent.parent

LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
BOOTED = re.compile(r"Booting worker with pid: (\d+)")


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path
    workers: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def gunicorn(
    env: dict[str, str], log: Path, *, workers: int = 1, ready_status: int | None = 200
) -> Iterator[Server]:
    """gunicorn serving the project with `env`, on 127.0.0.1 and a port the OS chose.

    Waits until every worker has booted and /api/health answers `ready_status` (any answer
    when None); stops the server on exit.
    """
    env = {**env, "HOST": "127.0.0.1", "PORT": "0", "WORKERS": str(workers)}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:socialmetrics.gunicorn",
                "socialmetrics.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, 0, log)
    try:
        _wait_ready(server, workers, ready_status)
        yield server
    finally:
        stop(process)


def start_command(env: dict[str, str], *args: str) -> subprocess.Popen:
    """`manage.py <args>` in a process of its own, with `env`; its output captured as text."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_command(
    env: dict[str, str], *args: str, timeout: float | None = 300, check: bool = False
) -> subprocess.CompletedProcess:
    """`manage.py <args>` in a process of its own, waited for; its output captured as text."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within `timeout` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_answering(
    url: str, process: subprocess.Popen, log: Path, seconds: float = 60
) -> None:
    """Until `url` answers at all (any HTTP status): a server just started by a test, on a
    machine that may be busy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text(errors='replace')}")
        if get(url, timeout=1)[0]:  # any status: 0 is nothing answering yet
            return
        time.sleep(0.1)
    raise RuntimeError(
        f"the server did not answer in {seconds:g} s:\n{log.read_text(errors='replace')}"
    )


def _wait_ready(server: Server, workers: int, ready_status: int | None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.log_text()}")
        text = server.log_text()
        if not server.port and (match := LISTENING.search(text)):
            server.port = int(match.group(1))
        server.workers = [int(pid) for pid in BOOTED.findall(text)]
        if server.port and len(server.workers) >= workers:
            status = get(server.url + "/api/health")[0]
            if ready_status is None or status == ready_status:
                return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not become ready:\n{server.log_text()}")


def get(url: str, *, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple:
    """(status, headers, body bytes); 0 and the error's text when nothing answered."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()
    except (urllib.error.URLError, OSError) as exc:
        return 0, {}, str(exc).encode()


def post_json(url: str, body: object, *, headers: dict[str, str] | None = None) -> tuple:
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def raw_request(port: int, head: bytes, body_chunks: Iterable[bytes] = ()) -> RawResponse:
    """Send `head` (request line and headers) then the body chunks, and read the answer.

    The server may answer and close before the whole body is sent (a 413 does): sending stops
    at the first error and the answer that arrived is read.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    head_part, _, body = received.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    return RawResponse(status, headers, body)


def _dechunk(data: bytes) -> bytes:
    body = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        body, data = body + data[:size], data[size + 2 :]
    return body


def peak_rss_kib(pid: int) -> int:
    """The process's largest resident memory so far (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for process {pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
