"""Run a script under gevent in a fresh Python process, as a gunicorn gevent worker runs.

Monkey-patching and greenify's hooks are process-wide, so every check that needs them runs in
its own process, from the service folder.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent
GEVENT = """
from gevent import monkey

monkey.patch_all()

import time

import gevent
"""
# What post_worker_init does before the first query (gunicorn.conf.py).
GREENIFY = """
from config.mysql_greenify import greenify_mysql_client

greenify_mysql_client()
"""


def run(script: str, *, greenify: bool = False, env: dict[str, str] | None = None) -> list[str]:
    """Run ``script`` after gevent's monkey-patching (and greenify); its output's words."""
    return run_process(script, greenify=greenify, env=env).stdout.split()


def run_process(
    script: str, *, greenify: bool = False, gevent: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` after gevent's monkey-patching (and greenify); fails if it fails."""
    prelude = (GEVENT if gevent else "import time\n") + (GREENIFY if greenify else "")
    result = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(script)],
        cwd=SERVICE,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return result
