"""Logging: one line per event on stderr, a 500 included, through a real uvicorn."""

from __future__ import annotations

import io
import logging
import sys
import threading
import time
from collections.abc import Iterator

import httpx2
import pytest
import uvicorn

from app.__main__ import server_options
from app.config import get_settings
from app.db import Pool
from app.deps import get_pool
from app.log import OneLineFormatter, log_config
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
    line = OneLineFormatter("%(levelprefix)s %(message)s").format(record_with(RuntimeError("a\nb")))
    assert "\n" not in line
    assert line.startswith("ERROR:    Exception in ASGI application: RuntimeError: a b at ")
    assert line.endswith(f"{__file__}:{record_with.__code__.co_firstlineno + 2}")


def test_every_handler_writes_to_stderr_through_the_formatter() -> None:
    config = log_config()
    assert {h["stream"] for h in config["handlers"].values()} == {"ext://sys.stderr"}
    assert config["formatters"]["default"]["()"] == "app.log.OneLineFormatter"
    assert config["loggers"]["app"]["level"] == "INFO"
    assert config["root"]["level"] == "WARNING"


@pytest.fixture
def uvicorn_server(
    environment: pytest.MonkeyPatch, refused_url: str
) -> Iterator[tuple[str, io.StringIO]]:
    """The app on a real uvicorn in this process, configured as ``python -m app`` does.

    Yields its URL and what it wrote to stderr.
    """
    environment.setenv("DATABASE_URL", refused_url)
    stderr = io.StringIO()
    environment.setattr(sys, "stderr", stderr)  # where log_config() sends every handler
    options = {**server_options(get_settings()), "host": "127.0.0.1", "port": free_port()}
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


def test_a_500_is_logged_once_on_one_line(uvicorn_server: tuple[str, io.StringIO]) -> None:
    url, stderr = uvicorn_server

    async def broken() -> Pool:
        raise RuntimeError("boom\nsecond line")

    app.dependency_overrides[get_pool] = broken
    try:
        response = httpx2.get(f"{url}/demo?name=x")
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "detail": "Internal server error."}
    deadline = time.monotonic() + 10  # the server logs once it has answered
    while "ERROR" not in stderr.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    err = stderr.getvalue()
    errors = [line for line in err.splitlines() if line.startswith("ERROR")]
    assert errors == [
        "ERROR:    Exception in ASGI application: RuntimeError: boom second line "
        f"at {broken.__code__.co_filename}:{broken.__code__.co_firstlineno + 1}"
    ]
    assert "Traceback" not in err
