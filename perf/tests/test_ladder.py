"""The ladder: four rungs that add up to the service's /demo, from recorded numbers."""

from __future__ import annotations

import pytest

from perf.bench.ladder import RUNGS, ladders
from perf.bench.stats import summarise
from perf.tests.recorded import CLEAN, ROLES, measurement, replaced


def us(cpu: float, rps: float) -> float:
    return cpu / rps * 1e6


def test_the_rungs_of_a_service() -> None:
    django = ladders(ROLES, summarise(ROLES, CLEAN), 64)[0]
    floor_idle, idle = us(0.96, 3370), us(0.97, 1738)
    floor_demo, demo = us(0.97, 1970), us(0.98, 868)
    expected = (
        floor_idle,
        idle - floor_idle,
        floor_demo - floor_idle,
        demo - idle - (floor_demo - floor_idle),
    )
    assert django.target == "django"
    assert django.names == RUNGS
    assert django.rungs == pytest.approx(expected, abs=0.3)
    assert django.total == pytest.approx(demo, abs=0.3)
    assert django.blog_us == pytest.approx(us(0.96, 328), abs=0.1)
    assert django.labels == ("gunicorn + gevent", "Django", "mysqlclient + greenify", "Django ORM")
    assert django.caveats == ()
    assert django.doubtful == (False, False, False, False)
    _, index = django.largest or (0, None)
    assert index == 3  # the data library: recorded figures, 1,129 of 1,129 minus 558 minus 208


def test_the_rungs_of_a_floor() -> None:
    floor = next(
        x for x in ladders(ROLES, summarise(ROLES, CLEAN), 64) if x.target == "floor-asyncio"
    )
    assert floor.names == (RUNGS[0], RUNGS[2])
    assert floor.rungs == pytest.approx(
        (us(0.97, 10878), us(0.98, 2433) - us(0.97, 10878)), abs=0.3
    )
    assert floor.labels == ("uvicorn + uvloop", "aiomysql")


def test_a_rung_from_a_row_that_was_not_the_target_limit_carries_a_caveat() -> None:
    runs = replaced(CLEAN, measurement("floor-gevent", "/demo", 4590, 0.781, load_cpu=0.714))
    django = ladders(ROLES, summarise(ROLES, runs), 64)[0]
    assert django.caveats == ("floor-gevent /demo: other-bound (cpu 0.78)",)
    # The driver's rung and the data library's are computed from that row; the others are not.
    assert django.doubtful == (False, False, True, True)


def test_a_rung_from_a_failing_row_carries_a_caveat() -> None:
    runs = replaced(CLEAN, measurement("django", "/idle", 1738, 0.97, timeouts=5))
    django = ladders(ROLES, summarise(ROLES, runs), 64)[0]
    assert django.caveats == ("django /idle: 5 failures",)


def test_noise_can_make_a_rung_negative_and_it_is_kept() -> None:
    # A framework's /idle cheaper than the bare server's: reported as measured, not hidden.
    runs = replaced(CLEAN, measurement("django", "/idle", 3500, 0.97))
    django = ladders(ROLES, summarise(ROLES, runs), 64)[0]
    assert django.rungs[1] is not None
    assert django.rungs[1] < 0
    assert django.total == pytest.approx(us(0.98, 868), abs=0.3)


def test_a_missing_row_leaves_its_rungs_unmeasured() -> None:
    runs = [m for m in CLEAN if (m.target, m.path) != ("floor-gevent", "/demo")]
    django = ladders(ROLES, summarise(ROLES, runs), 64)[0]
    assert django.rungs[2] is None
    assert django.rungs[3] is None
    assert django.total is None
