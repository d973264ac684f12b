"""Adopting a suite as it is: ``fixtures.TempDir`` under fixturestmp's care.

Under ``fixturestmp run --adopt`` (or with ``FIXTURESTMP_ADOPT=1``), every
Python process of the run calls :func:`install` at start-up, from the
``fixturestmp-adopt.pth`` file installed with the package. From then on
``fixtures.TempDir()`` makes its directory as :class:`fixturestmp.TempDir`
does: in the session, named after the test, kept when the test fails. So
does ``fixtures.NestedTempfile()``, which makes its directory with
``TempDir``: everything a failed test made through ``tempfile`` is kept.

``FIXTURESTMP_ADOPT`` is on for ``1``, ``true``, ``yes``, off for ``0``,
``false``, ``no`` or empty; anything else is a usage error for
``fixturestmp run``, and ignored with one line on stderr in a process it
reaches anyway.
"""

import os
import sys
from types import ModuleType
from typing import Any

from fixturestmp._hooks.importhook import when_imported
from fixturestmp._process.envvars import ADOPT_ENV, PER_TEST_ENV, SESSION_ENV
from fixturestmp._runtime.fixtureslib import TEMPDIR_MODULE, replace_tempdir_setup
from fixturestmp.errors import ConfigError

__all__ = [
    "HOOK_LOADED",
    "PTH_LINE",
    "adopt_requested",
    "install",
    "startup",
]

_ON = ("1", "true", "yes")
_OFF = ("", "0", "false", "no")

#: The line of ``fixturestmp-adopt.pth``. Without the variables, the cost at
#: start-up is two environment look-ups; an error in the hook is one line. A
#: site directory can be read twice at start-up (a virtual environment's
#: ``lib`` and ``lib64``): a key no import can take marks the hook as run.
#: The line runs before anything can be imported, so it spells out
#: :data:`ADOPT_ENV` and :data:`PER_TEST_ENV` itself, and only sorts out
#: the plain "off" values: :func:`startup` checks the value in full.
PTH_LINE = (
    "import os, sys; exec(\"sys.modules['fixturestmp-adopt-hook'] = None\\n"
    "try:\\n from fixturestmp._hooks.startup import startup\\n startup()\\n"
    "except Exception as error:\\n sys.stderr.write(f'fixturestmp: the "
    "start-up hook failed ({error!r}); the suite runs without it\\\\n')\") "
    "if (os.environ.get('FIXTURESTMP_ADOPT', '').strip().lower() not in "
    "('', '0', 'false', 'no') or os.environ.get('FIXTURESTMP_PER_TEST_LEAKS')) "
    "and "
    "'fixturestmp-adopt-hook' not in sys.modules else None\n"
)


def adopt_requested() -> bool:
    """Return whether ``FIXTURESTMP_ADOPT`` asks for adoption.

    :raises ConfigError: Its value is neither on nor off; the message names
        the variable, the value and what is allowed.
    """
    raw = os.environ.get(ADOPT_ENV, "")
    value = raw.strip().lower()
    if value in _ON or value in _OFF:
        return value in _ON
    raise ConfigError(
        f"adopt: {raw!r} from environment variable {ADOPT_ENV} is not valid: "
        f"use 1, true or yes to adopt; 0, false, no or empty not to"
    )


def startup() -> None:
    """Run by ``fixturestmp-adopt.pth`` when ``FIXTURESTMP_ADOPT`` (adopt
    ``fixtures.TempDir``) or ``FIXTURESTMP_PER_TEST_LEAKS`` (leak checks
    around every test, see :mod:`fixturestmp._hooks.pertest`) is set.

    A bad ``FIXTURESTMP_ADOPT`` is ignored: the suite runs as it would
    without it, and a process that imports ``fixtures.TempDir`` says so in
    one line (the ``fixturestmp`` command, which imports none, says it as
    its own usage error instead).
    """
    try:
        adopt = adopt_requested()
    except ConfigError as error:
        said = f"fixturestmp: {error}; ignored: fixtures.TempDir is not adopted\n"

        def say(module: ModuleType) -> None:
            sys.stderr.write(said)

        when_imported(TEMPDIR_MODULE, say)
        adopt = False
    if adopt:
        install()
        _say_loaded()
    if os.environ.get(PER_TEST_ENV):
        # Once the suite's runner imports unittest: nothing is imported at
        # start-up, and testtools may be in a site directory read later.
        when_imported("unittest", _check_every_test)


#: The file a process that loaded the hook for adoption makes in the session
#: it joins: ``fixturestmp run --adopt`` says so when no process of its
#: command made it.
HOOK_LOADED = ".adopt-hook-loaded"


def _say_loaded() -> None:
    session = os.environ.get(SESSION_ENV)
    if not session:
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        os.close(os.open(os.path.join(session, HOOK_LOADED), flags, 0o600))
    except OSError:
        pass  # The run then says the hook was not loaded: never silent.


def _check_every_test(unittest_module: ModuleType) -> None:
    from fixturestmp._hooks import pertest

    pertest.install()


def install() -> None:
    """Make ``fixtures.TempDir`` (and so ``NestedTempfile``) session-managed."""
    when_imported(
        TEMPDIR_MODULE, lambda module: replace_tempdir_setup(module, _adopted_setup)
    )


def _adopted_setup(self: Any) -> None:
    from fixturestmp._fixtures.dropin import TempDir

    TempDir._setUp(self)


def _main() -> int:
    """Print the ``.pth`` line (for the build, and for checking it)."""
    sys.stdout.write(PTH_LINE)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
