"""Make the MySQL C client cooperative under gevent, with greenify.

mysqlclient's ``_mysql`` extension does its network I/O inside libmariadb (or
libmysqlclient), out of reach of gevent's monkey-patching: unpatched, one slow query blocks
every request of the worker. greenify rewrites a shared library's calls to libc so that a
wait happens on gevent's hub, and other greenlets run meanwhile.

Only ``poll()`` is rewritten, not everything ``greenify.patch_lib()`` rewrites. libmariadb
reads and writes with ``MSG_DONTWAIT`` and does every wait in ``poll()`` with its connect,
read or write timeout, which greenify's ``poll`` hook keeps. Its ``recv``/``send`` hooks wait
on the hub with no timeout at all whenever the socket is in blocking mode, which is how
libmariadb leaves it once the TCP connection is up: with ``patch_lib``, a server that
accepts the TCP connection and never greets holds the connecting request, and its pool slot,
for good (tests/test_greenify.py). Every timeout must be positive: greenify turns poll's
"wait forever" into "give up now" (settings.py rounds them up to whole seconds).

https://github.com/douban/greenify#usage
"""

import ctypes
import os
import re
from pathlib import Path

import greenify

# The MySQL C client libraries mysqlclient can be built against.
_CLIENT_LIBRARY = re.compile(r"/lib(?:mariadb|mysqlclient)\.so(?:\.\d+)*$")
# greenify's ``greenified_function_t`` (include/hook_greenify.h in greenify 0.5).
_FN_POLL = 14


def client_library() -> str:
    """The path of the C client library that MySQLdb's ``_mysql`` extension has loaded.

    Read from this process's memory map rather than guessed: it depends on how mysqlclient
    was built (MariaDB Connector/C on Debian, libmysqlclient elsewhere, a bundled copy in a
    wheel).
    """
    import MySQLdb._mysql  # noqa: F401  (loads the library)

    mapped = {
        fields[5]
        for line in Path("/proc/self/maps").read_text().splitlines()
        if len(fields := line.split(maxsplit=5)) == 6
    }
    found = sorted(path for path in mapped if _CLIENT_LIBRARY.search(path))
    if len(found) != 1:
        raise RuntimeError(f"expected one MySQL C client library loaded, found {found or 'none'}")
    return found[0]


def greenify_mysql_client() -> str:
    """Route the C client's ``poll()`` through gevent; return the library's path.

    Raises RuntimeError rather than let queries block the worker.
    """
    library = client_library()
    greenify.greenify()  # greenify's hooks now wait on gevent's hub
    # greenify's C entry point, which patches one function (patch_lib patches all of them).
    hooks = ctypes.CDLL(greenify.__file__)
    hooks.greenify_patch_lib.argtypes = [ctypes.c_char_p, ctypes.c_int]
    hooks.greenify_patch_lib.restype = ctypes.c_void_p
    if not hooks.greenify_patch_lib(os.fsencode(library), _FN_POLL):
        raise RuntimeError(f"greenify could not patch poll() in {library}")
    return library
