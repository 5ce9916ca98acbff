"""How the blog ran its Django and Flask apps: gunicorn, gevent workers, greenify's patch.

"Django 和 Flask 基于 Gevent + Gunicorn 进行部署，利用 Greenify 对二进制进行 Patch": the whole
MySQL C client library patched with greenify.patch_lib(), one worker here (perf/run.py pins
it to one core). The library's path is looked up rather than hard-coded, to start anywhere.
"""

import os

bind = [f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
worker_class = "gevent"
workers = 1
control_socket_disable = True
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def post_worker_init(worker):
    import greenify
    import MySQLdb._mysql  # noqa: F401

    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "libmariadb" in line or "libmysql" in line}
    greenify.greenify()
    for path in paths:
        assert greenify.patch_lib(path), path
