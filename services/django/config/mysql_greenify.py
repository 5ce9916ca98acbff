"""Make the MySQL C client cooperative under gevent: greenify's hook on ``poll()`` only.

libmariadb does every wait in ``poll()`` with its connect, read or write timeout. greenify's
``patch_lib()`` also hooks ``recv``/``send``, which wait without a timeout: a server that
accepts TCP and never greets would hold a connect for good. greenify 0.5 has no public call
for one function (no upstream issue; douban/greenify#18 is the nearest), so this calls its C
entry point ``greenify_patch_lib(path, fn)`` with ``FN_POLL`` from include/hook_greenify.h.
"""

import ctypes
import os
import re
from pathlib import Path

import greenify

_CLIENT_LIBRARY = re.compile(r"/lib(?:mariadb|mysqlclient)\.so(?:\.\d+)*$")
_FN_POLL = 14  # greenified_function_t's FN_POLL in greenify 0.5


def client_library() -> str:
    """The C client library MySQLdb has loaded (how mysqlclient was built decides which)."""
    import MySQLdb._mysql  # noqa: F401  (loads the library)

    mapped = Path("/proc/self/maps").read_text().split()
    found = sorted({path for path in mapped if _CLIENT_LIBRARY.search(path)})
    if len(found) != 1:
        raise RuntimeError(f"expected one MySQL C client library loaded, found {found or 'none'}")
    return found[0]


def greenify_mysql_client() -> str:
    """Route the C client's ``poll()`` through gevent's hub; return the library's path."""
    library = client_library()
    greenify.greenify()
    hooks = ctypes.CDLL(greenify.__file__)
    hooks.greenify_patch_lib.argtypes = [ctypes.c_char_p, ctypes.c_int]
    hooks.greenify_patch_lib.restype = ctypes.c_void_p
    if not hooks.greenify_patch_lib(os.fsencode(library), _FN_POLL):
        raise RuntimeError(f"greenify could not patch poll() in {library}")
    return library
