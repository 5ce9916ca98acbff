"""An interrupted `nox -s bench` (perf/compare.py, a real quick run of one service) stops every
process it started and removes its files: on SIGTERM (nox after its interrupt_timeout, a CI
job's timeout) and on Ctrl-C, even in a run started as a script's background job (SIGINT
inherited ignored)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import pytest

from contract.process import tail

ROOT = Path(__file__).resolve().parents[2]
STARTED_WITHIN = 120.0  # s: the throw-away server, seeding, the proxy's cost, one service
STOPPED_WITHIN = 60.0  # s after the signal; the service's and the server's stops take seconds
MARK = "PERF_INTERRUPT_TEST"  # in the run's environment: every process it starts inherits it


def started_by(run: str) -> list[psutil.Process]:
    """The live processes whose environment carries the run's mark, wherever they are now (an
    orphan is one too); ``info`` holds each one's name and working directory."""
    return [
        process
        for process in psutil.process_iter(["name", "cwd", "environ"])
        if (process.info["environ"] or {}).get(MARK) == run  # a zombie shows none
    ]


def wait_for_load(run: str, process: subprocess.Popen[bytes], log: Path) -> list[psutil.Process]:
    """The run's processes once wrk loads the service: the database, the proxy, the service
    and loadtest are all up then."""
    deadline = time.monotonic() + STARTED_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the run ended with {process.returncode} before loading:\n{tail(log)}")
        found = started_by(run)
        if any(p.info["name"] == "wrk" for p in found):
            return found
        time.sleep(0.1)
    pytest.fail(f"no wrk within {STARTED_WITHIN:g} s:\n{tail(log)}")


def wait_until_gone(run: str, timeout: float = 10.0) -> list[psutil.Process]:
    """The run's processes still there after ``timeout`` s (a zombie is gone)."""
    deadline = time.monotonic() + timeout
    while (left := started_by(run)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.mark.timeout(STARTED_WITHIN + STOPPED_WITHIN + 60)
@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C in the background"])
def test_an_interrupted_run_stops_everything_it_started(how: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex
    # Its temporary files here (short: the server's socket lives under it), to see them gone.
    tmp = Path(tempfile.mkdtemp(prefix="bench-test-"))
    out, log = tmp_path / "results", tmp_path / "stderr.log"
    command = [sys.executable, "-m", "perf.compare", "--quick", "--service", "starlette"]
    command += ["--out", str(out)]
    if how != "SIGTERM":  # as a shell without job control starts a job with `&`
        command = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp), MARK: run}
    try:
        with (
            log.open("wb") as stderr,
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # a group of its own, as a terminal's job is
            ) as process,
        ):
            try:
                found = wait_for_load(run, process, log)
                # What the test stands on: the mark reached the server, the service and wrk.
                assert {"mariadbd", "mysqld"} & {p.info["name"] for p in found}
                assert str(ROOT / "services" / "starlette") in {p.info["cwd"] for p in found}
                if how == "SIGTERM":
                    process.send_signal(signal.SIGTERM)
                else:
                    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole group
                try:
                    code = process.wait(timeout=STOPPED_WITHIN)
                except subprocess.TimeoutExpired:
                    pytest.fail(f"still running {STOPPED_WITHIN:g} s after {how}:\n{tail(log)}")
                left = wait_until_gone(run)
            finally:
                for leftover in started_by(run):  # a failing run's: not the next test's problem
                    with contextlib.suppress(psutil.Error):
                        leftover.kill()
        assert not left, f"left after {how}: {[(p.pid, p.info['name']) for p in left]}"
        assert code == 130, tail(log)
        assert "bench: interrupted" in log.read_text()
        assert not list(tmp.iterdir())
        assert not out.exists()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
