"""pytest's ``tmp_path``, ``tmp_path_factory``, ``tmpdir`` and
``tmpdir_factory`` served by a fixturestmp session.

Turned on by any one of, in pytest's own terms:

- ``-p fixturestmp.tmp_path`` (on the command line, or in ``addopts``);
- ``fixturestmp_tmp_path = true`` in pytest's ini file (``pytest.ini``,
  ``[tool.pytest.ini_options]`` in ``pyproject.toml``, ...);
- ``--fixturestmp-tmp-path``;
- ``pytest_tmp_path = true`` in fixturestmp's configuration
  (``FIXTURESTMP_PYTEST_TMP_PATH=1``, ``[tool.fixturestmp]``).

Without it, pytest's fixtures are untouched. With it:

- each test's ``tmp_path`` is a directory of the run's session, named as
  pytest names it (the test's name, ``\\W`` made ``_``, cut to 30
  characters, numbered), removed only once fixturestmp has learned that
  the test passed or was skipped; setup, call and teardown are all read,
  so an error in any phase keeps it;
- a failing test's report has a ``fixturestmp tmp_path`` section: the kept
  path and the files in it; the run's summary lists each kept directory
  (``FAILED <node id>  <path>``), and ``fixturestmp ls``, ``show``,
  ``collect`` and ``report`` read the session as they read any other;
- ``retention_count`` and ``retention_policy`` come from pytest's
  ``tmp_path_retention_count`` and ``tmp_path_retention_policy`` where they
  are set, else from fixturestmp's configuration;
- under pytest-xdist the controller makes the session and the workers join
  it: one session for the run. Under ``fixturestmp run`` pytest joins the
  wrapper's session, which ends it and prints the summary;
- ``--basetemp`` names the session directory, emptied at the start as
  pytest empties it, but only of what fixturestmp made: a directory holding
  anything else is refused, never deleted.
"""

import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fixturestmp import pytest_plugin as outcomes
from fixturestmp._fixtures.details import listing
from fixturestmp._fixtures.directory import _Directory, make_directory
from fixturestmp._fixtures.retention import decide
from fixturestmp._fixtures.session import (
    SessionTempFixture,
    default_session,
    set_default_session,
)
from fixturestmp._process.envvars import SESSION_ENV
from fixturestmp._runtime.pytestlib import ini_is_set, legacy_path
from fixturestmp._store import owners
from fixturestmp._store.manifest import ManifestWriter
from fixturestmp._store.newsession import MARKER_NAME
from fixturestmp._store.removal import remove_tree
from fixturestmp._store.runend import (
    holds_evidence,
    read_run,
    session_lines,
    why_removed,
)
from fixturestmp.errors import ConfigError

__all__ = ["TempPathFactory", "TempdirFactory"]

#: pytest's variable for the root of its temporary directories.
DEBUG_TEMPROOT_ENV = "PYTEST_DEBUG_TEMPROOT"

#: The section a failing test's report gets, as pytest names its captures.
SECTION = "fixturestmp tmp_path"


class TempPathFactory:
    """``tmp_path_factory``: directories in the run's session.

    pytest's :class:`pytest.TempPathFactory` API: :meth:`mktemp` and
    :meth:`getbasetemp`.

    :ivar session: The run's :class:`~fixturestmp.SessionTempFixture`.
    """

    def __init__(self, session: SessionTempFixture) -> None:
        self.session = session
        # Paths are given resolved, as pytest gives them: a test that
        # changes into one and asks os.getcwd() gets the same path.
        self._base = Path(os.path.realpath(session.path))

    def getbasetemp(self) -> Path:
        """Return the session directory, where every directory is made."""
        return self._base

    def real(self, path: Path) -> Path:
        """Return ``path``, made in the session, resolved."""
        return self._base / path.name

    def mktemp(self, basename: str, numbered: bool = True) -> Path:
        """Make a directory in the session and return its path.

        As pytest's: ``numbered`` appends the lowest number that makes the
        name new (``basename0``, ``basename1``, ...). It lives as long as
        the session: a test's own directory is ``tmp_path``.

        :param basename: One relative path component.
        :raises ValueError: ``basename`` is not one normalized component.
        """
        normal = os.path.normpath(basename)
        if "/" in normal or normal in (".", "..") or "\0" in normal:
            raise ValueError(f"{basename} is not a normalized and relative path")
        made = self.session.sessiondir.make_shared_dir(normal, numbered, exact=True)
        return self._base / made.rpartition("/")[2]


