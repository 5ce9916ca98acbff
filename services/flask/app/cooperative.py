"""Make MySQLdb's C client wait on gevent's hub instead of blocking the worker.

gevent's monkey patching reaches Python sockets only; mysqlclient talks to MySQL from C
(libmariadb or libmysqlclient). greenify (https://github.com/douban/greenify) rewrites a
shared library's calls to libc so that a wait happens on gevent's hub and other greenlets
run meanwhile.

Only ``poll()`` is rewritten, not everything ``greenify.patch_lib()`` would. The C client
reads and writes with ``MSG_DONTWAIT`` and does every wait in ``poll()`` with its connect,
read or write timeout; greenify's ``poll`` hook waits on the hub for that long. Its
``recv``/``send`` hooks, by contrast, wait on the hub with no timeout at all whenever the
socket is in blocking mode, which is how libmariadb leaves it after connecting: with
``patch_lib`` a database that stops answering hangs a request for good (see
tests/test_cooperative.py). Every connection therefore needs positive connect, read and write
timeouts (db.py sets them): greenify turns poll's "wait forever" (-1) into "give up now".

Call ``patch_mysql_client()`` in each worker after gevent's monkey patching and before the
first query: gunicorn.conf.py does it in ``post_worker_init``.
"""

from __future__ import annotations

import ctypes
import os
import re
from pathlib import Path

# The MySQL C client libraries mysqlclient can be built against.
_CLIENT_LIBRARY = re.compile(r"/lib(?:mariadb|mysqlclient)\.so(?:\.\d+)*$")
# greenify's ``greenified_function_t`` (include/hook_greenify.h in greenify 0.5).
_FN_POLL = 14


def client_library() -> str:
    """The path of the C client library that MySQLdb's ``_mysql`` extension has loaded."""
    import MySQLdb._mysql  # noqa: F401  # loads the library into this process

    # What the dynamic linker really loaded, whatever the build linked against.
    mapped = {
        fields[5]
        for line in Path("/proc/self/maps").read_text().splitlines()
        if len(fields := line.split(maxsplit=5)) == 6
    }
    found = sorted(path for path in mapped if _CLIENT_LIBRARY.search(path))
    if len(found) != 1:
        raise RuntimeError(f"expected one MySQL C client library loaded, found {found or 'none'}")
    return found[0]


def patch_mysql_client() -> str:
    """Route the C client's ``poll()`` through gevent; returns the library's path.

    Raises RuntimeError rather than let queries block the worker.
    """
    import greenify

    library = client_library()
    greenify.greenify()  # greenify's hooks now wait on gevent's hub
    # greenify's C entry point, which patches one function (patch_lib patches all of them).
    hooks = ctypes.CDLL(greenify.__file__)
    hooks.greenify_patch_lib.argtypes = [ctypes.c_char_p, ctypes.c_int]
    hooks.greenify_patch_lib.restype = ctypes.c_void_p
    if not hooks.greenify_patch_lib(os.fsencode(library), _FN_POLL):
        raise RuntimeError(f"greenify could not patch poll() in {library}")
    return library
