"""The ``environ`` check: environment variables and the working directory."""

import os
from typing import Any

from fixturestmp._runtime.interpreter import environ_is, environ_snapshot
from fixturestmp.leaks.findings import Leak, several
from fixturestmp.leaks.probe import Probe

__all__ = ["EnvironProbe"]

_VALUE_SHOWN = 80
# Set and removed by the runner, not the test: pytest names the running
# test in it, and removes one inherited from an outer pytest (a suite whose
# tests run pytest) after the first test.
_RUNNERS_OWN = ("PYTEST_CURRENT_TEST", b"PYTEST_CURRENT_TEST")


def _text(item: str | bytes) -> str:
    return os.fsdecode(item) if isinstance(item, bytes) else item


def _shown(value: str | bytes) -> str:
    text = repr(_text(value))
    return text if len(text) <= _VALUE_SHOWN else text[: _VALUE_SHOWN - 4] + "...'"


class EnvironProbe(Probe):
    """Reports ``os.environ`` variables added, removed or changed, and a
    changed working directory.

    ``PYTEST_CURRENT_TEST``, which pytest sets and removes, is not the test's.

    :ivar clean: Put the environment and working directory back as they were.
    """

    name = "environ"
    options = frozenset({"clean"})

    def __init__(self, clean: bool = False, **kwargs: Any) -> None:
        """Check the options; nothing is measured until setUp.

        Other keyword arguments are those of
        :class:`~fixturestmp.leaks.probe.Probe`.

        :param clean: Restore the variables and working directory.
        """
        super().__init__(**kwargs)
        self.clean = clean
        self._environ: dict[Any, Any] | None = None

    def start(self) -> None:
        # A probe reused for the next test keeps its snapshot while the
        # environment is still what it holds: a copy only after a change.
        if self._environ is None or not environ_is(self._environ):
            self._environ = environ_snapshot()
        self._cwd = os.getcwd()

    def stop(self, test_id: str) -> list[Leak]:
        try:
            cwd: str | None = os.getcwd()
        except FileNotFoundError:
            cwd = None  # The directory we are in was removed.
        assert self._environ is not None, "stop() before start()"
        if cwd == self._cwd and environ_is(self._environ):
            return []
        before = dict(self._environ)
        after = environ_snapshot()
        for name in _RUNNERS_OWN:
            before.pop(name, None)
            after.pop(name, None)
        if after == before and cwd == self._cwd:
            return []
        items = []
        lines = []
        for key in sorted(after.keys() - before.keys()):
            name = _text(key)
            items.append(f"{name} set")
            lines.append(f"{name}: set to {_shown(after[key])} (was unset)")
        for key in sorted(before.keys() - after.keys()):
            name = _text(key)
            items.append(f"{name} unset")
            lines.append(f"{name}: unset (was {_shown(before[key])})")
        for key in sorted(before.keys() & after.keys()):
            if before[key] != after[key]:
                name = _text(key)
                items.append(f"{name} changed")
                lines.append(
                    f"{name}: changed to {_shown(after[key])} "
                    f"(was {_shown(before[key])})"
                )
        if cwd != self._cwd:
            items.append("cwd changed")
            lines.append(f"working directory: {cwd or '(removed)'} (was {self._cwd})")
        if self.clean:
            for key in after.keys() - before.keys():
                del os.environ[_text(key)]
            for key, value in before.items():
                if after.get(key) != value:
                    os.environ[_text(key)] = _text(value)
            if cwd != self._cwd:
                os.chdir(self._cwd)
            lines.append("restored")
        else:
            lines.append(self.advice())
        what = several("environment change", "environment changes", items)
        return [Leak(self.name, test_id, len(items), what, "\n".join(lines))]
