"""A results file names the code it measured: the commit, and whether the tree had changes."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from loadtest.results import git_commit

if TYPE_CHECKING:
    from pathlib import Path


def git(where: Path, *args: str) -> str:
    command = ["git", "-C", str(where), "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def test_the_commit_and_whether_the_tree_had_changes(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "service.py").write_text("v1")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "v1")
    head = git(tmp_path, "rev-parse", "HEAD")
    assert len(head) == 40
    assert git_commit(tmp_path) == (head, False)
    (tmp_path / "service.py").write_text("v2, not committed")
    assert git_commit(tmp_path) == (head, True)
    git(tmp_path, "checkout", "-q", "service.py")
    (tmp_path / "new.py").write_text("untracked code is measured too")
    assert git_commit(tmp_path) == (head, True)


def test_outside_a_work_tree_the_commit_is_unknown(tmp_path: Path) -> None:
    assert git_commit(tmp_path) == (None, None)
