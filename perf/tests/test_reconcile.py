"""The section "Why the blog said otherwise" (perf/reconcile): its figures from results files with
known numbers (loadtest's recorded fixtures, changed by hand), and the blog's apps measured only
under --full."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from loadtest.settings import Plan, RunSettings
from loadtest.settings import Target as LoadTarget

from perf.reconcile import markdown, run
from perf.reconcile.analysis import SLO, reconcile

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

FIXTURES = Path(__file__).resolve().parents[2] / "loadtest" / "tests" / "fixtures"
# loadtest's recorded run: +0 ms (demo, demo-hit, idle), +1 ms and +5 ms (demo); four
# templates, one core each, two rounds.
RECORDED = sorted(FIXTURES.glob("loadtest-*.json"))
Doc = dict[str, Any]
# Known numbers, req/s per core: (saturation, at the SLO) per round, per framework.
TEMPLATES = {"django": (600, 500), "flask": (1000, 800), "fastapi": (1200, 900),
             "starlette": (1500, 1100)}  # fmt: skip
# The blog's order with the database, at saturation; at the SLO Starlette leads.
BLOG = {"django": (300, 200), "flask": (900, 500), "fastapi": (700, 550), "starlette": (800, 600)}
IDLE = {"django": (1100, 1000), "flask": (1000, 900), "fastapi": (1100, 1000),
        "starlette": (1150, 1050)}  # fmt: skip


def _set(doc: Doc, numbers: Mapping[str, tuple[float, float | None]], scenario: str) -> None:
    for found in doc["searches"]:
        if found["scenario"] != scenario:
            continue
        framework = found["target"].removeprefix("blog-")
        saturation, slo = numbers[framework]
        found["steps"][0]["achieved_rps"] = saturation  # the probe
        found["capacity"].update(rps=slo, lower_bound=False, limit="service")


def _blog_doc(template: Doc) -> Doc:
    doc = copy.deepcopy(template)
    doc["searches"] = [s for s in doc["searches"] if s["scenario"] in run.SCENARIOS]
    for found in doc["searches"]:
        found["target"] = f"blog-{found['target']}"
    for target in doc["targets"]:
        target["name"] = f"blog-{target['name']}"
    env = {k: v for k, v in doc["environment"].items() if not k.startswith("stack.")}
    for framework, stack in (("django", "gevent"), ("flask", "gevent"), ("fastapi", "asyncio"),
                             ("starlette", "asyncio")):  # fmt: skip
        env[f"stack.blog-{framework}"] = stack
        env[f"blog.blog-{framework}"] = framework
    doc["environment"] = env
    return doc


def write_run(
    tmp_path: Path,
    blog: Mapping[str, tuple[float, float | None]] = BLOG,
    idle: Mapping[str, tuple[float, float | None]] = IDLE,
    *,
    with_blog: bool = True,
) -> tuple[list[Path], Path]:
    """The templates' results files and the blog folder of one run with the numbers above."""
    templates, folder = [], tmp_path / run.FOLDER
    folder.mkdir(parents=True)
    for path in RECORDED:
        doc = json.loads(path.read_text())
        _set(doc, TEMPLATES, "demo")
        _set(doc, TEMPLATES, "idle")
        (tmp_path / path.name).write_text(json.dumps(doc))
        templates.append(tmp_path / path.name)
        if with_blog:
            blog_doc = _blog_doc(doc)
            _set(blog_doc, blog, "demo")
            _set(blog_doc, idle, "idle")
            (folder / path.name).write_text(json.dumps(blog_doc))
    return templates, folder


def section(tmp_path: Path, **kwargs: Any) -> str:
    templates, folder = write_run(tmp_path, **kwargs)
    return "\n".join(markdown.render(reconcile(templates, folder, ladder=None)))


def verdicts(tmp_path: Path, **kwargs: Any) -> dict[tuple[str, float | None], str]:
    templates, folder = write_run(tmp_path, **kwargs)
    found = reconcile(templates, folder, ladder=None)
    return {(v.condition.scenario, v.condition.db_latency_ms): v.reproduces for v in found.verdicts}


