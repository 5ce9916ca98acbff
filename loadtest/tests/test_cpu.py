"""CPU accounting and the generator-bound rule."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from loadtest.cpu import (
    MASTER_NODE,
    ProcessUsage,
    cgroup_cpu_limit,
    cpu_delta,
    generator_load,
    parse_cpu_list,
    tree_cpu,
)

if TYPE_CHECKING:
    from pathlib import Path


def test_parse_cpu_list() -> None:
    assert parse_cpu_list("1") == {1}
    assert parse_cpu_list("0,2-3") == {0, 2, 3}
    with pytest.raises(ValueError, match="no CPU"):
        parse_cpu_list(" , ")


def test_cgroup_limit(tmp_path: Path) -> None:
    limit = tmp_path / "cpu.max"
    limit.write_text("150000 100000\n")
    assert cgroup_cpu_limit(limit) == 1.5
    limit.write_text("max 100000\n")
    assert cgroup_cpu_limit(limit) is None
    assert cgroup_cpu_limit(tmp_path / "absent") is None


def test_tree_cpu_counts_children() -> None:
    spin = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    before = tree_cpu([os.getpid()])
    child = subprocess.Popen([sys.executable, "-c", spin + "\ntime.sleep(30)"])
    try:
        # Bounded: the child burns 0.3 s of CPU within a few seconds at most.
        for _ in range(100):
            after = tree_cpu([os.getpid()])
            if cpu_delta(before, after) >= 0.3:
                break
            time.sleep(0.1)
        assert cpu_delta(before, after) >= 0.3
    finally:
        child.kill()
        child.wait()
    assert tree_cpu([2**22 + 12345]) == {}  # no such process: nothing, no error


def usage(host: str, seconds: float, cpus: float = 4) -> ProcessUsage:
    return ProcessUsage(host=host, cpu_seconds=seconds, cpus=cpus)


def test_one_local_process_flat_out_is_generator_bound() -> None:
    total, share = generator_load({"local": usage("a", 0)}, {"local": usage("a", 9.5)}, 10)
    assert total == 9.5
    assert share == pytest.approx(0.95)


def test_processes_sharing_one_core_are_judged_together() -> None:
    before = {"w1": usage("a", 0, cpus=1), "w2": usage("a", 0, cpus=1), MASTER_NODE: usage("a", 0)}
    after = {
        "w1": usage("a", 4.6, cpus=1),
        "w2": usage("a", 4.6, cpus=1),
        MASTER_NODE: usage("a", 0.2),
    }
    total, share = generator_load(before, after, 10)
    assert total == pytest.approx(9.4)
    assert share == pytest.approx(0.94)  # each worker is at 46 %, but the core is full


def test_workers_on_their_own_hosts_each_get_a_core() -> None:
    before = {"w1": usage("a", 0), "w2": usage("b", 0), MASTER_NODE: usage("m", 0)}
    after = {"w1": usage("a", 5), "w2": usage("b", 3), MASTER_NODE: usage("m", 0.5)}
    total, share = generator_load(before, after, 10)
    assert total == pytest.approx(8.5)
    assert share == pytest.approx(0.5)


def test_a_worker_without_a_baseline_is_ignored() -> None:
    total, share = generator_load({}, {"w1": usage("a", 50)}, 10)
    assert (total, share) == (0.0, 0.0)
