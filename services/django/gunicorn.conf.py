"""gunicorn's settings, read from the working directory: ``gunicorn config.wsgi``.

This runs in the master: a refused variable stops the service before any worker starts.
https://gunicorn.org/reference/settings/
"""

import os
from typing import Any

from config import env, logs

try:
    from config import settings
except env.Invalid as error:
    logs.refuse(error)

bind = [f"0.0.0.0:{settings.PORT}"]
workers = settings.WEB_CONCURRENCY
if settings.WORKER_MODEL == "threads":
    worker_class = "gthread"
    threads = settings.WORKER_THREADS
else:
    worker_class = "gevent"  # greenify makes the MySQL C client yield (post_worker_init)
# The pool belongs to each worker, after the fork: a preloaded app would share its sockets.
preload_app = False

logconfig_dict = logs.config()
logger_class = logs.GunicornLogger
accesslog = "-" if settings.ACCESS_LOG else None

# On SIGTERM, requests in flight get this long to finish: more than the worst case with the
# default timeouts (DB_POOL_TIMEOUT + DB_CONNECT_TIMEOUT + DB_QUERY_TIMEOUT = 12 s).
graceful_timeout = 20
# No control socket in ~/.gunicorn and the heartbeat file in memory: the root filesystem may
# be read-only.
control_socket_disable = True
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def post_worker_init(worker: Any) -> None:
    """Before the worker accepts requests: make MySQL cooperative (gevent), fill the pool."""
    from config.db.base import pooled

    if worker_class == "gevent":
        from config.mysql_greenify import greenify_mysql_client

        worker.log.info("greenify: poll() of %s now waits on gevent", greenify_mysql_client())
    pooled().open_pool(timeout=settings.DB_CONNECT_TIMEOUT)


def worker_exit(server: Any, worker: Any) -> None:
    """Close the idle pooled connections rather than let the server find them dropped."""
    from config.db.base import pooled

    pooled().pool.close()
