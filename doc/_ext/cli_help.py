"""``.. fixturestmp-help:: [COMMAND]``: the command's ``--help``, from its parser.

The text comes from :func:`fixturestmp.cli.build_parser` at build time, so the
command line reference cannot drift from the code.
"""

import argparse
import os

from docutils import nodes
from docutils.parsers.rst import Directive

from fixturestmp.cli import build_parser

__all__ = ["HelpDirective", "help_text", "setup", "subcommands"]

_WIDTH = "79"


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Return ``{name: parser}`` of the parser's subcommands."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def help_text(command: str | None = None) -> str:
    """Return the ``--help`` text of ``fixturestmp [COMMAND]``, 79 columns."""
    saved = {name: os.environ.get(name) for name in ("COLUMNS", "NO_COLOR")}
    os.environ.update(COLUMNS=_WIDTH, NO_COLOR="1")
    try:
        parser = build_parser()
        if command is not None:
            parser = subcommands(parser)[command]
        return parser.format_help()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class HelpDirective(Directive):
    """Render ``fixturestmp [COMMAND] --help`` as a literal block."""

    optional_arguments = 1

    def run(self) -> list[nodes.Node]:
        command = self.arguments[0] if self.arguments else None
        known = subcommands(build_parser())
        if command is not None and command not in known:
            raise self.error(
                f"unknown fixturestmp command {command!r}; known: "
                + ", ".join(sorted(known))
            )
        text = help_text(command).rstrip() + "\n"
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app):
    app.add_directive("fixturestmp-help", HelpDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
