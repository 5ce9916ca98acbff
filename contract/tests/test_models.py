"""Each target runs the concurrency model ``services.toml`` says (CONTRACT.md, ``WORKER_MODEL``).

Proved on the running processes, from the shared objects each has mapped (``/proc/<pid>/maps``):
in thread mode, and in asyncio, neither gevent's compiled modules nor greenify is loaded in the
server or any of its workers; in gevent mode gevent's are, so the check sees what it looks for.
"""

from __future__ import annotations

from pathlib import Path

from contract.tests.conftest import Deployment

COOPERATIVE = ("/gevent/", "greenify")  # in the paths of gevent's and greenify's shared objects


def _cooperative_objects(pid: int) -> set[str]:
    """The gevent and greenify shared objects process ``pid`` has mapped."""
    mapped = Path(f"/proc/{pid}/maps").read_text().splitlines()
    paths = {line.split(maxsplit=5)[5] for line in mapped if line.count(" ") >= 5 and "/" in line}
    return {path for path in paths if ".so" in path and any(word in path for word in COOPERATIVE)}


def test_the_running_worker_is_of_its_model(service: Deployment) -> None:
    # The server's process and its workers (gunicorn's children), as they serve.
    with service.client() as client:
        assert client.get("/idle").status_code == 200
    loaded = {process.pid: _cooperative_objects(process.pid) for process in service.processes()}
    gevent = service.running.spec.model == "gevent"
    assert any(loaded.values()) == gevent, f"{service.running.spec.model}: {loaded}"
