"""Gunicorn settings, read from the working directory: ``gunicorn config.wsgi``.

Gunicorn itself reads WEB_CONCURRENCY (the number of workers); the rest of the contract's
variables that concern the server are read here. This file runs in the master process:
it must not import Django's database layer, which the gevent workers import only after
they have monkey-patched the standard library.

https://gunicorn.org/reference/settings/
"""

import os
from typing import Any

from config import env

# Every interface, on PORT (gunicorn's own default without PORT would be 127.0.0.1:8000).
bind = [f"0.0.0.0:{env.positive_int('PORT', 8000)}"]

# gevent workers: each request is a greenlet; a request waiting on MySQL lets the others run.
worker_class = "gevent"

# Pools and greenify are set up in each worker after the fork; a preloaded app would open
# them in the master and share its sockets between workers.
preload_app = False

# Access log off unless asked for: at thousands of requests per second it costs CPU.
accesslog = "-" if env.boolean("ACCESS_LOG") else None
errorlog = "-"

# On SIGTERM a worker stops accepting, finishes its in-flight requests, then exits; whatever
# is left after this many seconds is killed. Above the worst-case request with the default
# timeouts (DB_POOL_TIMEOUT + DB_CONNECT_TIMEOUT + DB_QUERY_TIMEOUT = 12 s), below the chart's
# terminationGracePeriodSeconds (30 s, after its 5 s preStop delay). The same in all four.
graceful_timeout = 20

# The root filesystem is read-only in the container, and two masters on one machine must
# not share a socket: no ~/.gunicorn/gunicorn.ctl control socket (nothing here uses gunicornc).
# https://gunicorn.org/reference/settings/#control_socket_disable
control_socket_disable = True

# The worker heartbeat file: in memory, writable on a read-only root filesystem, and never
# blocking on disk. https://gunicorn.org/reference/settings/#worker_tmp_dir
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def post_worker_init(worker: Any) -> None:
    """Before the worker accepts requests: make MySQL cooperative, then fill the pools."""
    from django.db import connections

    from config.db.base import DatabaseWrapper
    from config.mysql_greenify import greenify_mysql_client

    library = greenify_mysql_client()
    worker.log.info("greenify: poll() of %s now waits on gevent", library)
    for connection in connections.all():
        if isinstance(connection, DatabaseWrapper):
            connection.open_pool()


def worker_exit(server: Any, worker: Any) -> None:
    """Close the pooled connections politely rather than let the server find them dropped."""
    from django.db import connections

    from config.db.base import DatabaseWrapper

    for connection in connections.all():
        if isinstance(connection, DatabaseWrapper):
            connection.close_pool()
