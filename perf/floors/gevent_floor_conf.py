"""gunicorn settings for the gevent floor (gevent_floor.py): one gevent worker, greenify."""

from __future__ import annotations

import os
from typing import Any

bind = [f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
worker_class = os.environ.get("FLOOR_WORKER_CLASS", "gevent")
workers = 1
accesslog = None
control_socket_disable = True
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def post_worker_init(worker: Any) -> None:
    """After gevent's monkey patching: greenify the MySQL C client, then open the pool."""
    # Imported here, in the worker: this file also runs in gunicorn's master.
    import gevent_floor  # noqa: PLC0415
    import greenify  # noqa: PLC0415
    import MySQLdb._mysql  # noqa: F401, PLC0415  (maps the C client library)

    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "libmariadb" in line or "libmysql" in line}
    greenify.greenify()
    for path in paths:
        if not greenify.patch_lib(path):
            raise RuntimeError(f"greenify could not patch {path}")
    gevent_floor.fill_pool()
