"""Per-process state, reset in a forked child.

A child made by :func:`os.fork` (a test that forks, :mod:`multiprocessing`'s
``fork`` start method) starts as a copy of its parent: a half-filled
manifest batch, a trash whose thread does not run in the child, a session
that the parent owns and ends. Each module that holds such state registers
one function that resets it, with :func:`after_fork_in_child`; one
:func:`os.register_at_fork` handler calls them all in the child, right
after the fork, before the child runs anything else. The rest of the code
then needs no check of which process it runs in.

A process forked by C code that bypasses Python's fork hooks is not seen;
the standard library's ways to fork (``os.fork``, ``os.forkpty``,
:mod:`multiprocessing`) all run them.
"""

import os
from collections.abc import Callable

from fixturestmp.errors import call_each

__all__ = ["after_fork_in_child"]

_resets: list[Callable[[], None]] = []


def after_fork_in_child(reset: Callable[[], None]) -> Callable[[], None]:
    """Call ``reset()`` in every child forked from now on, just after the fork.

    Register once per module (e.g. as a decorator on a module function),
    not once per object: a module whose objects hold per-process state
    keeps them in a :class:`weakref.WeakSet` and resets each.

    :return: ``reset``, so that this can decorate it.
    """
    _resets.append(reset)
    return reset


def _reset_all() -> None:
    # Every reset runs; Python reports an error raised here as unraisable.
    call_each(_resets)


os.register_at_fork(after_in_child=_reset_all)
