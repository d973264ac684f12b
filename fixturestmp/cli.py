"""The ``fixturestmp`` command: run, ls, show, clean, demo."""

import argparse
import json
import sys
from collections.abc import Sequence

from fixturestmp.errors import ConfigError, UnsafeRootError
from fixturestmp.wrapper import LEAK_EXIT_STATUS

__all__ = ["build_parser", "main"]

_EPILOG = f"""\
exit status of 'run': the command's own status; 127 if it cannot be found;
128+N if it was killed by signal N; {LEAK_EXIT_STATUS} with --fail-on-leak when
the command passed but leaked.
"""


def build_parser() -> argparse.ArgumentParser:
    """Return the command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="fixturestmp",
        description="Temporary directories for test suites, with retention:\n"
        "keep failed tests' directories, drop the rest, catch leaks.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser(
        "run",
        help="run COMMAND (e.g. stestr run) in one session shared by its workers",
        description="Make one session, export FIXTURESTMP_SESSION so every\n"
        "worker of COMMAND joins it, run COMMAND, then end the session from\n"
        "COMMAND's exit status and print what was kept and what leaked.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_retention_options(run)
    run.add_argument(
        "--check-leaks",
        action="store_true",
        help="list what COMMAND left in the system temporary directory",
    )
    run.add_argument(
        "--clean-leaks",
        action="store_true",
        help="remove exactly what COMMAND left there (implies --check-leaks)",
    )
    run.add_argument(
        "--fail-on-leak",
        action="store_true",
        help=f"exit {LEAK_EXIT_STATUS} if COMMAND passed but leaked",
    )
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND...")

    ls = commands.add_parser("ls", help="list sessions and kept test directories")
    ls.add_argument("--root", help="temporary root (default: configured)")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.add_argument("--failed", action="store_true", help="only failed tests")

    show = commands.add_parser(
        "show", help="print the kept directories of tests matching PATTERN"
    )
    show.add_argument("pattern", metavar="PATTERN", help="part of a test id")
    show.add_argument("--root", help="temporary root (default: configured)")

    clean = commands.add_parser("clean", help="apply retention now")
    clean.add_argument("--root", help="temporary root (default: configured)")
    clean.add_argument(
        "--retention-count", type=str, help="sessions to keep (default: configured)"
    )
    clean.add_argument(
        "--all", action="store_true", help="remove every session not in use"
    )

    commands.add_parser("demo", help="run a small example suite and show what you get")
    return parser


def _add_retention_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--retention-policy",
        metavar="P",
        help="all, failed or none (default: configured, else failed)",
    )
    parser.add_argument(
        "--retention-count",
        metavar="N",
        help="sessions kept after this one ends (default: configured, else 3)",
    )
    parser.add_argument("--root", metavar="DIR", help="temporary root directory")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run(parser, args)
        if args.command == "ls":
            return _ls(args)
        if args.command == "show":
            return _show(args)
        if args.command == "clean":
            return _clean(args)
        from fixturestmp.demo import run_demo

        return run_demo()
    except BrokenPipeError:
        # The reader went away (``fixturestmp ls | head -1``): as a shell
        # reports a command killed by SIGPIPE, with nothing more to say.
        _silence_stdout()
        return 128 + 13
    except ConfigError as error:
        print(f"fixturestmp {args.command}: {error}", file=sys.stderr)
        return 2
    except UnsafeRootError as error:
        # Its message says it all; "[Errno 20]" would add nothing.
        print(f"fixturestmp {args.command}: {error.strerror}", file=sys.stderr)
        return 2
    except OSError as error:
        # Before the command ran (errors at its end go in the summary):
        # nothing was done, and the message says what to do.
        from fixturestmp.errors import message

        said = message(error).removeprefix("fixturestmp ")
        print(f"fixturestmp {args.command}: {said}", file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    # Python flushes stdout at exit: to a closed pipe, that would be a
    # second BrokenPipeError, printed as "Exception ignored".
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from fixturestmp.sessiondir import SessionDir
    from fixturestmp.wrapper import print_summary, run_command

    command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not command:
        parser.error(
            "run: give the command after --, e.g. fixturestmp run -- stestr run"
        )
    from fixturestmp.config import resolve

    session = SessionDir(
        root=resolve("root", args.root, "--root"),
        retention_count=resolve(
            "retention_count", args.retention_count, "--retention-count"
        ),
        retention_policy=resolve(
            "retention_policy", args.retention_policy, "--retention-policy"
        ),
    )
    outcome = run_command(
        command,
        session,
        check_leaks=args.check_leaks,
        clean_leaks=args.clean_leaks,
        fail_on_leak=args.fail_on_leak,
        report=lambda outcome: print_summary(outcome, sys.stderr),
    )
    return outcome.status


def _ls(args: argparse.Namespace) -> int:
    from fixturestmp.inventory import read_sessions
    from fixturestmp.naming import printable

    sessions = read_sessions(args.root)
    if args.failed:
        for info in sessions:
            info.tests = [t for t in info.tests if t["outcome"] == "failed"]
    if args.json:
        print(json.dumps([s.as_json() for s in sessions], indent=2))
        return 0
    for info in sessions:
        failed = sum(1 for t in info.tests if t["outcome"] == "failed")
        state = "live" if info.live else "ended"
        print(f"{printable(str(info.path))}  ({state}, {info.directory_count()} tests, "
              f"{failed} failed)")  # fmt: skip
        for test in info.tests:
            if test["retained"]:
                print(f"  {test['outcome']:<7} {printable(test['id'])}  "
                      f"{printable(test['path'])}")  # fmt: skip
    return 0


def _show(args: argparse.Namespace) -> int:
    from fixturestmp.inventory import read_sessions
    from fixturestmp.naming import printable

    found = 0
    for info in read_sessions(args.root):
        for test in info.tests:
            if args.pattern in test["id"] and test["retained"]:
                print(printable(test["path"]))
                found += 1
    if not found:
        print(f"fixturestmp show: no kept directory of a test matching "
              f"{args.pattern!r}", file=sys.stderr)  # fmt: skip
    return 0 if found else 1


def _clean(args: argparse.Namespace) -> int:
    from fixturestmp.config import resolve
    from fixturestmp.inventory import open_base
    from fixturestmp.pruning import prune

    keep = 0 if args.all else resolve(
        "retention_count", args.retention_count, "--retention-count"
    )  # fmt: skip
    base = open_base(args.root)
    if base is None:
        return 0
    errors: list[str] = []
    try:
        removed = prune(base, keep, errors)
    finally:
        base.close()
    for path in removed:
        print(f"removed {path}")
    for error in errors:
        print(f"fixturestmp clean: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
