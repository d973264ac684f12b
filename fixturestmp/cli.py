"""The ``fixturestmp`` command."""

import argparse
import sys

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """Return the command's argument parser."""
    return argparse.ArgumentParser(
        prog="fixturestmp",
        description="Temporary directories for test suites, with retention.",
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command; return its exit status."""
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