class TempdirFactory:
    """``tmpdir_factory``: :class:`TempPathFactory` in ``py.path.local``."""

    def __init__(self, factory: TempPathFactory) -> None:
        self._factory = factory

    def mktemp(self, basename: str, numbered: bool = True) -> Any:
        """As :meth:`TempPathFactory.mktemp`, a ``py.path.local``."""
        return legacy_path(self._factory.mktemp(basename, numbered))

    def getbasetemp(self) -> Any:
        """As :meth:`TempPathFactory.getbasetemp`, a ``py.path.local``."""
        return legacy_path(self._factory.getbasetemp())


class _Run:
    """This pytest process's part in the run's session.

    :ivar session: The session every directory is made in.
    :ivar owned: Whether this process made it, and so ends it and says
        what it kept (pytest alone, or an xdist controller); otherwise it
        joined a session another process ends.
    """

    def __init__(self, config: pytest.Config) -> None:
        self._previous_env = os.environ.get(SESSION_ENV)
        self._previous_default: SessionTempFixture | None = None
        # An xdist worker joins its controller's session; so does a pytest
        # under fixturestmp run, unless it is given a directory of its own
        # (--basetemp, or pytest's PYTEST_DEBUG_TEMPROOT, as pytester gives
        # each pytest it runs inside a test).
        self.owned = not hasattr(config, "workerinput") and not (
            self._previous_env
            and config.option.basetemp is None
            and not os.environ.get(DEBUG_TEMPROOT_ENV)
        )
        if self.owned:
            self.session = self._make(config)
            self._note_in_outer_session()
            # xdist's workers, and the tests' own Python processes, join it.
            os.environ[SESSION_ENV] = str(self.session.path)
            self._previous_default = set_default_session(self.session)
        else:
            self.session = default_session()
        self.factory = TempPathFactory(self.session)
        self.lines: list[str] | None = None

    @staticmethod
    def _make(config: pytest.Config) -> SessionTempFixture:
        count = policy = None
        if ini_is_set(config, "tmp_path_retention_count"):
            count = config.getini("tmp_path_retention_count")
        if ini_is_set(config, "tmp_path_retention_policy"):
            policy = config.getini("tmp_path_retention_policy")
        basetemp = config.option.basetemp
        if basetemp is not None:
            basetemp = Path(os.path.abspath(basetemp))
            _empty_basetemp(basetemp)
        root = os.environ.get(DEBUG_TEMPROOT_ENV) or None
        try:
            session = SessionTempFixture(
                basetemp,
                root=root and os.path.realpath(root),
                retention_count=count,
                retention_policy=policy,
            )
            session.setUp()
        except ConfigError as error:
            raise pytest.UsageError(f"fixturestmp tmp_path: {error}") from None
        return session

    def _note_in_outer_session(self) -> None:
        """A session made inside the session of a run this pytest runs in
        (pytester's --basetemp) is that session's own directory, not a test
        directory that lost its record."""
        outer = self._previous_env
        inner = self.session.basetemp
        if outer and inner is not None and inner.parent == Path(outer):
            writer = ManifestWriter(Path(outer))
            try:
                writer.append(
                    {"kind": "shared", "path": str(inner), "pid": os.getpid()}
                )
            finally:
                writer.close()

    def summarize(self) -> list[str]:
        """Read what the run recorded and decide whether the session stays;
        return the summary's lines. Once, by the owner."""
        if self.lines is None:
            sessiondir = self.session.sessiondir
            sessiondir.manifest.flush()
            info = read_run(sessiondir)
            if holds_evidence(info):
                self.session.failed = True
            self.lines = session_lines(info, why_removed(sessiondir))
        return self.lines

    def end(self) -> None:
        if not self.owned:
            return
        try:
            self.summarize()
            self.session.cleanUp()
        finally:
            set_default_session(self._previous_default)
            if self._previous_env is None:
                os.environ.pop(SESSION_ENV, None)
            else:
                os.environ[SESSION_ENV] = self._previous_env


