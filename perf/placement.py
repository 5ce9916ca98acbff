"""Where ``nox -s bench``'s processes run: the service cores and the load side's cores, every
thread of a process pinned, the local database server found by its port."""

from __future__ import annotations

import os

import psutil

from loadtest import cpu


def split_cpus() -> tuple[set[int], set[int]]:
    """Service cores and the load side's: loadtest's split (the services' half first)."""
    services, load = cpu.split_cpus()
    return set(services), set(load)


def cpu_list(cpus: set[int]) -> str:
    return ",".join(str(cpu) for cpu in sorted(cpus))


def pin(pid: int, cpus: set[int]) -> None:
    """Every thread of ``pid`` and of its children onto ``cpus``: the database server's
    threads exist already, and a thread keeps the affinity it was created with."""
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        for thread in process.threads():
            os.sched_setaffinity(thread.id, cpus)


def listener_pid(host: str, port: int) -> int | None:
    """The local process listening on ``host:port`` (the database), if this machine runs it."""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        return None
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            return conn.pid
    return None
