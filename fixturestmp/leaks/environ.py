"""The ``environ`` check: environment variables and the working directory."""

import os

from fixturestmp.leaks.base import Check
from fixturestmp.leaks.findings import Leak, several

__all__ = ["EnvironLeakCheck"]

_VALUE_SHOWN = 80


def _shown(value: str) -> str:
    text = repr(value)
    return text if len(text) <= _VALUE_SHOWN else text[: _VALUE_SHOWN - 4] + "...'"


class EnvironLeakCheck(Check):
    """Reports ``os.environ`` variables added, removed or changed, and a
    changed working directory.

    :ivar clean: Put the environment and working directory back as they were.
    """

    name = "environ"
    options = frozenset({"clean"})

    def __init__(self, clean: bool = False, **kwargs) -> None:
        """:param clean: Restore the variables and working directory.

        Other keyword arguments are those of :class:`~fixturestmp.leaks.Check`.
        """
        super().__init__(**kwargs)
        self.clean = clean

    def start(self) -> None:
        self._environ = dict(os.environ)
        self._cwd = os.getcwd()

    def stop(self, test_id: str) -> list[Leak]:
        before = self._environ
        after = dict(os.environ)
        try:
            cwd: str | None = os.getcwd()
        except FileNotFoundError:
            cwd = None  # The directory we are in was removed.
        if after == before and cwd == self._cwd:
            return []
        items = []
        lines = []
        for name in sorted(after.keys() - before.keys()):
            items.append(f"{name} set")
            lines.append(f"{name}: set to {_shown(after[name])} (was unset)")
        for name in sorted(before.keys() - after.keys()):
            items.append(f"{name} unset")
            lines.append(f"{name}: unset (was {_shown(before[name])})")
        for name in sorted(before.keys() & after.keys()):
            if before[name] != after[name]:
                items.append(f"{name} changed")
                lines.append(
                    f"{name}: changed to {_shown(after[name])} "
                    f"(was {_shown(before[name])})"
                )
        if cwd != self._cwd:
            items.append("cwd changed")
            lines.append(f"working directory: {cwd or '(removed)'} (was {self._cwd})")
        if self.clean:
            for name in after.keys() - before.keys():
                del os.environ[name]
            for name, value in before.items():
                if after.get(name) != value:
                    os.environ[name] = value
            if cwd != self._cwd:
                os.chdir(self._cwd)
            lines.append("restored")
        what = several("environment change", "environment changes", items)
        return [Leak(self.name, test_id, len(items), what, "\n".join(lines))]
