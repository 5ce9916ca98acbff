"""The real settings, fed with test values: for the tests and for mypy's Django plugin.

DATABASE_URL points at a closed port, so a view that touches the database answers 503; the
smoke tests prove the other endpoints never do.
"""

import os

os.environ["DJANGO_SECRET_KEY"] = "tests-only-not-a-secret"
os.environ["DATABASE_URL"] = "mysql://tests@127.0.0.1:9/tests"
os.environ["DB_POOL_TIMEOUT"] = "0.5"

from config.settings import *  # noqa: F403
