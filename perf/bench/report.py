"""The Markdown report of one run: conditions, issue 13's targets, the ladder, every row, checks.

A pure function of the results file (``python -m perf.bench report FILE`` redoes it). The
ladder's chart is drawn by chart.py; the report links it.
"""

from __future__ import annotations

from collections.abc import Sequence

from loadtest.markdown import table

from perf.bench import goals
from perf.bench.analysis import Analysis
from perf.bench.ladder import RUNGS, Ladder
from perf.bench.results import Results
from perf.bench.stats import CPU_BOUND, LOAD_BOUND, Row, cores

LEGEND = (
    "req/s: median over the rounds (min and max in the JSON). p50, p99: ms, over every answer "
    "(`> T` when more than 1% came after wrk's timeout T). x floor, x blog: req/s over the floor "
    "of the target's stack, over the blog's app of its framework. cpu: the target's CPU time in "
    "cores; wrk: wrk's own (one thread, so 1.00 is its limit); load: the busy share of the load "
    "CPUs (wrk, the database, the runner). us/req: the target's CPU time per answer, which a "
    "busy machine disturbs less than req/s. conns: the target's database connections, the "
    "highest reading during its runs (every 0.1 s). failures: requests with a socket error, an "
    "answer other than 200, or an answer after the timeout (timeouts in brackets). bodies: every "
    "status checked in wrk, a sample of bodies checked against the contract (rows against the "
    "database). limit: what held the row back: `target` (cpu ≥ {cpu}: the row is the target's "
    "limit), `load` (wrk or the load CPUs ≥ {load}: a lower bound), `other` (neither: a "
    "neighbour, a pool, the database)."
)


def markdown(
    results: Results, analysis: Analysis, chart: str | None = None, *, level: int = 1
) -> str:
    """The report; ``chart`` is the ladder PNG's path relative to the report, ``level`` the
    heading level of its title (2 and deeper for its sections)."""
    h1, h2, h3 = "#" * level, "#" * (level + 1), "#" * (level + 2)
    s = results.settings
    lines = [
        f"{h1} perf: {'smoke run' if s.smoke else 'run'} of {results.started}",
        "",
        *_conditions(results),
        "",
        f"{h2} Targets (issue 13: `/demo` and `/idle` at {goals.CONNECTIONS} connections)",
        "",
        *_goals(analysis.verdicts),
        "",
        f"{h2} The ladder: CPU µs per request at {analysis.ladder_connections} connections",
        "",
        *_ladder(analysis.ladders, chart),
    ]
    lines += ["", f"{h2} Every row", "", LEGEND.format(cpu=CPU_BOUND, load=LOAD_BOUND)]
    for path in s.paths:
        for connections in s.connections:
            lines += ["", f"{h3} {path}, {connections} connections", ""]
            lines += _rows(
                [r for r in analysis.rows if (r.path, r.connections) == (path, connections)],
                s.wrk_timeout_s,
            )
    lines += ["", f"{h2} Rows before the load", ""]
    lines += table(["target", "`/demo` rows"], [[t["name"], t["rows"]] for t in results.targets])
    lines += ["", f"{h2} Verdict", ""]
    if analysis.problems:
        lines += ["**Failed**: a service or floor was wrong:", ""]
        lines += [f"- {problem}" for problem in analysis.problems]
    else:
        lines.append(
            "Passed: every service and floor sent the database's rows, every status was 200 "
            "and every sampled body right."
        )
    if analysis.timeouts:
        lines += ["", "Timeouts (failures in the tables; they do not fail the run):", ""]
        lines += [f"- {line}" for line in analysis.timeouts]
    return "\n".join(lines) + "\n"


def _conditions(results: Results) -> list[str]:
    m, s, db = results.machine, results.settings, results.database
    end = m.get("load_average_at_end")
    loads = f"load average {_loads(m['load_average_at_start'])} at the start"
    if end:
        loads += f", {_loads(end)} at the end"
    warmup = f"warm-up {s.warmup_s} s per target and path" if s.warmup_s else "no warm-up"
    return [
        f"{results.started} to {results.finished}. Machine: {m['cpu_model']}, {m['cpus']} CPUs, "
        f"{m['memory_gib']} GiB, {m['os']}, Linux {m['kernel']}; {db['version']}; {m['wrk']}; "
        f"{loads}.",
        f"Each target one worker on CPU {_cpus(s.target_cpus)}; wrk (one thread) and the "
        f"database on CPU {_cpus(s.load_cpus)}. {s.rows:,} rows; {warmup}; {s.rounds} "
        f"interleaved round(s) of {s.duration_s} s per target, path and concurrency; medians."
        + (" **A smoke run: one short round, figures only indicative.**" if s.smoke else ""),
    ]


