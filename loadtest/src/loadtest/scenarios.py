"""The three scenarios as locust users; also a plain locustfile (``locust -f`` this file).

- ``demo``: ``GET /demo``, the server draws a random name (the blog's test): almost never a hit,
  so this measures the framework plus a round trip to an index lookup that finds nothing.
- ``demo-hit``: ``GET /demo?name=X`` with X a name that was seeded, so rows are really read and
  serialised.
- ``idle``: ``GET /idle`` (the blog's idle test): no database at all.

Users wait for nothing between requests (``constant(0)``): each user is a closed loop, so the
load is ``users`` concurrent requests and the throughput is what the service sustains at that
concurrency. Idioms from locust's examples: ``locustfile.py`` (``name=`` grouping),
``response_validations.py`` (``catch_response``), ``testdata_management.py``
(``events.test_start``), ``add_command_line_argument.py`` (options with ``env_var``).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from locust import FastHttpUser, constant, events, task
from locust.runners import MasterRunner

from loadtest.names import DEFAULT_SEED, first_names
from loadtest.validation import check_demo, check_idle

if TYPE_CHECKING:
    from locust.env import Environment

DEFAULT_ROWS = 1_000_000
DEFAULT_HIT_NAMES = 10_000


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]
def _add_arguments(parser: Any) -> None:
    group = parser.add_argument_group("loadtest", "Which seeded names demo-hit asks for")
    group.add_argument(
        "--seed",
        type=int,
        env_var="LOADTEST_SEED",
        default=DEFAULT_SEED,
        help="the seeder's --seed",
    )
    group.add_argument(
        "--rows",
        type=int,
        env_var="LOADTEST_ROWS",
        default=DEFAULT_ROWS,
        help="how many rows were seeded",
    )
    group.add_argument(
        "--hit-names",
        type=int,
        env_var="LOADTEST_HIT_NAMES",
        default=DEFAULT_HIT_NAMES,
        help="how many seeded names demo-hit draws from",
    )


class SeededNames:
    """The names demo-hit draws from: the first seeded rows', regenerated from the seed."""

    names: ClassVar[list[str]] = []
    key: ClassVar[tuple[int, int] | None] = None

    @classmethod
    def prepare(cls, seed: int, count: int) -> None:
        if cls.key != (seed, count):
            cls.names, cls.key = first_names(count, seed), (seed, count)


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _prepare_names(environment: Environment, **_kwargs: Any) -> None:
    # Workers receive the master's options with the spawn message, before test_start fires.
    if isinstance(environment.runner, MasterRunner) or environment.parsed_options is None:
        return
    options = environment.parsed_options
    seed = getattr(options, "seed", DEFAULT_SEED)
    count = min(
        getattr(options, "rows", DEFAULT_ROWS), getattr(options, "hit_names", DEFAULT_HIT_NAMES)
    )
    SeededNames.prepare(seed, count)


class ServiceUser(FastHttpUser):
    """What the three scenarios share."""

    abstract = True
    wait_time = constant(0)


class DemoUser(ServiceUser):
    """``demo``: the server picks the name."""

    @task
    def demo(self) -> None:
        with self.client.get("/demo", catch_response=True) as resp:
            error = check_demo(resp.status_code, resp.headers.get("Content-Type"), resp.content)
            if error:
                resp.failure(error)


class DemoHitUser(ServiceUser):
    """``demo-hit``: a seeded name, so the answer holds rows."""

    @task
    def demo_hit(self) -> None:
        name = random.choice(SeededNames.names)
        # One stats line for all names (locust's name= grouping), not one per name.
        with self.client.get(
            "/demo?" + urlencode({"name": name}), name="/demo?name=[seeded]", catch_response=True
        ) as resp:
            error = check_demo(
                resp.status_code, resp.headers.get("Content-Type"), resp.content, name=name
            )
            if error:
                resp.failure(error)


class IdleUser(ServiceUser):
    """``idle``: no database access."""

    @task
    def idle(self) -> None:
        with self.client.get("/idle", catch_response=True) as resp:
            error = check_idle(resp.status_code, resp.headers.get("Content-Type"), resp.content)
            if error:
                resp.failure(error)


SCENARIOS: dict[str, type[ServiceUser]] = {
    "demo": DemoUser,
    "demo-hit": DemoHitUser,
    "idle": IdleUser,
}
