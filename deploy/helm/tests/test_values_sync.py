"""The umbrella's service blocks are the services' own values files, not a second copy.

deploy/helm/values.yaml embeds each services/<name>/values.yaml (service_values.py writes it);
this fails when one was edited without the other.
"""

from __future__ import annotations

import pytest
import service_values
import yaml
from chartlib import ALIASES, CHART, SERVICES, THREADS, load_values


def test_service_blocks_are_generated_from_the_services() -> None:
    current = service_values.UMBRELLA_VALUES.read_text(encoding="utf-8")
    assert service_values.regenerate(current) == current, (
        f"deploy/helm/values.yaml is out of date: run `{service_values.SCRIPT}`"
    )


@pytest.mark.parametrize("name", SERVICES)
def test_service_values_are_equal(name: str) -> None:
    assert load_values(CHART / "values.yaml")[name] == load_values(service_values.source(name))


def test_every_alias_has_its_values_file() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    aliases = [d["alias"] for d in chart["dependencies"] if d["name"] == "service"]
    assert tuple(aliases) == ALIASES
    assert service_values.SERVICES == SERVICES == tuple(a for a in ALIASES if a not in THREADS)
    for name in SERVICES:
        assert service_values.source(name).is_file(), name


@pytest.mark.parametrize("alias", THREADS)
def test_a_thread_mode_block_is_its_service_in_thread_mode(alias: str) -> None:
    """The thread-mode aliases differ from their service's own values only by the model (and
    their name, and being off by default)."""
    umbrella = load_values(CHART / "values.yaml")
    threads = dict(umbrella[alias])
    service = dict(umbrella[THREADS[alias]])
    assert threads.pop("enabled") is False
    assert threads.pop("nameOverride") == alias
    assert (threads.pop("stack"), threads.pop("workerModel")) == ("threads", "threads")
    service.pop("nameOverride")
    service.pop("stack")
    assert threads == service