def _goals(verdicts: Sequence[goals.Verdict]) -> list[str]:
    found = {(v.goal, v.service, v.path): v for v in reversed(verdicts)}  # the first wins
    rows = [
        [
            goal,
            service,
            *(_verdict(v) if (v := found.get((goal, service, p))) else "" for p in goals.PATHS),
        ]
        for goal, service in dict.fromkeys((v.goal, v.service) for v in verdicts)
    ]
    lines = table(["target", "service", *(f"`{p}`" for p in goals.PATHS)], rows)
    counts = {mark: sum(v.verdict == mark for v in verdicts) for mark in _MARKS}
    lines += [
        "",
        ", ".join(f"{counts[mark]} {mark}" for mark in _MARKS)
        + ". The blog's Flask never returns a connection (it holds one per greenlet, the `conns` "
        "column) and so pays no pool checkout: Flask's req/s against it compares unlike things.",
    ]
    return lines


_MARKS = (goals.MET, goals.NOT_MET, goals.NOT_COMPARABLE)


def _verdict(v: goals.Verdict) -> str:
    text = f"{v.figure}: **{v.verdict}**" if v.figure else f"**{v.verdict}**"
    return text + (f" ({v.reason})" if v.reason else "")


def _ladder(found: Sequence[Ladder], chart: str | None) -> list[str]:
    found = [ladder for ladder in found if ladder.measured]
    if not found:
        return ["Not measured: the ladder needs `/demo` and `/idle` of a service and its floor."]
    lines = [f"![The ladder of each stack and floor]({chart})", ""] if chart else []
    for kind, ladder_table in (("service", _service_ladders), ("floor", _floor_ladders)):
        if of_kind := [ladder for ladder in found if ladder.kind == kind]:
            lines += [*ladder_table(of_kind), ""]
    lines.append(
        'Each rung is a difference of two rows\' medians (perf/README.md, "The ladder"); a '
        "negative rung is noise larger than the layer."
    )
    caveats = dict.fromkeys(c for ladder in found for c in ladder.caveats)
    if caveats:
        lines += ["", "Rungs built from rows that were not their target's limit, or failed:", ""]
        lines += [f"- {c}" for c in caveats]
    return lines


def _service_ladders(ladders: Sequence[Ladder]) -> list[str]:
    rows = []
    for ladder in ladders:
        cells = [
            f"{_number(rung)} ({label})"
            for rung, label in zip(ladder.rungs, ladder.labels, strict=True)
        ]
        largest = ""
        if ladder.largest and ladder.total:
            size, index = ladder.largest
            rung = ladder.names[index].split(" (")[0].removeprefix("+ ")
            largest = f"{rung} ({ladder.labels[index]}): {size / ladder.total:.0%}"
        rows.append(
            [ladder.target, *cells, _number(ladder.total), _number(ladder.blog_us), largest]
        )
    header = ["service", *RUNGS, "= `/demo`", "blog's `/demo`", "largest rung"]
    return table(header, rows, "l" + "r" * (len(RUNGS) + 2))


def _floor_ladders(ladders: Sequence[Ladder]) -> list[str]:
    rows = []
    for ladder in ladders:
        (server, driver), (idle, trip) = ladder.labels, ladder.rungs
        rows.append([ladder.target, f"{_number(idle)} ({server})", f"{_number(trip)} ({driver})",
                     _number(ladder.total)])  # fmt: skip
    header = ["floor", "server alone (`/idle`)", "+ driver round trip", "= `/demo`"]
    return table(header, rows, "lrrr")


def _rows(rows: Sequence[Row], timeout_s: int) -> list[str]:
    header = ["target", "req/s", "p50", "p99", "x floor", "x blog", "cpu", "wrk", "load",
              "us/req", "conns", "failures", "bodies", "limit"]  # fmt: skip
    cells = [
        [r.target, f"{r.rps:,.0f}", _ms(r.p50_ms, timeout_s), _ms(r.p99_ms, timeout_s),
         _ratio(r.ratio_floor), _ratio(r.ratio_blog), cores(r.target_cpu), cores(r.wrk_cpu),
         cores(r.load_cpu), _number(r.cpu_us_per_request),
         "?" if r.db_connections_peak < 0 else f"{r.db_connections_peak:,}",  # -1: no reading
         f"{r.failures:,} ({r.timeouts:,})" if r.timeouts else f"{r.failures:,}", r.bodies,
         r.limit]
        for r in rows
    ]  # fmt: skip
    return table(header, cells, "l" + "r" * 11)


def _ms(value: float | None, timeout_s: int) -> str:
    return f"> {timeout_s * 1000:,}" if value is None else f"{value:.2f}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _loads(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def _cpus(cpus: Sequence[int]) -> str:
    return ",".join(map(str, cpus))
