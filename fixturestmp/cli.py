"""The ``fixturestmp`` command (``fixturestmp`` on ``PATH``, or ``python -m
fixturestmp.cli``, or ``python -m fixturestmp``).

Its subcommands live in :mod:`fixturestmp._cli`.
"""

import sys

from fixturestmp._cli.main import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
