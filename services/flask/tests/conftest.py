"""Fixtures: the app with settings parsed like the environment's, and its test client.

https://flask.palletsprojects.com/en/stable/testing/ . No database is needed: the URL points
at a closed port, so anything that reaches the database is refused at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import from_environ

# Port 9 (discard) on loopback: nothing listens, a connection is refused immediately.
UNREACHABLE = "mysql://demo:secret@127.0.0.1:9/demo"


@pytest.fixture
def app() -> Iterator[Flask]:
    settings = from_environ({"DATABASE_URL": UNREACHABLE, "DB_POOL_SIZE": "2"})
    app = create_app({"TESTING": True, **settings})
    yield app
    app.extensions["dataset"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
