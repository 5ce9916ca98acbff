"""The three scenarios as locust users; also a plain locustfile (``locust -f`` this file).

- ``demo``: ``GET /demo``, the server draws a random name (the blog's test): almost never a hit,
  so this measures the framework plus a round trip to an index lookup that finds nothing.
- ``demo-hit``: ``GET /demo?name=X`` with X a name that was seeded, so rows are really read and
  serialised.
- ``idle``: ``GET /idle`` (the blog's idle test): no database at all.

Each scenario has two users. The closed-loop one waits for nothing between requests
(``constant(0)``): N users keep N requests in flight, and the service runs flat out (the
runner's saturation probe). The paced one offers ``--user-rate`` requests per second, paced
as locust's ``constant_throughput`` paces, so N users offer N x rate: the runner sets the
offered rate by the number of paced users. Paced users started together would fire together,
and bursts, not the service, would set the tail latency; so each waits a random fraction of
its period before its first request (the next point of the golden-ratio sequence), which
spreads the users' phases evenly over one period.

Idioms from locust's examples: ``locustfile.py`` (``name=`` grouping),
``response_validations.py`` (``catch_response``), ``testdata_management.py``
(``events.test_start``), ``add_command_line_argument.py`` (``init_command_line_parser``).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, events, task
from locust.runners import MasterRunner

from loadtest.names import first_names
from loadtest.settings import SCENARIOS as NAMES
from loadtest.settings import RunSettings, add_options
from loadtest.validation import check_demo, check_idle

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from locust.env import Environment

    Check = Callable[[int, str | None, bytes | None], str | None]

GOLDEN_RATIO = (math.sqrt(5) - 1) / 2
DEFAULTS = RunSettings()


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]
def _add_arguments(parser: Any) -> None:
    group = parser.add_argument_group("loadtest", "Which seeded names demo-hit asks for")
    add_options(group, ("seed", "rows", "hit_names", "user_rate"))


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
    SeededNames.prepare(options.seed, min(options.rows, options.hit_names))


class ServiceUser(FastHttpUser):
    """What the three scenarios share: a closed loop, no think time, checked answers."""

    abstract = True
    wait_time = constant(0)

    def get_checked(self, path: str, check: Check, *, name: str | None = None) -> None:
        """``GET path``; a failure unless ``check`` passes the answer."""
        with self.client.get(path, name=name, catch_response=True) as resp:
            if not resp.status_code:
                return  # no answer (refused, reset, timed out): locust counts that failure
            if error := check(resp.status_code, resp.headers.get("Content-Type"), resp.content):
                resp.failure(error)


def user_rate(environment: Environment) -> float:
    options = environment.parsed_options
    return float(getattr(options, "user_rate", None) or DEFAULTS.per_user_rate)


class PacedUser(ServiceUser):
    """At most ``--user-rate`` requests/s, from a phase of its own within the first period."""

    abstract = True
    # Each new user takes the next point of the golden-ratio sequence (k x 0.618... mod 1):
    # however many users run, their phases cover the period evenly, with no clumps that
    # random phases would leave, and users added later fill the gaps.
    _phases: ClassVar[Iterator[int]] = itertools.count()
    _due = 0.0  # when this user's latest task was due to start (perf_counter)

    def on_start(self) -> None:
        period = 1 / user_rate(self.environment)
        gevent.sleep((next(PacedUser._phases) * GOLDEN_RATIO) % 1.0 * period)
        self._due = time.perf_counter()  # the first task starts now, after this user's phase

    def wait_time(self) -> float:
        """locust's ``constant_throughput``, but counted from this user's phase (locust's
        counts from the user's creation, the same instant for every user of a batch): each
        task starts one period after the last one started, or at once if that has passed."""
        now = time.perf_counter()
        self._due = max(self._due + 1 / user_rate(self.environment), now)
        return self._due - now


class DemoUser(ServiceUser):
    """``demo``: the server picks the name."""

    @task
    def demo(self) -> None:
        self.get_checked("/demo", check_demo)


class DemoHitUser(ServiceUser):
    """``demo-hit``: a seeded name, so the answer holds rows."""

    @task
    def demo_hit(self) -> None:
        name = random.choice(SeededNames.names)
        # One stats line for all names (locust's name= grouping), not one per name.
        self.get_checked(
            "/demo?" + urlencode({"name": name}),
            partial(check_demo, name=name),
            name="/demo?name=[seeded]",
        )


class IdleUser(ServiceUser):
    """``idle``: no database access."""

    @task
    def idle(self) -> None:
        self.get_checked("/idle", check_idle)


class PacedDemoUser(PacedUser, DemoUser):
    """``demo`` at an offered rate."""


class PacedDemoHitUser(PacedUser, DemoHitUser):
    """``demo-hit`` at an offered rate."""


class PacedIdleUser(PacedUser, IdleUser):
    """``idle`` at an offered rate."""


@dataclass(frozen=True)
class Scenario:
    """One request mix as two users: flat out (closed loop), and paced (an offered rate)."""

    closed: type[ServiceUser]
    paced: type[PacedUser]


SCENARIOS: dict[str, Scenario] = dict(
    zip(
        NAMES,
        (
            Scenario(DemoUser, PacedDemoUser),
            Scenario(DemoHitUser, PacedDemoHitUser),
            Scenario(IdleUser, PacedIdleUser),
        ),
        strict=True,
    )
)
USER_CLASSES: list[type[ServiceUser]] = [
    user for scenario in SCENARIOS.values() for user in (scenario.closed, scenario.paced)
]
