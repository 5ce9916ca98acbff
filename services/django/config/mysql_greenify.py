"""Make the MySQL C client cooperative under gevent, with greenify.

mysqlclient's ``_mysql`` extension does its network I/O inside libmariadb (or
libmysqlclient), out of reach of gevent's monkey-patching: unpatched, one slow query blocks
every request of the worker. ``greenify.patch_lib()`` redirects that library's calls to
``connect``, ``recv``, ``send``, ``poll``... to versions that yield to the gevent hub while
they wait. The library must be patched before its first query, and the waits keep their
timeouts only if every one is positive (settings.py) and the socket is non-blocking
(``_connect`` in config/db/base.py explains why).

https://github.com/douban/greenify#usage
"""

import os

import greenify

_CLIENT_LIBRARIES = ("libmariadb.so", "libmysqlclient.so")


def client_library() -> str:
    """The path of the C client library that MySQLdb's ``_mysql`` extension has loaded.

    Read from this process's memory map rather than guessed: it depends on how mysqlclient
    was built (MariaDB Connector/C on Debian, libmysqlclient elsewhere, a bundled copy in a
    wheel).
    """
    import MySQLdb._mysql  # noqa: F401  (loads the library)

    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) == 6:
                path = fields[5].strip()
                if os.path.basename(path).startswith(_CLIENT_LIBRARIES):
                    return path
    raise RuntimeError("MySQLdb is loaded but no libmariadb/libmysqlclient is mapped")


def greenify_mysql_client() -> str:
    """Patch the MySQL client library for gevent; return its path. Raises if it fails."""
    path = client_library()
    greenify.greenify()
    if not greenify.patch_lib(path):
        raise RuntimeError(f"greenify could not patch {path}")
    return path