def test_the_blogs_order_reproduces_when_its_apps_rank_as_it_said(tmp_path: Path) -> None:
    assert verdicts(tmp_path) == {
        ("demo", 0.0): "yes",
        ("demo", 1.0): "yes",
        ("demo", 5.0): "yes",
        ("idle", 0.0): "yes",
    }
    text = section(tmp_path / "again")
    assert (
        "| `demo` | flask > starlette > fastapi > django | flask > starlette > fastapi > django"
        in text
    )
    assert (
        "| `idle` | starlette > fastapi > flask | starlette > fastapi > flask | **yes** |" in text
    )
    assert "**1.15x** its Flask" in text  # Starlette 1,150 over Flask 1,000, idle


def test_a_different_order_does_not_reproduce(tmp_path: Path) -> None:
    found = verdicts(tmp_path, blog={**BLOG, "flask": (650, 500)})
    assert found[("demo", 0.0)] == "no"
    assert "within noise" not in found.values()


def test_neighbours_whose_rounds_overlap_are_within_noise(tmp_path: Path) -> None:
    templates, folder = write_run(tmp_path)
    # Flask's rounds 760 and 800 overlap Starlette's 800 and 800: a tie, so Starlette first
    # still matches the blog's order within noise.
    for path in folder.glob("loadtest-*.json"):
        doc = json.loads(path.read_text())
        for found in doc["searches"]:
            if found["scenario"] == "demo" and found["target"] == "blog-flask":
                found["steps"][0]["achieved_rps"] = 760 if found["round"] == 1 else 800
        path.write_text(json.dumps(doc))
    found = reconcile(templates, folder, ladder=None).verdicts
    (demo,) = [v for v in found if v.condition.scenario == "demo" and not v.condition.db_latency_ms]
    assert demo.found.frameworks == ("starlette", "flask", "fastapi", "django")
    assert demo.reproduces == "within noise"


def test_the_figures_are_per_core_medians_of_the_probe_and_the_search(tmp_path: Path) -> None:
    text = section(tmp_path)
    assert "| `blog-flask` (blog) | 900 | 500 |" in text
    assert "| `flask` | 1,000 | 800 |" in text
    # The code: the template over the blog app, saturated and at the SLO.
    assert "flask 1.11x saturated, 1.60x at the SLO" in text
    # The metric: at the SLO Starlette and FastAPI pass Flask.
    assert (
        "the blog's apps rank flask > starlette > fastapi > django at saturation, "
        "starlette > fastapi > flask > django at the SLO (**the order moves**)"
    ) in text


def test_the_blogs_apps_are_never_in_the_templates_verdict(tmp_path: Path) -> None:
    templates, folder = write_run(tmp_path)
    alone = reconcile(templates, None, ladder=None)
    assert not alone.measured  # the templates' files hold no blog app
    found = reconcile(templates, folder, ladder=None)
    assert {a.target for r in found.rankings for a in r.of(blog=True)} == {
        f"blog-{f}" for f in BLOG
    }


def test_a_run_without_the_blog_says_how_to_measure_it(tmp_path: Path) -> None:
    text = section(tmp_path, with_blog=False)
    assert text.startswith(markdown.TITLE)
    assert "`nox -s bench -- --full`" in text
    assert "reproduces" not in text


def test_failures_and_first_answers_are_findings_with_figures(tmp_path: Path) -> None:
    templates, folder = write_run(tmp_path)
    path = sorted(folder.glob("loadtest-*.json"))[0]
    doc = json.loads(path.read_text())
    for found in doc["searches"]:
        if found["target"] == "blog-django" and found["scenario"] == "demo":
            found["steps"][0]["errors"] = {"HTTP 500": 7}
            found["steps"][0]["failures"] = 7
    path.write_text(json.dumps(doc))
    burst = {"requests": 64, "failed": 3, "median_ms": 120.0, "slowest_ms": 2400.0}
    warm = {**burst, "failed": 0, "median_ms": 40.0, "slowest_ms": 90.0}
    record = '["<databases.backends.common.records.Record object at 0x7f>"]'
    probe = {"first": burst, "warm": warm, "sampled": 900, "with_rows": 5, "contract_rows": 0,
             "example": record}  # fmt: skip
    for number, peak in ((1, 64), (2, 71)):
        apps = {"blog-starlette": {**probe, "connections_peak": peak}}
        (folder / run.PROBES.format(number)).write_text(json.dumps({"apps": apps}))
    text = "\n".join(markdown.render(reconcile(templates, folder, ladder=None)))
    assert "`blog-django` under `demo`: 14 of " in text
    assert "(HTTP 500 x 14)" in text
    # Two starts: the failures summed, the slowest of both.
    assert "| `blog-starlette` | 2 | 6 of 128 | 120 / 2,400 | 0 of 128 | 40 / 90 |" in text
    assert "`blog-starlette` 71" in text  # the highest count over the phases
    assert "the templates' pools hold at most 10 per worker" in text
    assert (
        "`blog-starlette` 10 of 1,800 carried rows, 0 of 10 with rows in the contract's shape"
        in text
    )


