"""A copy of the environment, cheap enough to take twice in every test.

The ``environ`` check copies the environment before and after each test.
The public copy (``dict(os.environ)``) decodes every name and value through
the mapping's Python methods; the encoded dictionary behind it,
``os.environ._data`` (private: the bytes that ``os.putenv`` is given, kept
in step by every change made through ``os.environ``), copies in one C call.
``python -m benchmarks.bench_environ`` measures both against the whole
cheap check set: the public copy is far more than a tenth of that set's
per-test cost, so the private route is kept, here and nowhere else
(figures: doc/benchmarks.rst).

Where ``_data`` is missing or not a plain ``dict`` (another Python, or a
test that replaced ``os.environ``), :func:`snapshot` makes the public copy:
a changed ``os`` module costs speed, not correctness.
"""

import os
from typing import Any

__all__ = ["snapshot"]


def snapshot() -> dict[Any, Any]:
    """Return a copy of the environment.

    Names and values are ``bytes`` where the private route is taken (POSIX),
    else ``str``: compare two snapshots with each other, and decode with
    :func:`os.fsdecode` to show them.
    """
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict):
        return dict(data)
    return dict(os.environ)
