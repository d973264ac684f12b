"""Reading the examples out of README.rst and doc/*.rst, for test_docs.

An example is a ``.. code-block:: LANG`` directive. A reST comment just
before it, ``.. example: WORDS``, says what to do with it (comments render
as nothing, on PyPI and in Sphinx alike):

``fails``
    (python) the tests the example defines must fail.
``output``
    (text, console) the output of the example just before, in full.
``tree``
    (text) ``tree -a`` of the base directory after the example just before.
``demo output``
    (text) an excerpt of the output of ``fixturestmp demo``.
``run``
    (console) run each ``$ command`` and compare what it prints with the
    lines that follow it.

Expected output is compared as doctest does with ``ELLIPSIS`` and
``NORMALIZE_WHITESPACE``, after :func:`normalise` on both sides.
"""

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from fixturestmp.tests.support import REPO_ROOT

__all__ = [
    "REPO_ROOT",
    "Block",
    "doc_pages",
    "normalise",
    "parse_tree",
    "read_blocks",
    "shell_commands",
    "uncovered_code",
]


_DIRECTIVE = re.compile(r"^(\s*)\.\. code-block::\s*(\S+)\s*$")
_OPTION = re.compile(r"^\s+:([\w-]+):\s*(.*?)\s*$")
_MARKER = re.compile(r"^\s*\.\. example:\s*(.*?)\s*$")


@dataclass
class Block:
    """One code block.

    :ivar path: The file it is in.
    :ivar line: Its first line (the directive), counting from 1.
    :ivar language: The code-block language, e.g. ``python``.
    :ivar marker: The words of the ``.. example:`` comment before it, or "".
    :ivar caption: Its ``:caption:`` option, or "".
    :ivar text: Its content, dedented.
    :ivar end: The line after its content.
    """

    path: Path
    line: int
    language: str
    marker: str
    caption: str
    text: str
    end: int

    @property
    def where(self) -> str:
        """``file:line``, to name the block in failure messages."""
        return f"{self.path.relative_to(REPO_ROOT)}:{self.line}"


def doc_pages() -> list[Path]:
    """Return README.rst and every page of the Sphinx documentation."""
    pages = sorted((REPO_ROOT / "doc").rglob("*.rst"))
    return [REPO_ROOT / "README.rst"] + [p for p in pages if "_build" not in p.parts]


def read_blocks(path: Path) -> list[Block]:
    """Return the code blocks of ``path`` in order."""
    lines = path.read_text().splitlines()
    blocks = []
    number = 0
    while number < len(lines):
        match = _DIRECTIVE.match(lines[number])
        if match is None:
            number += 1
            continue
        indent = len(match.group(1))
        start = number
        options = {}
        number += 1
        while number < len(lines):
            option = _OPTION.match(lines[number])
            if option is None:
                break
            key, value = option.groups()
            options[key] = value
            number += 1
        body = []
        while number < len(lines):
            line = lines[number]
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            body.append(line)
            number += 1
        blocks.append(
            Block(
                path=path,
                line=start + 1,
                language=match.group(2),
                marker=_marker_before(lines, start),
                caption=options.get("caption", ""),
                text=textwrap.dedent("\n".join(body)).strip("\n") + "\n",
                end=number,
            )
        )
    return blocks


def _marker_before(lines: list[str], index: int) -> str:
    index -= 1
    while index >= 0 and not lines[index].strip():
        index -= 1
    match = _MARKER.match(lines[index]) if index >= 0 else None
    return match.group(1) if match else ""


def uncovered_code(path: Path) -> list[int]:
    """Return lines outside code blocks that look like Python imports.

    Python shown in a plain ``::`` literal block would not be run.
    """
    covered: set[int] = set()
    for block in read_blocks(path):
        covered.update(range(block.line, block.end + 1))
    pattern = re.compile(r"^\s+(from \w+ import |import \w+$)")
    return [
        number
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if number not in covered and pattern.match(line)
    ]


def shell_commands(text: str) -> list[tuple[str, str]]:
    """Return ``(command, expected output)`` pairs of a console block.

    A command starts with ``$ ``; a line ending in ``\\`` continues it.
    """
    pairs: list[tuple[str, list[str]]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and index < len(lines):
                command = command[:-1] + " " + lines[index].strip()
                index += 1
            pairs.append((command, []))
        elif pairs:
            pairs[-1][1].append(line)
    return [(command, "\n".join(out).strip("\n")) for command, out in pairs]


# What differs from run to run, and what it becomes on both sides.
_VOLATILE = (
    (r"\b\d+(\.\d+)?s\b", "N.Ns"),  # durations: 0.142s
    (r"\b\d+\.\d+ sec\b", "N.N sec"),
    (r"\b\d+:\d\d:\d\d\.\d+", "N:NN:NN.N"),
    (r"\{\d+\}", "{N}"),  # stestr worker
    (r"\b(pid|process|daemon|fd|descriptor) \d+", r"\1 N"),
    (r"\b\d+\.\dMB\b", "N.NMB"),  # memory
    (r"\(\d{5,} bytes\)", "(N bytes)"),
    (r"\brun-\d+", "run-N"),  # session numbers depend on earlier examples
    (r"\[Errno \d+\]", "[Errno N]"),  # ENOTDIR or ELOOP, by kernel
    (r"(?<=-)[a-z0-9_]{8}(?![a-z0-9_])", "XXXXXXXX"),  # tempfile names
    (r"([=~_-])\1{3,}", r"\1\1\1\1"),  # rules as wide as the terminal
    # unittest before 3.11 names a test "name (module.Class)".
    (r"(?m)^(FAIL|ERROR): (\w+) \(([\w.]+)\.\2\)$", r"\1: \2 (\3)"),
)


def normalise(text: str, private: list[str], user_base: str) -> str:
    """Make an output comparable with the docs, on both sides.

    The private temporary directories become ``/tmp``, the base directory's
    user becomes ``USER``, and what differs from run to run (durations,
    pids, memory sizes, session numbers, random :mod:`tempfile` names, the
    width of rules) is replaced by placeholders.
    """
    for directory in sorted(private, key=len, reverse=True):
        text = text.replace(directory, "/tmp")
    text = text.replace(user_base, "fixturestmp-of-USER")
    text = re.sub(r"fixturestmp-of-[\w.-]+", "fixturestmp-of-USER", text)
    for pattern, replacement in _VOLATILE:
        text = re.sub(pattern, replacement, text)
    return "\n".join(line.rstrip() for line in text.splitlines())


def parse_tree(text: str) -> set[str]:
    """Return the relative paths shown by ``tree -a`` output.

    A symlink reads ``name -> target``. The first line (the top directory)
    and the closing count are skipped.
    """
    found = set()
    parents: list[str] = []
    for line in text.splitlines()[1:]:
        match = re.match(r"^((?:│   |    )*)(?:├── |└── )(.*)$", line)
        if match is None:
            continue
        depth = len(match.group(1)) // 4
        parents[depth:] = [match.group(2)]
        found.add("/".join(parents))
    return found