def test_the_section_is_appended_to_the_report(tmp_path: Path) -> None:
    templates, folder = write_run(tmp_path)
    report = tmp_path / "report.md"
    report.write_text("# Report\n\nthe verdict\n")
    markdown.append(report, templates, folder)
    text = report.read_text()
    assert text.startswith("# Report\n\nthe verdict\n\n" + markdown.TITLE)


@pytest.mark.parametrize(
    ("services", "full", "templates", "apps"),
    [
        (None, False, None, []),
        (None, True, None, list(run.NAMES)),
        (["flask"], True, ["flask"], []),
        (["flask", "blog-flask"], True, ["flask"], ["blog-flask"]),
        (["blog-django"], True, [], ["blog-django"]),
    ],
)
def test_the_blogs_apps_are_measured_under_full_only(
    services: Sequence[str] | None, full: bool, templates: list[str] | None, apps: list[str]
) -> None:
    named, targets = run.select(services, full=full)
    assert named == templates
    assert [t.name for t in targets] == apps


def test_naming_a_blog_app_without_full_is_refused() -> None:
    with pytest.raises(SystemExit, match="--full"):
        run.select(["blog-flask"], full=False)


def _base(latency: str, pool: str, rule: str = "fitted") -> Plan:
    settings = RunSettings(scenarios=("demo", "demo-hit", "idle"), generator="wrk")
    target = LoadTarget("flask", "http://127.0.0.1:1", pids=(1,), cpu_allowance=2)
    labels = {"db_latency_ms": latency, "db_pool_size": pool, "db_pool_rule": rule}
    labels["web_concurrency"] = "2"
    meta = {"stack.flask": "gevent", "command.flask": "gunicorn", "service_cpus": "0,1"}
    return Plan(settings, (target,), {"database": (2,)}, labels, meta)


def test_the_blogs_apps_run_their_two_tests_in_the_rows_not_in_a_pool_sweep() -> None:
    assert run.scenarios_of(_base("0", "10")) == ("demo", "idle")
    assert run.scenarios_of(_base("5", "24")) == ("demo",)
    assert run.scenarios_of(_base("5", "20", rule="swept")) == ()


def test_the_blogs_plan_is_the_phases_with_its_apps_on_one_core() -> None:
    (app,) = run.select(["blog-fastapi"], full=True)[1]
    plan = run.blog_plan(_base("1", "10"), [(app, "http://127.0.0.1:9", 42)])
    assert [(t.name, t.pids, t.cpu_allowance) for t in plan.targets] == [("blog-fastapi", (42,), 1)]
    assert plan.meta["blog.blog-fastapi"] == "fastapi"
    assert plan.meta["stack.blog-fastapi"] == "asyncio"
    assert "stack.flask" not in plan.meta
    assert plan.watch == {"database": (2,)}
    assert plan.labels["db_latency_ms"] == "1"
    assert plan.settings.generator == "wrk"


def test_an_app_that_sustained_no_rate_ranks_last_at_the_slo(tmp_path: Path) -> None:
    templates, folder = write_run(tmp_path, blog={**BLOG, "flask": (900, None)})
    demo = reconcile(templates, folder, ladder=None).rankings[0]
    assert demo.condition.scenario == "demo"
    assert demo.order(SLO, blog=True).frameworks == ("starlette", "fastapi", "django", "flask")
