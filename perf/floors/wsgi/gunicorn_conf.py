"""gunicorn settings for the WSGI floors (wsgi_floor.py): one worker, of the kind asked for.

``FLOOR_WORKER``: ``gevent`` (the services' worker), ``gevent_pywsgi`` (gevent's own server) or
``gthread`` (``FLOOR_THREADS`` threads, default ``DB_POOL_SIZE``: one connection per thread).
https://docs.gunicorn.org/en/stable/settings.html
"""

from __future__ import annotations

import os

WORKER = os.environ.get("FLOOR_WORKER", "gevent")
if WORKER not in ("gevent", "gevent_pywsgi", "gthread"):
    raise RuntimeError(f"FLOOR_WORKER must be gevent, gevent_pywsgi or gthread, not {WORKER!r}")

bind = [f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
worker_class = WORKER
workers = 1
threads = int(os.environ.get("FLOOR_THREADS", os.environ.get("DB_POOL_SIZE", "10")))
accesslog = None
control_socket_disable = True
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
