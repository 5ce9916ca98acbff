"""Gunicorn settings: gevent workers, each with a cooperative MySQL client and a warm pool.

Settings: https://docs.gunicorn.org/en/stable/settings.html
Hooks: https://docs.gunicorn.org/en/stable/settings.html#server-hooks
Gunicorn reads WEB_CONCURRENCY (the number of workers, default 1) by itself.
"""

from __future__ import annotations

import os
from typing import Any


def _flag(name: str) -> bool:
    value = os.environ.get(name, "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise RuntimeError(f"{name} must be true or false, got {value!r}")
    return value in ("true", "1", "yes", "on")


# All interfaces. Gunicorn would read PORT too, but without it would listen on 127.0.0.1 only.
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]

# One process serves many requests at once: gevent switches greenlets while one waits on the
# network, MySQL included once greenify has patched the C client (post_worker_init below).
worker_class = "gevent"

# On SIGTERM a worker stops accepting, finishes in-flight requests for up to this long, then
# exits (closing its pool in worker_exit). Above the worst-case request with the default
# timeouts (DB_POOL_TIMEOUT + DB_CONNECT_TIMEOUT + DB_QUERY_TIMEOUT = 12 s), below the chart's
# terminationGracePeriodSeconds (30 s, after its 5 s preStop delay). The same in all four.
graceful_timeout = 20

# Off by default; ACCESS_LOG=true logs one line per request to stdout.
accesslog = "-" if _flag("ACCESS_LOG") else None
errorlog = "-"

# Gunicorn 25.1+ opens a control socket by default, under $XDG_RUNTIME_DIR or
# ~/.gunicorn/: not writable with a read-only root filesystem, and shared by every server
# started by the same user on one machine. This service is managed by signals only.
control_socket_disable = True

# The worker heartbeat file: in memory (/dev/shm) where it exists, as gunicorn's docs advise
# for containers; else the temporary directory (TMPDIR, /tmp), which stays writable when the
# root filesystem is read-only.
# https://docs.gunicorn.org/en/stable/faq.html#how-do-i-avoid-gunicorn-excessively-blocking-in-os-fchmod
worker_tmp_dir = "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else None


def post_worker_init(worker: Any) -> None:
    """In each worker, after gevent's monkey patching and create_app(), before serving."""
    from app import cooperative, db

    library = cooperative.patch_mysql_client()
    worker.log.info("greenify: poll() of %s now waits on gevent", library)
    db.warm_up(worker.wsgi)


def worker_exit(server: Any, worker: Any) -> None:
    """Close the worker's pooled connections as it exits."""
    flask_app = getattr(worker, "wsgi", None)  # absent if the app failed to load
    if flask_app is not None:
        from app import db

        db.close(flask_app)
