"""gunicorn's settings, from the environment: https://docs.gunicorn.org/en/stable/settings.html

WORKER_MODEL: ``gevent`` (the MySQL C client made cooperative by greenify) or ``threads``.
"""

from __future__ import annotations

import logging
import logging.config
import os
import sys
from typing import Any

from app import config as app_config  # "config" would be a gunicorn setting
from app import db, log

try:
    settings = app_config.server()
except app_config.ConfigError as error:
    logging.config.dictConfig(log.config(access_log=False))
    logging.getLogger("app").error("invalid configuration: %s", error)
    sys.exit(1)

# All interfaces (gunicorn reads PORT too, but then listens on 127.0.0.1 only).
bind = [f"0.0.0.0:{settings['PORT']}"]
workers = settings["WEB_CONCURRENCY"]
if settings["WORKER_MODEL"] == "threads":
    worker_class = "gthread"
    threads = settings["WORKER_THREADS"]
else:
    worker_class = "gevent"

# On SIGTERM, in-flight requests get this long: above the worst request with the default
# timeouts (DB_POOL_TIMEOUT + DB_CONNECT_TIMEOUT + DB_QUERY_TIMEOUT = 12 s), below
# Kubernetes' default terminationGracePeriodSeconds (30 s).
graceful_timeout = 20

# One format for the app's and gunicorn's lines; the access log (stdout) only if asked.
logconfig_dict = log.config(settings["ACCESS_LOG"])

# gunicorn 25.1+ opens a control socket under $XDG_RUNTIME_DIR or ~/.gunicorn/: not writable
# on a read-only root filesystem. This server is managed by signals only.
control_socket_disable = True

# The heartbeat file in memory where it can, as gunicorn's FAQ advises for containers:
# https://docs.gunicorn.org/en/stable/faq.html#how-do-i-avoid-gunicorn-excessively-blocking-in-os-fchmod
worker_tmp_dir = "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else None


def post_worker_init(worker: Any) -> None:
    """In each worker, after create_app() (and gevent's patching), before serving."""
    if worker_class == "gevent":
        from app import cooperative

        library = cooperative.patch_mysql_client()
        worker.log.info("greenify: poll() of %s now waits on gevent", library)
    db.fill(worker.wsgi)


def worker_exit(server: Any, worker: Any) -> None:
    """Close the worker's pooled connections as it exits."""
    if getattr(worker, "wsgi", None) is not None:  # absent if the app failed to load
        db.close(worker.wsgi)
