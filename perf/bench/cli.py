"""``python -m perf.bench``: run the micro-benchmark (``nox -s perf``), or redo a run's report.

``python -m perf.bench [--smoke] [options]`` measures and, if the run passes, writes
``results/perf-<UTC>.json``, ``.md`` and ``-ladder.png`` (all three or none). ``python -m
perf.bench report FILE.json`` redoes the Markdown and the chart from a results file, beside it
or (``--readme``) into perf/README.md's example section.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from loadtest.cpu import split_cpus
from loadtest.markdown import with_block
from loadtest.results import write_all

from contract.process import tail
from perf.bench import chart
from perf.bench.analysis import Analysis, analyse
from perf.bench.report import markdown
from perf.bench.results import Results, Settings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "perf" / "README.md"
README_CHART = "docs/ladder.png"  # relative to perf/README.md
BEGIN, END = "<!-- perf report: begin -->", "<!-- perf report: end -->"
# --smoke's sizes, where not given (the defaults are the full run's).
SMOKE = {"rows": 20_000, "rounds": 1, "duration": 1, "warmup": 0}


def run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nox -s perf --",
        description="The wrk micro-benchmark: services, floors, the blog's apps (perf/README.md).",
        epilog="python -m perf.bench report FILE.json [--readme]: redo a run's report.",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="one short round on a small table, for CI (--rows 20000 --rounds 1 --duration 1"
        " --warmup 0)",
    )
    parser.add_argument("--rows", type=int, default=10**6, help="blog rows (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run (default 3)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="warm-up per target and path, s (default 1; 0: none)"
    )
    parser.add_argument(
        "--connections", type=int, nargs="+", default=[64, 512], help="wrk -c values"
    )
    parser.add_argument("--paths", nargs="+", default=["/demo", "/idle"])
    parser.add_argument("--timeout", type=int, default=2, help="wrk's request timeout, s")
    parser.add_argument("--target", action="append", help="only these targets (repeatable)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="TARGET:NAME=VALUE",
        help="extra environment for one target, e.g. django:DB_POOL_SIZE=4 (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "results", help="results folder")
    return parser


def report_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m perf.bench report",
        description="Redo a run's Markdown report and ladder chart from its results file.",
    )
    parser.add_argument("file", type=Path, help="a results/perf-*.json file")
    parser.add_argument(
        "--readme",
        action="store_true",
        help=f"into perf/README.md between its {BEGIN} and {END} lines, the chart to "
        f"perf/{README_CHART}, the file to perf/docs/perf.json (else: beside the file)",
    )
    return parser


def settings_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Settings:
    env: dict[str, dict[str, str]] = {}
    for item in args.env:
        target, _, assignment = item.partition(":")
        name, sep, value = assignment.partition("=")
        if not sep:
            parser.error(f"--env wants TARGET:NAME=VALUE, not {item!r}")
        env.setdefault(target, {})[name] = value
    target_cpus, load_cpus = split_cpus(1)
    if target_cpus == load_cpus:
        parser.error("needs at least two CPUs: one for the target, one for wrk and the database")
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    return Settings(
        smoke=args.smoke,
        rows=args.rows,
        rounds=args.rounds,
        duration_s=args.duration,
        warmup_s=args.warmup,
        connections=args.connections,
        paths=args.paths,
        wrk_timeout_s=args.timeout,
        target_cpus=target_cpus,
        load_cpus=load_cpus,
        env=env,
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["report"]:
        return report(report_parser().parse_args(argv[1:]))
    parser = run_parser()
    if parser.parse_known_args(argv)[0].smoke:
        parser.set_defaults(**SMOKE)
    args = parser.parse_args(argv)
    return measure(settings_from(args, parser), args.target, args.out)


def measure(settings: Settings, selected: Sequence[str] | None, out: Path) -> int:
    """Run, report, and write the files if the run passed; 1 if it failed."""
    # Imported here: the run needs the contract kit and the drivers, a report needs neither.
    from perf.bench.run import run  # noqa: PLC0415
    from perf.bench.targets import build_targets  # noqa: PLC0415

    # SIGTERM (a CI job's timeout, say) unwinds like Ctrl-C: every target and the database are
    # stopped, the logs removed, nothing written.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    # The database server, wrk and this process stay off the targets' core: set before the
    # kit starts MariaDB, which inherits it. run_with_login() pins each target itself.
    os.sched_setaffinity(0, settings.load_cpus)
    targets = build_targets(selected)
    # The servers' logs go with the run, whatever its end.
    with tempfile.TemporaryDirectory(prefix="perf-logs-", ignore_cleanup_errors=True) as log_dir:
        try:
            results, logs = run(targets, settings, Path(log_dir))
        except KeyboardInterrupt:
            print(
                "interrupted: every target and the database stopped, nothing written",
                file=sys.stderr,
            )
            return 130
        analysis = analyse(results)
        stem = "perf-" + results.started.replace("-", "").replace(":", "")
        files = _files(results, analysis, stem)
        print(files[f"{stem}.md"].decode())
        if analysis.problems:
            _explain_failure(analysis, logs)
            return 1
        for path in write_all(out, files):
            print(f"wrote {path}")
        return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _explain_failure(analysis: Analysis, logs: dict[str, Path]) -> None:
    print("FAILED (nothing written):", file=sys.stderr)
    for problem in analysis.problems:
        print(f"  {problem}", file=sys.stderr)
    for name, log in logs.items():
        if any(p.startswith((f"{name}:", f"{name} ")) for p in analysis.problems):
            print(f"--- {name}: the end of its log\n{tail(log, 30)}", file=sys.stderr)


def _files(
    results: Results, analysis: Analysis, stem: str, chart_path: str | None = None, level: int = 1
) -> dict[str, bytes]:
    """The run's three files, the report linking the chart at ``chart_path`` (by default the
    one beside it)."""
    document = results.to_dict(analysis.to_dict())
    page = markdown(results, analysis, chart_path or f"{stem}-ladder.png", level=level)
    kind = "smoke run" if results.settings.smoke else "run"
    title = (
        f"CPU per request by layer, {analysis.ladder_connections} connections "
        f"({kind} of {results.started}, {results.machine['cpus']} CPUs)"
    )
    return {
        f"{stem}.json": (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode(),
        f"{stem}.md": page.encode(),
        f"{stem}-ladder.png": chart.ladder_png(analysis.ladders, title),
    }


def report(args: argparse.Namespace) -> int:
    results = Results.load(args.file)
    analysis = analyse(results)
    if not args.readme:
        stem = args.file.name.removesuffix(".json")
        files = _files(results, analysis, stem)
        del files[f"{stem}.json"]
        for path in write_all(args.file.parent, files):
            print(f"wrote {path}")
        return 0
    files = _files(results, analysis, "perf", README_CHART, level=3)
    docs = README.parent / "docs"
    write_all(docs, {"ladder.png": files["perf-ladder.png"], "perf.json": files["perf.json"]})
    block = files["perf.md"].decode()
    README.write_text(with_block(README.read_text(), BEGIN, END, f"{BEGIN}\n{block}{END}"))
    print(f"wrote {README}, {docs / 'ladder.png'}, {docs / 'perf.json'}")
    return 0
