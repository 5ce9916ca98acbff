"""Where each stack's time goes: CPU microseconds per request, one rung per layer, from one run.

For a service (its stack's floor is the bare server and driver it runs on):

1. the server alone: the floor's ``/idle``;
2. plus the framework: the service's ``/idle``, less rung 1;
3. plus the driver's round trip: the floor's ``/demo``, less the floor's ``/idle``;
4. plus the data library: the service's ``/demo``, less the three below it.

The rungs add up to the service's ``/demo``. A floor's ladder has rungs 1 and 3 only. Each rung
is a difference of medians, so noise can make a small one negative: it is reported as measured.
A rung built from a row that was not its target's limit, or that failed requests, carries a
caveat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from perf.bench.results import Role
from perf.bench.stats import Row, cores, find

RUNGS = (
    "server alone (floor /idle)",
    "+ framework (service /idle)",
    "+ driver round trip (floor /demo)",
    "+ data library (service /demo)",
)


@dataclass(frozen=True)
class Ladder:
    """One target's rungs at one concurrency."""

    target: str
    kind: str  # "service" or "floor"
    connections: int
    labels: tuple[str, ...]  # what each rung is in this stack ("Django ORM", ...)
    rungs: tuple[float | None, ...]  # microseconds each rung adds; None: not measured
    blog_us: float | None  # the blog app's /demo, for reference (services)
    caveats: tuple[str, ...]
    doubtful: tuple[bool, ...]  # per rung: built from a row with a caveat

    @property
    def names(self) -> tuple[str, ...]:
        """Which of ``RUNGS`` the rungs are (a floor has no framework and no data library)."""
        return RUNGS if self.kind == "service" else (RUNGS[0], RUNGS[2])

    @property
    def measured(self) -> bool:
        """Whether any rung was measured (a run of some targets or paths has empty ladders)."""
        return any(rung is not None for rung in self.rungs)

    @property
    def total(self) -> float | None:
        return None if None in self.rungs else sum(r for r in self.rungs if r is not None)

    @property
    def largest(self) -> tuple[int, float] | None:
        """The index and size of the rung that costs most."""
        measured = [(r, i) for i, r in enumerate(self.rungs) if r is not None]
        if not measured:
            return None
        size, index = max(measured)
        return index, size


def ladders(roles: Sequence[Role], rows: Sequence[Row], connections: int) -> list[Ladder]:
    """Every service's ladder, then every floor's, at ``connections``."""
    found = []
    for role in roles:
        if role.kind == "service" and role.floor:
            found.append(_service_ladder(role, rows, connections))
        elif role.kind == "floor":
            found.append(_floor_ladder(role, rows, connections))
    return found


def _service_ladder(role: Role, rows: Sequence[Row], connections: int) -> Ladder:
    floor_idle = find(rows, role.floor, "/idle", connections)
    floor_demo = find(rows, role.floor, "/demo", connections)
    idle = find(rows, role.name, "/idle", connections)
    demo = find(rows, role.name, "/demo", connections)
    server = _us(floor_idle)
    framework = _minus(_us(idle), server)
    driver = _minus(_us(floor_demo), server)
    library = _minus(_minus(_us(demo), _us(idle)), driver)
    blog = find(rows, role.blog, "/demo", connections)
    # The rows each rung is computed from.
    sources = (
        [floor_idle],
        [idle, floor_idle],
        [floor_demo, floor_idle],
        [demo, idle, floor_demo, floor_idle],
    )
    return Ladder(
        target=role.name,
        kind=role.kind,
        connections=connections,
        labels=(role.server, role.framework_name or "", role.driver, role.library or ""),
        rungs=(server, framework, driver, library),
        blog_us=_us(blog),
        caveats=_caveats([floor_idle, idle, floor_demo, demo]),
        doubtful=tuple(bool(_caveats(group)) for group in sources),
    )


def _floor_ladder(role: Role, rows: Sequence[Row], connections: int) -> Ladder:
    idle = find(rows, role.name, "/idle", connections)
    demo = find(rows, role.name, "/demo", connections)
    return Ladder(
        target=role.name,
        kind=role.kind,
        connections=connections,
        labels=(role.server, role.driver),
        rungs=(_us(idle), _minus(_us(demo), _us(idle))),
        blog_us=None,
        caveats=_caveats([idle, demo]),
        doubtful=(bool(_caveats([idle])), bool(_caveats([demo, idle]))),
    )


def _us(row: Row | None) -> float | None:
    return None if row is None else row.cpu_us_per_request


def _minus(value: float | None, other: float | None) -> float | None:
    return None if value is None or other is None else round(value - other, 1)


def _caveats(rows: Sequence[Row | None]) -> tuple[str, ...]:
    caveats = []
    for row in rows:
        if row is None:
            continue
        where = f"{row.target} {row.path}"
        if not row.cpu_bound:
            caveats.append(f"{where}: {row.limit}-bound (cpu {cores(row.target_cpu)})")
        if row.failures:
            caveats.append(f"{where}: {row.failures} failures")
    return tuple(caveats)
