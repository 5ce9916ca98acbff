"""Django set up with tests/settings.py, and the test client."""

import os
from collections.abc import Iterator

import django
import pytest
from django.test import Client

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
django.setup()


@pytest.fixture
def client() -> Iterator[Client]:
    """Django's test client; unexpected exceptions become the 500 response, as in production."""
    yield Client(raise_request_exception=False)
