"""Medians, failures, limits and ratios of the summary rows, from recorded numbers."""

from __future__ import annotations

import pytest

from perf.bench.stats import cores, find, limit_of, median_or_none, summarise
from perf.tests.recorded import CLEAN, ROLES, measurement, replaced


def test_medians_over_the_rounds_and_never_the_warm_up() -> None:
    runs = replaced(
        CLEAN,
        measurement("django", "/demo", 9999, 0.5, round_=0),  # warm-up: never counted
        measurement("django", "/demo", 800, 0.96, round_=1),
        measurement("django", "/demo", 868, 0.98, round_=2),
        measurement("django", "/demo", 900, 0.99, round_=3),
    )
    row = find(summarise(ROLES, runs), "django", "/demo", 64)
    assert row is not None
    assert (row.rounds, row.rps, row.rps_min, row.rps_max) == (3, 868, 800, 900)
    assert row.target_cpu == 0.98
    # CPU per request is the median of each round's own (cpu / rps), in microseconds.
    assert row.cpu_us_per_request == pytest.approx(0.98 / 868 * 1e6, abs=0.1)


def test_ratios_to_the_floor_and_the_blog_app_of_the_same_stack() -> None:
    rows = summarise(ROLES, CLEAN)
    django = find(rows, "django", "/demo", 64)
    fastapi = find(rows, "fastapi", "/idle", 64)
    blog = find(rows, "blog-django", "/demo", 64)
    assert django is not None
    assert fastapi is not None
    assert blog is not None
    assert django.ratio_floor == pytest.approx(868 / 1970, abs=1e-3)
    assert django.ratio_blog == pytest.approx(868 / 328, abs=1e-3)
    assert fastapi.ratio_blog == pytest.approx(4427 / 3420, abs=1e-3)
    assert django.cpu_ratio_blog == pytest.approx((0.98 / 868) / (0.96 / 328), abs=1e-3)
    # A blog app has a floor but is never compared with another blog app.
    assert blog.ratio_floor is not None
    assert blog.ratio_blog is None


def test_timeouts_are_failures_and_put_p99_beyond_the_timeout() -> None:
    runs = replaced(
        CLEAN,
        measurement("django", "/idle", 1578, 0.96, round_=1, timeouts=643, p99_ms=None),
        measurement("django", "/idle", 1600, 0.96, round_=2, timeouts=0, p99_ms=1635.0),
        measurement("django", "/idle", 1550, 0.96, round_=3, timeouts=12, p99_ms=None),
    )
    row = find(summarise(ROLES, runs), "django", "/idle", 64)
    assert row is not None
    assert (row.failures, row.timeouts) == (655, 655)
    assert row.p99_ms is None  # two of three rounds beyond the timeout: so is the median


def test_socket_errors_and_other_statuses_are_failures() -> None:
    runs = replaced(CLEAN, measurement("fastapi", "/demo", 1166, 0.98, non_200=3, read=2))
    row = find(summarise(ROLES, runs), "fastapi", "/demo", 64)
    assert row is not None
    assert (row.failures, row.timeouts) == (5, 0)


def test_a_wrong_body_marks_the_row() -> None:
    runs = replaced(
        CLEAN, measurement("fastapi", "/demo", 1166, 0.98, body_problem="Content-Type 'text/html'")
    )
    row = find(summarise(ROLES, runs), "fastapi", "/demo", 64)
    assert row is not None
    assert row.bodies == "wrong: Content-Type 'text/html'"


@pytest.mark.parametrize(
    ("target_cpu", "wrk_cpu", "load_cpu", "limit"),
    [
        (0.97, 0.2, 1.0, "target"),  # its core busy: its own limit, whatever the load side did
        (0.57, 0.33, 0.94, "load"),  # recorded: floor-asyncio /idle beside a busy load CPU
        (0.60, 0.95, 0.5, "load"),  # wrk's one thread flat out
        (0.78, 0.09, 0.71, "other"),  # recorded: a neighbour on the target's core
        (0.899, 0.1, 0.5, "other"),
    ],
)
def test_what_limited_a_row(target_cpu: float, wrk_cpu: float, load_cpu: float, limit: str) -> None:
    assert limit_of(target_cpu, wrk_cpu, load_cpu) == limit


def test_a_load_bound_row_is_flagged() -> None:
    runs = replaced(CLEAN, measurement("floor-asyncio", "/idle", 25797, 0.573, load_cpu=0.936))
    row = find(summarise(ROLES, runs), "floor-asyncio", "/idle", 64)
    assert row is not None
    assert row.limit == "load"
    assert not row.cpu_bound


def test_median_with_answers_beyond_the_timeout() -> None:
    assert median_or_none([3.0, 1.0, 2.0]) == 2.0
    assert median_or_none([1.0, 2.0, None]) == 2.0
    assert median_or_none([1.0, None, None]) is None
    assert median_or_none([1.0, 3.0]) == 2.0
    assert median_or_none([1.0, None]) is None
    assert median_or_none([]) is None


def test_cpu_figures_are_cut_not_rounded_up_to_the_threshold() -> None:
    assert cores(0.897) == "0.89"
    assert cores(0.9) == "0.90"
