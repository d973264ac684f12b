"""The interpreter's private state fixturestmp reads: the environment's
encoded copy, multiprocessing's temporary directory and its pipes to its
helper processes, eventlet's hub, and other threads' stacks.

The leak checks read them around every test; each use names the versions
it was checked against, and each has a public fallback.
"""

import os
import sys
from types import FrameType
from typing import Any

__all__ = [
    "environ_is",
    "environ_snapshot",
    "eventlet_hub_fd",
    "multiprocessing_helper_fds",
    "multiprocessing_tempdir",
    "thread_frames",
]


def thread_frames() -> dict[int, FrameType]:
    """Return the frame each thread of the process is running, by thread id.

    ``sys._current_frames`` (CPython 3.10-3.13; documented, underscored):
    the stack of a thread other than the caller's has no other way in.
    """
    return sys._current_frames()


def environ_snapshot() -> dict[Any, Any]:
    """Return a copy of the environment, cheap enough to take twice a test.

    The public copy (``dict(os.environ)``) decodes every name and value
    through the mapping's Python methods; ``os.environ._data`` (CPython
    3.10-3.13 on POSIX: the encoded bytes given to ``os.putenv``, kept in
    step by every change made through ``os.environ``) copies in one C call,
    which the ``environ`` check can afford around every test (``python -m
    benchmarks.bench_environ`` measures both; doc/benchmarks.rst has the
    figures). Where ``_data`` is missing or not a plain ``dict``
    (another Python, or a test that replaced ``os.environ``), the public
    copy is made: a changed ``os`` module costs speed, not correctness.

    Names and values are ``bytes`` where the private route is taken, else
    ``str``: compare two snapshots with each other, and decode with
    :func:`os.fsdecode` to show them.
    """
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict):
        return dict(data)
    return dict(os.environ)


def environ_is(snapshot: dict[Any, Any]) -> bool:
    """Return whether the environment is still ``snapshot`` (made by
    :func:`environ_snapshot`), comparing without making a copy.

    Most tests leave the environment as they found it, and comparing costs
    less than copying (``python -m benchmarks.bench_environ``).
    """
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict):
        return data == snapshot
    return dict(os.environ) == snapshot


def eventlet_hub_fd() -> int | None:
    """Return the descriptor of this thread's eventlet hub, if it has one.

    eventlet 0.30-0.41 (0.41.3 run): a thread's hub is made on its first
    use of eventlet and kept for the thread's life, in
    ``eventlet.hubs._threadlocal.hub``; Linux's default hub (``epolls``)
    holds one epoll descriptor, ``hub.poll``. The public
    ``eventlet.hubs.get_hub()`` would make a hub where there is none, so it
    is not called. None where eventlet is not imported, has made no hub
    here, or its hub holds no descriptor (the ``poll``, ``selects`` hubs).
    """
    hubs = sys.modules.get("eventlet.hubs")
    hub = getattr(getattr(hubs, "_threadlocal", None), "hub", None)
    fileno = getattr(getattr(hub, "poll", None), "fileno", None)
    try:
        return fileno() if callable(fileno) else None
    except (OSError, ValueError):  # Closed.
        return None


def multiprocessing_tempdir() -> str | None:
    """Return multiprocessing's temporary directory of this process, if made.

    CPython 3.10-3.13: multiprocessing keeps its name in the current
    process's ``_config`` (its public getter, ``util.get_temp_dir()``,
    makes the directory). None where multiprocessing is not imported:
    it is not imported here.
    """
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None:
        return None
    config = getattr(multiprocessing.current_process(), "_config", None)
    if isinstance(config, dict):
        tempdir = config.get("tempdir")
        if isinstance(tempdir, str):
            return tempdir
    return None


# Where multiprocessing keeps this process's end of the pipe to each helper
# process it starts once: (module, the helper's object, the attribute).
_HELPER_FDS = (
    ("multiprocessing.resource_tracker", "_resource_tracker", "_fd"),
    ("multiprocessing.forkserver", "_forkserver", "_forkserver_alive_fd"),
)


def multiprocessing_helper_fds() -> frozenset[int]:
    """Return the descriptors this process keeps open to multiprocessing's
    helper processes (the resource tracker, the forkserver).

    CPython 3.10-3.13: each helper is started once and its pipe kept for
    the life of the process, in the module's single helper object. Empty
    where multiprocessing has started neither (nothing is imported here).
    The public fallback is to match the other end in the helpers' own
    descriptors, which only ``/proc`` lists (Linux).
    """
    found = set()
    for module, holder, attribute in _HELPER_FDS:
        helper = getattr(sys.modules.get(module), holder, None)
        fd = getattr(helper, attribute, None)
        if isinstance(fd, int) and fd >= 0:
            found.add(fd)
    return frozenset(found)
