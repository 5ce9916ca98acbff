"""Logging: one line per event on stderr, a 500 included, through a real uvicorn."""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
import time
from collections.abc import Iterator

import httpx2
import pytest
import uvicorn

from app.__main__ import server_options
from app.db import Pool
from app.log import LOG_CONFIG, OneLineFormatter
from app.main import app
from tests.conftest import free_port


def record_with(error: BaseException) -> logging.LogRecord:
    try:
        raise error
    except type(error):
        return logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application\n",
            None, sys.exc_info(),
        )  # fmt: skip


def test_an_exception_is_one_line_with_its_innermost_frame() -> None:
    line = OneLineFormatter().format(record_with(RuntimeError("a\nb")))
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ERROR uvicorn.error: Exception in ASGI application: "
        rf"RuntimeError: a b at {re.escape(__file__)}:{record_with.__code__.co_firstlineno + 2}",
        line,
    )


def test_times_are_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # a local time that is not UTC
    time.tzset()
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "x", None, None)
    record.created = 0.0
    try:
        assert OneLineFormatter().format(record) == "1970-01-01T00:00:00Z INFO app: x"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_uvicorn_and_the_app_log_at_info_through_the_one_handler() -> None:
    assert LOG_CONFIG["loggers"] == {"uvicorn": {"level": "INFO"}, "app": {"level": "INFO"}}
    assert LOG_CONFIG["root"] == {"handlers": ["stderr"], "level": "WARNING"}


@pytest.fixture
def uvicorn_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, io.StringIO]]:
    """The app on a real uvicorn in this process, configured as ``python -m app`` does.

    Yields its URL and what it wrote to stderr.
    """
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)  # where LOG_CONFIG sends every record
    options = {**server_options(), "host": "127.0.0.1", "port": free_port()}
    del options["workers"]  # one server in a thread
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{options['port']}", stderr
    server.should_exit = True
    thread.join(30)
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access", "app"):
        logging.getLogger(name).handlers.clear()  # they hold this test's stream


def test_a_500_is_logged_once_on_one_line(
    uvicorn_server: tuple[str, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, stderr = uvicorn_server

    async def broken(self: Pool, name: str) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(Pool, "lookup", broken)
    response = httpx2.get(f"{url}/demo?name=x")
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "detail": "Internal server error."}
    deadline = time.monotonic() + 10  # the server logs once it has answered
    while " ERROR " not in stderr.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    err = stderr.getvalue()
    errors = [line.split(" ", 1)[1] for line in err.splitlines() if " ERROR " in line]
    assert errors == [
        "ERROR uvicorn.error: Exception in ASGI application: RuntimeError: boom second line "
        f"at {broken.__code__.co_filename}:{broken.__code__.co_firstlineno + 1}"
    ]
    assert "Traceback" not in err
