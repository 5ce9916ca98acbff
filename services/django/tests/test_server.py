"""The service as gunicorn serves it (the Dockerfile's CMD), with no database behind it.

What only the real server shows: how paths reach Django, the response headers, the log
lines, and a start that does not wait for a database that never answers.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scripts import SERVICE

COMMAND = ["gunicorn", "config.wsgi"]  # the Dockerfile's CMD
UNREACHABLE = "mysql://tests@127.0.0.1:9/tests"


class Server:
    """``gunicorn config.wsgi`` on a free port, its stderr in a file."""

    def __init__(self, log: Path, database_url: str, **env: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = log
        environ = {
            **os.environ,
            "PORT": str(self.port),
            "DATABASE_URL": database_url,
            "DJANGO_SECRET_KEY": "tests-only-not-a-secret",
            **env,
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [str(gunicorn), *COMMAND[1:]], cwd=SERVICE, env=environ, stderr=stderr
            )
        self.started = time.monotonic()
        self.ready_after = self._wait_until_serving()

    def _wait_until_serving(self) -> float:
        deadline = self.started + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if self.get("/healthz")[0] == 200:
                    return time.monotonic() - self.started
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"not serving after 60 s: {self.log.read_text()}")

    def get(self, path: str) -> tuple[int, list[tuple[str, str]]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response.status, response.getheaders()
        finally:
            connection.close()

    def workers(self) -> list[int]:
        """The worker processes' ids (the master's children)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> str:
        """SIGTERM, as Kubernetes sends it; the log."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)
        return self.log.read_text()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    served = Server(tmp_path_factory.mktemp("server") / "stderr.log", UNREACHABLE)
    yield served
    served.stop()


@pytest.mark.parametrize("path", ["/idle", "/%69dle", "/%69%64%6C%65"])
def test_a_path_is_matched_after_one_percent_decoding(server: Server, path: str) -> None:
    assert server.get(path)[0] == 200


@pytest.mark.parametrize(
    "path",
    ["//idle", "/./idle", "/x/../idle", "/idle.", "/IDLE", "/idle/", "/idle%2F", "/%2569dle"],
)
def test_nothing_else_is_normalised(server: Server, path: str) -> None:
    assert server.get(path)[0] == 404


def test_no_header_names_a_version(server: Server) -> None:
    _, headers = server.get("/idle")
    assert ("Server", "gunicorn") in headers  # gunicorn cannot drop its bare name
    assert not [(k, v) for k, v in headers if re.search(r"\d+\.\d+", v) and k != "Date"]


def test_a_503_is_logged_once_at_warning(server: Server) -> None:
    before = len(server.log.read_text().splitlines())
    assert server.get("/demo?name=logged-once")[0] == 503
    time.sleep(0.2)  # the log line is written after the response
    (line,) = server.log.read_text().splitlines()[before:]
    when = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    pattern = rf"{when} WARNING demo.errors: database unavailable: OperationalError \(20\d\d\): \S"
    assert re.match(pattern, line), line


def test_a_database_that_never_greets_does_not_hold_the_start(tmp_path: Path) -> None:
    # Twenty connects of 1 s each, one after the other, would hold the start for 20 s.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        url = f"mysql://tests@127.0.0.1:{silent.getsockname()[1]}/tests"
        served = Server(tmp_path / "stderr.log", url, DB_POOL_SIZE="20", DB_CONNECT_TIMEOUT="1")
        log = served.stop()
    assert served.ready_after < 20 * 1
    (fill,) = [line for line in log.splitlines() if "database pool:" in line]
    assert " WARNING config.db.base: database pool: opened 0 of 20 connections in " in fill
    assert "; 20 failed: " in fill


# The shared objects that importing gevent (and greenlet) or loading greenify maps.
GEVENT_OBJECTS = ("/gevent/", "/greenlet/", "/greenify.")


@pytest.mark.parametrize("model", ["threads", "gevent"])
def test_thread_mode_loads_neither_gevent_nor_greenify(tmp_path: Path, model: str) -> None:
    served = Server(tmp_path / "stderr.log", UNREACHABLE, WORKER_MODEL=model)
    try:
        (worker,) = served.workers()
        maps = Path(f"/proc/{worker}/maps").read_text().splitlines()
    finally:
        log = served.stop()
    found = {part for line in maps for part in GEVENT_OBJECTS if part in line}
    if model == "threads":
        assert not found
        assert "Using worker: gthread" in log
    else:  # the same probe sees them in a gevent worker
        assert found == set(GEVENT_OBJECTS)
        assert "Using worker: gevent" in log


def test_the_graceful_period_outlasts_the_worst_request() -> None:
    namespace: dict[str, object] = {}
    exec((SERVICE / "gunicorn.conf.py").read_text(), namespace)
    worst = 5 + 2 + 5  # DB_POOL_TIMEOUT + DB_CONNECT_TIMEOUT + DB_QUERY_TIMEOUT, defaults
    assert namespace["graceful_timeout"] == 20 > worst
