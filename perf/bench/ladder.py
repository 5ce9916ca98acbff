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
    names: tuple[str, ...]  # which of ``RUNGS`` the rungs are (a floor has rungs 1 and 3)
    total: float | None  # the rungs' sum: the target's /demo; None if one was not measured

    @property
    def measured(self) -> bool:
        """Whether any rung was measured (a run of some targets or paths has empty ladders)."""
        return any(rung is not None for rung in self.rungs)

    @property
    def largest(self) -> tuple[float, int] | None:
        """The size and index of the rung that costs most."""
        return max(((r, i) for i, r in enumerate(self.rungs) if r is not None), default=None)


def ladders(roles: Sequence[Role], rows: Sequence[Row], connections: int) -> list[Ladder]:
    """Every service's ladder, then every floor's, at ``connections``."""
    return [
        _ladder(role, rows, connections)
        for role in roles
        if role.kind == "floor" or (role.kind == "service" and role.floor)
    ]


def _ladder(role: Role, rows: Sequence[Row], connections: int) -> Ladder:
    service = role.kind == "service"
    floor = role.floor if service else role.name
    floor_idle = find(rows, floor, "/idle", connections)
    floor_demo = find(rows, floor, "/demo", connections)
    idle = find(rows, role.name, "/idle", connections) if service else None
    demo = find(rows, role.name, "/demo", connections) if service else None
    server = _us(floor_idle)
    driver = _minus(_us(floor_demo), server)
    library = _minus(_minus(_us(demo), _us(idle)), driver)
    # Each rung's size, and the rows it is computed from.
    rungs = {
        RUNGS[0]: (server, [floor_idle]),
        RUNGS[1]: (_minus(_us(idle), server), [idle, floor_idle]),
        RUNGS[2]: (driver, [floor_demo, floor_idle]),
        RUNGS[3]: (library, [demo, idle, floor_demo, floor_idle]),
    }
    names = RUNGS if service else (RUNGS[0], RUNGS[2])
    sizes = tuple(rungs[name][0] for name in names)
    labels = (
        (role.server, role.framework_name or "", role.driver, role.library or "")
        if service
        else (role.server, role.driver)
    )
    return Ladder(
        target=role.name,
        kind=role.kind,
        connections=connections,
        labels=labels,
        rungs=sizes,
        blog_us=_us(find(rows, role.blog, "/demo", connections)),
        caveats=_caveats([floor_idle, idle, floor_demo, demo]),
        doubtful=tuple(bool(_caveats(rungs[name][1])) for name in names),
        names=names,
        total=None if None in sizes else sum(size for size in sizes if size is not None),
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
