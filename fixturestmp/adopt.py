"""Adopting a suite as it is: ``fixtures.TempDir`` under fixturestmp's care.

Under ``fixturestmp run --adopt`` (or with ``FIXTURESTMP_ADOPT=1``), every
Python process of the run calls :func:`install` at start-up, from the
``fixturestmp-adopt.pth`` file installed with the package. From then on
``fixtures.TempDir()`` makes its directory as :class:`fixturestmp.TempDir`
does: in the session, named after the test, kept when the test fails. So
does ``fixtures.NestedTempfile()``, which makes its directory with
``TempDir``: everything a failed test made through ``tempfile`` is kept.
"""

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["ADOPT_ENV", "install", "startup"]

ADOPT_ENV = "FIXTURESTMP_ADOPT"

#: The line of ``fixturestmp-adopt.pth``. Without the variable, the cost at
#: start-up is one environment look-up; an error in the hook is one line. A
#: site directory can be read twice at start-up (a virtual environment's
#: ``lib`` and ``lib64``): a key no import can take marks the hook as run.
PTH_LINE = (
    "import os, sys; exec(\"sys.modules['fixturestmp-adopt-hook'] = None\\n"
    "try:\\n from fixturestmp.adopt import startup\\n startup()\\n"
    "except Exception as error:\\n sys.stderr.write(f'fixturestmp: the --adopt "
    "start-up hook failed ({error!r}); the suite runs without it\\\\n')\") "
    "if os.environ.get('FIXTURESTMP_ADOPT') and "
    "'fixturestmp-adopt-hook' not in sys.modules else None\n"
)


def startup() -> None:
    """Run by ``fixturestmp-adopt.pth`` when ``FIXTURESTMP_ADOPT`` is set."""
    install()


def install() -> None:
    """Make ``fixtures.TempDir`` (and so ``NestedTempfile``) session-managed.

    Done when fixtures' module is first imported (at once if it is already):
    nothing is imported at start-up, and fixtures may live in a site
    directory read after this one.
    """
    module = sys.modules.get(_TEMPDIR_MODULE)
    if module is not None:
        _patch(module)
    elif not any(isinstance(finder, _PatchOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())


# fixtures 4.0-4.3.2: TempDir and NestedTempfile live in this module, and
# NestedTempfile makes its directory with this TempDir. Its _setUp is
# replaced on the class itself, so every way a suite names it
# (fixtures.TempDir, from fixtures import TempDir) is covered.
_TEMPDIR_MODULE = "fixtures._fixtures.tempdir"


def _patch(module: ModuleType) -> None:
    module.TempDir._setUp = _adopted_setup


def _adopted_setup(self: Any) -> None:
    from fixturestmp.dropin import TempDir

    TempDir._setUp(self)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches fixtures' ``TempDir`` as its module is imported."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != _TEMPDIR_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            _patch(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _main() -> int:
    """Print the ``.pth`` line (for the build, and for checking it)."""
    sys.stdout.write(PTH_LINE)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
