"""The service as gunicorn serves it (the Dockerfile's CMD), with no database behind it.

What only the real server shows: how paths reach Flask, the response headers, the log lines,
and a start that does not wait for a database that never answers.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parent.parent
COMMAND = ["gunicorn", "--config", "gunicorn.conf.py", "app:create_app()"]  # the Dockerfile's CMD
UNREACHABLE = "mysql://tests@127.0.0.1:9/tests"


class Server:
    """The Dockerfile's CMD on a free port, its stderr in a file."""

    def __init__(self, log: Path, database_url: str, **env: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = log
        environ = {
            **os.environ,
            "PORT": str(self.port),
            "DATABASE_URL": database_url,
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

    def timed_get(self, path: str) -> tuple[int, float]:
        started = time.monotonic()
        return self.get(path)[0], time.monotonic() - started

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
    def logged() -> list[str]:
        return [line for line in server.log.read_text().splitlines() if "unavailable" in line]

    before = len(logged())
    assert server.get("/demo?name=logged-once")[0] == 503
    time.sleep(0.2)  # the log line is written after the response
    (line,) = logged()[before:]
    assert re.search(r"Z WARNING app: database unavailable: OperationalError \(20\d\d\): \S", line)


@pytest.mark.parametrize(
    ("name", "value"),
    [("DATABASE_URL", "mysql://u:secret@db/demo?ssl-mode=bogus"), ("PORT", "0")],
)
def test_invalid_configuration_is_one_line_and_no_start(name: str, value: str) -> None:
    environ = {**os.environ, "DATABASE_URL": UNREACHABLE, name: value}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run(
        [str(gunicorn), *COMMAND[1:]], cwd=SERVICE, env=environ, capture_output=True, text=True
    )
    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert re.fullmatch(rf"\S+Z ERROR app: invalid configuration: {name}: .+", line)
    assert "secret" not in line


def test_a_database_that_never_greets_holds_nothing_up(tmp_path: Path) -> None:
    # Twenty connects of 1 s each, one after the other, would hold the start for 20 s, and
    # five requests' connects in turn would answer the last one after 5 s.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        url = f"mysql://tests@127.0.0.1:{silent.getsockname()[1]}/tests"
        served = Server(
            tmp_path / "stderr.log",
            url,
            DB_POOL_SIZE="20",
            DB_CONNECT_TIMEOUT="1",
            DB_QUERY_TIMEOUT="1",
        )
        time.sleep(2.5)  # the fill's connects have given up
        with ThreadPoolExecutor(5) as pool:
            answers = list(pool.map(lambda _: served.timed_get("/demo"), range(5)))
        log = served.stop()
    assert served.ready_after < 20 * 1
    assert [status for status, _ in answers] == [503] * 5
    assert max(seconds for _, seconds in answers) < 3, answers
    (fill,) = [line for line in log.splitlines() if "database pool:" in line]
    assert re.search(
        r"Z WARNING app: database pool: opened 0 of 20 connections in \d\.\d\d s; 20 failed: ", fill
    )


def test_the_graceful_period_outlasts_the_worst_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    namespace: dict[str, object] = {}
    exec((SERVICE / "gunicorn.conf.py").read_text(), namespace)
    worst = 5 + 2 + 5  # DB_POOL_TIMEOUT + DB_CONNECT_TIMEOUT + DB_QUERY_TIMEOUT, defaults
    assert namespace["graceful_timeout"] == 20 > worst


def worker_maps(log: Path) -> str:
    """The shared objects mapped into the (one) worker process."""
    (pid,) = re.findall(r"Booting worker with pid: (\d+)", log.read_text())
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize(("model", "loaded"), [("threads", False), ("gevent", True)])
def test_thread_mode_loads_neither_gevent_nor_greenify(
    tmp_path: Path, model: str, loaded: bool
) -> None:
    served = Server(tmp_path / "stderr.log", UNREACHABLE, WORKER_MODEL=model)
    try:
        maps = worker_maps(served.log)
    finally:
        log = served.stop()
    for library in ("/gevent/", "/greenify"):
        assert (library in maps) is loaded, library
    assert f"Using worker: {'gthread' if model == 'threads' else 'gevent'}" in log
