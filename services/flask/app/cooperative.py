"""Make MySQLdb's C client wait on gevent's hub, with greenify (https://github.com/douban/greenify).

Only ``poll()``, which honours the client's timeouts: ``greenify.patch_lib``'s recv/send hooks
wait forever on a silent server. greenify 0.5 has no public call to patch one function, so its
C entry point gets poll()'s index in ``greenified_function_t`` (include/hook_greenify.h).
"""

from __future__ import annotations

import ctypes
import os
import re
from pathlib import Path

# The MySQL C client libraries mysqlclient can be built against.
_CLIENT_LIBRARY = re.compile(r"/lib(?:mariadb|mysqlclient)\.so(?:\.\d+)*$")
_FN_POLL = 14  # greenify 0.5's index of poll()


def client_library() -> str:
    """The path of the C client library that MySQLdb's extension has loaded."""
    import MySQLdb._mysql  # noqa: F401  # loads the library into this process

    maps = Path("/proc/self/maps").read_text().splitlines()
    mapped = {line.split(maxsplit=5)[-1] for line in maps if line}
    found = sorted(path for path in mapped if _CLIENT_LIBRARY.search(path))
    if len(found) != 1:
        raise RuntimeError(f"expected one MySQL C client library loaded, found {found or 'none'}")
    return found[0]


def patch_mysql_client() -> str:
    """Route the C client's ``poll()`` through gevent; returns the library's path."""
    import greenify

    library = client_library()
    greenify.greenify()
    hooks = ctypes.CDLL(greenify.__file__)
    hooks.greenify_patch_lib.argtypes = [ctypes.c_char_p, ctypes.c_int]
    hooks.greenify_patch_lib.restype = ctypes.c_void_p
    if not hooks.greenify_patch_lib(os.fsencode(library), _FN_POLL):
        raise RuntimeError(f"greenify could not patch poll() in {library}")
    return library
