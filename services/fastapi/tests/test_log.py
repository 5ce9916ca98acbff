"""Logging: one line per event on stderr, in one format, a 500 included, through a real uvicorn."""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx2
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncConnection

from app.__main__ import server_options
from app.config import get_settings
from app.deps import get_connection
from app.log import OneLineFormatter, log_config
from app.main import app
from tests.conftest import free_port, settings

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


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
    where = f"{__file__}:{record_with.__code__.co_firstlineno + 2}"
    prefix = " ERROR uvicorn.error: Exception in ASGI application: RuntimeError: a b at "
    assert re.fullmatch(TIME + re.escape(prefix + where), line)


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


def test_every_logger_writes_to_stderr_through_the_formatter() -> None:
    config = log_config()
    assert [h["stream"] for h in config["handlers"].values()] == ["ext://sys.stderr"]
    assert config["formatters"]["line"]["()"] == "app.log.OneLineFormatter"
    assert config["loggers"] == {"app": {"level": "INFO"}, "uvicorn": {"level": "INFO"}}
    assert config["root"]["level"] == "WARNING"


@pytest.fixture
def uvicorn_server(refused_url: str) -> Iterator[tuple[str, io.StringIO]]:
    """The app on a real uvicorn in this process, configured as ``python -m app`` does.

    Yields its URL and what it wrote to stderr.
    """
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stderr", stderr)  # where log_config() sends every handler
        overrides: dict[object, object] = app.dependency_overrides  # type: ignore[assignment]
        patch.setitem(overrides, get_settings, lambda: settings(refused_url))
        options = {**server_options(settings(refused_url)), "host": "127.0.0.1"}
        options = {**options, "port": free_port(), "workers": None}  # one server in a thread
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


def test_a_500_is_logged_once_on_one_line(uvicorn_server: tuple[str, io.StringIO]) -> None:
    url, stderr = uvicorn_server

    async def broken() -> AsyncIterator[AsyncConnection]:
        raise RuntimeError("boom\nsecond line")
        yield

    app.dependency_overrides[get_connection] = broken
    try:
        response = httpx2.get(f"{url}/demo?name=x")
    finally:
        del app.dependency_overrides[get_connection]
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "detail": "Internal server error."}
    deadline = time.monotonic() + 10  # the server logs once it has answered
    while " ERROR " not in stderr.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    err = stderr.getvalue()
    errors = [line for line in err.splitlines() if " ERROR " in line]
    where = f"{broken.__code__.co_filename}:{broken.__code__.co_firstlineno + 1}"
    message = " ERROR uvicorn.error: Exception in ASGI application: RuntimeError: boom second line"
    assert len(errors) == 1
    assert re.fullmatch(TIME + re.escape(f"{message} at {where}"), errors[0])
    assert "Traceback" not in err
