"""Helpers for the reliability tests: user data, survivors, leak probes and
figures.

Figures are counted, never asserted constants: a scenario counts what it
expects to survive as it makes it (:class:`Survivors`), and after its final
assertions records what it found on disk. With ``RELIABILITY_FIGURES`` set,
every test appends its figures to that file, and ``python -m
fixturestmp.tests.support.reliability FILE`` sums them up for
doc/reliability.rst.
"""

import fcntl
import json
import os
import stat
import sys
import threading
import traceback
from collections.abc import Iterable
from pathlib import Path

from testtools.content import text_content

from fixturestmp._store import owners
from fixturestmp._store.trash import THREAD_NAME

__all__ = [
    "FIGURES_ENV",
    "LeakProbe",
    "Survivors",
    "as_user",
    "make_user_tree",
    "messages",
    "record_figures",
    "snapshot",
    "summary",
]

#: Append each test's figures, one JSON line, to the file this names.
FIGURES_ENV = "RELIABILITY_FIGURES"
_FIGURES_FILE = os.environ.get(FIGURES_ENV)


def record_figures(case, name: str, figures: dict) -> None:
    """Attach ``figures`` to ``case`` as a detail; append them to the file."""
    text = json.dumps({"test": name, **figures}, sort_keys=True)
    case.addDetail(f"figures-{name}", text_content(text))
    if _FIGURES_FILE:
        fd = os.open(_FIGURES_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (text + "\n").encode())
        finally:
            os.close(fd)


def make_user_tree(top: Path) -> dict[str, str]:
    """Create a tree of "user files" at ``top``; return its :func:`snapshot`."""
    (top / "docs" / "deep").mkdir(parents=True)
    (top / "thesis.tex").write_text("years of work")
    (top / "docs" / "notes.txt").write_text("do not lose")
    (top / "docs" / "deep" / "data.bin").write_bytes(bytes(range(256)))
    (top / "docs" / "link").symlink_to("notes.txt")
    return snapshot(top, contents=True)