def _empty_basetemp(path: Path) -> None:
    """Empty ``--basetemp`` as pytest does, if fixturestmp made it and no
    live process uses it; a directory holding anything else is refused by
    the session (never deleted)."""
    if not (path / MARKER_NAME).is_file():
        return
    if owners.live_owners(path):
        raise pytest.UsageError(
            f"--basetemp: {path} is in use by a live pytest or fixturestmp "
            f"process; choose another directory or wait for it to end"
        )
    remove_tree(str(path))


_LEGACY_NAME = "fixturestmp-tmpdir"
_RUN = pytest.StashKey[_Run]()
_DIRS = pytest.StashKey[list[_Directory]]()
_SAID = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(outcomes):
        raise pytest.UsageError(
            "fixturestmp.tmp_path needs fixturestmp's pytest plugin, which "
            "tells each test's directory its outcome, and it is not loaded: "
            "it is blocked (-p no:fixturestmp), or plugins are not loaded "
            "automatically (PYTEST_DISABLE_PLUGIN_AUTOLOAD: add -p "
            "fixturestmp.pytest_plugin), or fixturestmp is not installed in "
            "this environment (pip install fixturestmp)"
        )
    config.stash[_RUN] = _Run(config)
    if not config.pluginmanager.has_plugin(_LEGACY_NAME):
        config.pluginmanager.register(_legacy_fixtures(), _LEGACY_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is not None:
        del config.stash[_RUN]
        run.end()


@pytest.fixture(scope="session")
def tmp_path_factory(request: pytest.FixtureRequest) -> TempPathFactory:
    """The run's :class:`TempPathFactory`: directories in its session."""
    return request.config.stash[_RUN].factory


@pytest.fixture
def tmp_path(tmp_path_factory: TempPathFactory) -> Iterator[Path]:
    """A directory of the test's own, in the run's session: kept when the
    test fails (in any phase), removed once it is known to have passed."""
    # The item from the plugin that watches it: asking pytest for
    # ``request`` costs a fixture definition a test. No fixtures.Fixture
    # around the directory: pytest reports it (pytest_runtest_makereport).
    item = outcomes.running_item()
    name = "tmp" if item is None else re.sub(r"\W", "_", item.name)[:30]
    directory = make_directory(name=name, session=tmp_path_factory.session)
    if item is not None:
        item.stash.setdefault(_DIRS, []).append(directory)
    yield tmp_path_factory.real(directory.path)
    directory.block = "ended"
    directory.close()


def _legacy_fixtures() -> ModuleType:
    """``tmpdir`` and ``tmpdir_factory``, as a plugin registered after
    pytest's ``legacypath`` registers its own at configure time: the
    fixtures of the plugin registered last are the ones tests get."""

    @pytest.fixture(name="tmpdir")
    def tmpdir(tmp_path: Path) -> Any:
        """:func:`tmp_path` as a ``py.path.local``."""
        return legacy_path(tmp_path)

    @pytest.fixture(name="tmpdir_factory", scope="session")
    def tmpdir_factory(tmp_path_factory: TempPathFactory) -> TempdirFactory:
        """:func:`tmp_path_factory` in ``py.path.local``."""
        return TempdirFactory(tmp_path_factory)

    # A module: pytest reads a plugin's fixtures from a module's attributes
    # (or a class's), not from an instance's.
    plugin = ModuleType(_LEGACY_NAME)
    plugin.tmpdir = tmpdir  # type: ignore[attr-defined]
    plugin.tmpdir_factory = tmpdir_factory  # type: ignore[attr-defined]
    return plugin


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: Any
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    dirs = item.stash.get(_DIRS, None)
    if not dirs:
        return
    if report.failed and not item.stash.get(_SAID, False):
        item.stash[_SAID] = True  # The first failing phase's report says it.
        for tmp in dirs:
            keep, text = decide(tmp.policy, "failed", "the test failed")
            body = f"{tmp.path}\n{text}\n"
            if keep:
                body += listing(tmp.path)
            report.sections.append((SECTION, body))
    if report.when == "teardown":
        # The last report: the item lives as long as the session, its
        # directories' objects need not (every one kept alive is work for
        # the garbage collector's full collections).
        del item.stash[_DIRS]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is None or not run.owned:
        return  # A worker, or under fixturestmp run, which says it itself.
    lines = run.summarize()
    if lines:
        terminalreporter.section("fixturestmp")
        for line in lines:
            terminalreporter.write_line(line)
