"""fixtures' private layout: the module where ``TempDir`` lives, and
putting another ``_setUp`` on it.

fixtures 4.0-4.3.2: ``TempDir`` and ``NestedTempfile`` live in
``fixtures._fixtures.tempdir``, and ``NestedTempfile`` makes its directory
with that ``TempDir``. The ``_setUp`` is replaced on the class itself, so
every way a suite names it (``fixtures.TempDir``, ``from fixtures import
TempDir``) is covered.
"""

from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["TEMPDIR_MODULE", "replace_tempdir_setup"]

#: The module of fixtures that defines ``TempDir`` (fixtures 4.0-4.3.2).
TEMPDIR_MODULE = "fixtures._fixtures.tempdir"


def replace_tempdir_setup(module: ModuleType, setup: Callable[[Any], None]) -> None:
    """Make ``setup`` the ``_setUp`` of the ``TempDir`` of ``module``
    (:data:`TEMPDIR_MODULE`, imported)."""
    module.TempDir._setUp = setup