def _state(path: Path) -> str | None:
    """Return what ``path`` is: a file's bytes (hex), a link's target, "dir"."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            return "-> " + os.readlink(path)
        if stat.S_ISDIR(mode):
            return "dir"
        return path.read_bytes().hex()
    except OSError:
        return None


class Survivors:
    """What a scenario expects to survive, counted as it is made.

    Each entry is remembered with what it is when counted (a file's bytes, a
    symlink's target, a directory); :meth:`count` compares that with the
    disk. An entry that is gone or changed is lost.

    :ivar expected: ``{path: state}`` of every entry counted.
    """

    def __init__(self) -> None:
        self.expected: dict[Path, str] = {}

    def add(self, *paths: Path) -> None:
        """Count each of ``paths`` (not what a directory holds)."""
        for path in paths:
            state = _state(Path(path))
            if state is None:
                raise AssertionError(f"counted as made, but not there: {path}")
            self.expected[Path(path)] = state

    def expect(self, path: Path, content: bytes | None = None) -> None:
        """Count an entry another process made: a directory, or a file
        holding ``content``."""
        self.expected[Path(path)] = "dir" if content is None else content.hex()

    def add_tree(self, top: Path) -> None:
        """Count ``top`` and everything below it (symlinks not followed)."""
        top = Path(top)
        self.add(top)
        for relative in snapshot(top):
            self.add(top / relative)

    def forget(self, top: Path) -> None:
        """Stop counting ``top`` and what is below it: it is meant to go."""
        top = Path(top)
        for path in [p for p in self.expected if p == top or top in p.parents]:
            del self.expected[path]

    def move(self, old: Path, new: Path) -> None:
        """Expect what was counted below ``old`` below ``new`` instead."""
        old, new = Path(old), Path(new)
        for path in [p for p in self.expected if p == old or old in p.parents]:
            self.expected[new / path.relative_to(old)] = self.expected.pop(path)

    def missing(self) -> list[str]:
        """Return the counted entries that are gone or changed, by path."""
        return [
            f"{'gone' if _state(path) is None else 'changed'}: {path}"
            for path, state in sorted(self.expected.items())
            if _state(path) != state
        ]

    def count(self) -> dict[str, int]:
        """Return ``expected``, ``found`` (as counted) and ``lost``."""
        expected = len(self.expected)
        found = expected - len(self.missing())
        return {"expected": expected, "found": found, "lost": expected - found}


def snapshot(top: Path, contents: bool = False) -> dict[str, str]:
    """Return ``{relative path: kind}`` for everything below ``top``.

    Symlinks are never followed; with ``contents`` files map to their text.
    """
    found: dict[str, str] = {}
    if not os.path.lexists(top):
        return found
    for directory, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, top)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                found[relative] = "-> " + os.readlink(path)
            elif stat.S_ISDIR(mode):
                found[relative] = "dir"
            elif contents:
                found[relative] = Path(path).read_bytes().hex()
            else:
                found[relative] = "file"
    return found


def messages(error: BaseException) -> str:
    """Return what a user is shown of ``error``: every message in its chain.

    ``MultipleExceptions`` (fixtures) is opened up; tracebacks are left out,
    so a path only counts if a message names it.
    """
    parts: list[str] = []
    seen: set[int] = set()

    def walk(item: BaseException | None) -> None:
        if item is None or id(item) in seen:
            return
        seen.add(id(item))
        if type(item).__name__ == "MultipleExceptions":
            for info in item.args:
                walk(info[1])
            return
        parts.append(f"{type(item).__name__}: {item}")
        walk(item.__cause__)
        walk(item.__context__)

    walk(error)
    return "\n".join(parts)


def _open_fds() -> dict[str, str]:
    fds = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            fds[name] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            pass
    return fds


class LeakProbe:
    """What fixturestmp may hold between sessions: none of it may remain."""

    def __init__(self) -> None:
        self.fds = _open_fds()

    def problems(self, base: Path, sessions=()) -> list[str]:
        """Return what leaked since the probe was made, owner records aside."""
        found = []
        new = {k: v for k, v in _open_fds().items() if k not in self.fds}
        # The listing itself opens one descriptor, gone by now but listed.
        new = {k: v for k, v in new.items() if not v.startswith("/proc/")}
        if new:
            found.append(f"file descriptors leaked: {sorted(new.values())}")
        threads = [t.name for t in threading.enumerate() if t.name == THREAD_NAME]
        if threads:
            found.append(f"trash threads still running: {threads}")
        lock = base / ".lock"
        if lock.exists():
            with open(lock) as stream:
                try:
                    fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    found.append(f"{lock} is still locked")
        for session in sessions:
            pending = getattr(getattr(session, "_dir", None), "_pending", None)
            if pending:
                found.append(f"{len(pending)} registrations pending in {session}")
        return found

    def owner_records(self, base: Path, session_dirs=()) -> list[str]:
        """Return the sessions still holding an owner record of this process."""
        token = owners.owner_token()
        dirs = list(session_dirs)
        if base.is_dir():
            dirs += [
                p
                for p in base.iterdir()
                if p.name.startswith("run-") and not p.is_symlink()
            ]
        return [
            f"an owner record of this process is left in {path}"
            for path in dirs
            if (path / owners.OWNERS_DIR / token).exists()
        ]


def as_user(uid: int, function, *args):
    """Run ``function(*args)`` in a forked child as ``uid``; return its result.

    The result travels back as JSON; an exception in the child is raised
    here as an ``AssertionError`` carrying the child's traceback. A fork, not
    a new interpreter: the other user may not be able to run ours.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        try:
            for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
                os.environ.pop(name, None)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            reply = {"result": function(*args)}
        except BaseException:
            reply = {"error": traceback.format_exc()}
        os.write(write_end, json.dumps(reply).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as stream:
        data = stream.read()
    os.waitpid(pid, 0)
    reply = json.loads(data or b'{"error": "the child died"}')
    if "error" in reply:
        raise AssertionError(f"in the child as uid {uid}:\n{reply['error']}")
    return reply["result"]


def summary(lines: Iterable[str]) -> dict[str, dict]:
    """Return the figures of each test (JSON ``lines``), numbers summed.

    A test recorded more than once (several runs appended to one file) has
    its numbers added up; ``"recorded"`` says how many times it was.
    """
    tests: dict[str, dict] = {}
    for line in lines:
        if not line.strip():
            continue
        figures = json.loads(line)
        total = tests.setdefault(figures.pop("test"), {"recorded": 0})
        total["recorded"] += 1
        _add(total, figures)
    return tests


def _add(total: dict, figures: dict) -> None:
    for key, value in figures.items():
        if isinstance(value, dict):
            _add(total.setdefault(key, {}), value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            total[key] = round(total.get(key, 0) + value, 3)
        else:
            total[key] = value


def main(argv: list[str]) -> int:
    """Print the summed figures of a ``RELIABILITY_FIGURES`` file."""
    if len(argv) != 1:
        print("usage: python -m fixturestmp.tests.support.reliability FIGURES.jsonl")
        return 2
    with open(argv[0]) as stream:
        tests = summary(stream)
    for name, figures in sorted(tests.items()):
        print(f"{name}: {json.dumps(figures, sort_keys=True)}")
    lost = sum(f.get("lost", 0) for f in tests.values())
    expected = sum(f.get("expected", 0) for f in tests.values())
    print(f"all: {expected} entries expected to survive, {lost} lost")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
