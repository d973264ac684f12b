"""The ``fixturestmp`` command's parser and subcommands: run, ls, show, clean,
collect, report, demo."""

import argparse
import contextlib
import json
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from fixturestmp._cli.run import LEAK_EXIT_STATUS
from fixturestmp.errors import ConfigError, UnsafeRootError

if TYPE_CHECKING:
    from fixturestmp._store.inventory import SessionInfo

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
    run.add_argument(
        "--adopt",
        action="store_true",
        help="make fixtures.TempDir() and fixtures.NestedTempfile() of every "
        "Python process of COMMAND session-managed (kept when their test fails)",
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

    collect = commands.add_parser(
        "collect",
        help="copy what a session kept into DEST, for CI artifacts",
        description="Copy the kept directories of a session's tests (failed\n"
        "ones first), its manifest and its leak records into a new directory\n"
        "DEST/run-N, or the new archive DEST with --archive. Symlinks are\n"
        "recorded, never followed; what was skipped (over --max-size,\n"
        "unreadable) is listed in INDEX.txt and index.json.",
        epilog="exit status: 0 collected; 1 nothing to collect; 2 usage error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    collect.add_argument("dest", metavar="DEST", help="directory (or .tar.gz) to write")
    collect.add_argument(
        "--session",
        metavar="N|PATTERN",
        help="session number, session directory, or part of a test id: the "
        "newest session with such a test, and only those tests (default: newest)",
    )
    collect.add_argument(
        "--max-size",
        metavar="SIZE",
        default="100MiB",
        help="copy at most SIZE bytes of files, e.g. 20MB (default: 100MiB)",
    )
    collect.add_argument(
        "--archive", action="store_true", help="write one .tar.gz file DEST"
    )
    collect.add_argument("--root", help="temporary root (default: configured)")

    report = commands.add_parser(
        "report",
        help="one self-contained HTML page (or JSON) about a session",
        description="Write one self-contained HTML page about a session: its\n"
        "summary, each failed test with its kept directory's listing and the\n"
        "first lines of its small text files, the leaks, and a chart of\n"
        "resident memory across the tests when the memory check ran. The\n"
        "page loads nothing from anywhere. --json prints the same data.",
        epilog="exit status: 0 written; 1 no such session; 2 usage error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument(
        "--session",
        metavar="N|PATTERN",
        help="session number, session directory, or part of a test id "
        "(default: the newest session)",
    )
    report.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (default: stdout)"
    )
    report.add_argument("--json", action="store_true", help="JSON instead of HTML")
    report.add_argument("--root", help="temporary root (default: configured)")

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
    with _one_line_warnings(args.command):
        return _main(parser, args)


def _main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        from fixturestmp._config import check_environment

        check_environment()
        if args.command == "run":
            return _run(parser, args)
        if args.command == "ls":
            return _ls(args)
        if args.command == "show":
            return _show(args)
        if args.command == "clean":
            return _clean(args)
        if args.command == "collect":
            return _collect(args)
        if args.command == "report":
            return _report(args)
        from fixturestmp._cli.demo import run_demo

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


@contextlib.contextmanager
def _one_line_warnings(command: str) -> Iterator[None]:
    """Print each warning as one line, ``fixturestmp COMMAND: what``.

    The file and line that warned would tell a user of the command nothing.
    """
    previous = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        said = str(message).removeprefix("fixturestmp: ")
        print(f"fixturestmp {command}: {said}", file=file or sys.stderr)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def _check_configuration(given: Iterable[str] = ()) -> None:
    """Check the whole configuration, before a command deletes anything.

    :param given: The options given on the command line.
    :raises ConfigError: A value is not valid; nothing was touched.
    """
    from fixturestmp._config import check_all
    from fixturestmp._hooks.startup import adopt_requested

    check_all(given)
    adopt_requested()


def _say_problems(
    command: str, sessions: "list[SessionInfo]", foreign: Sequence[Path] = ()
) -> None:
    """Say, one line each, what could not be read, and which ``run-<N>``
    directories are no session."""
    for info in sessions:
        for problem in info.problems:
            print(f"fixturestmp {command}: {problem}", file=sys.stderr)
    for path in foreign:
        print(
            f"fixturestmp {command}: {path} is not a fixturestmp session (it "
            f"has no marker file); it is never counted, pruned or removed",
            file=sys.stderr,
        )


def _silence_stdout() -> None:
    # Python flushes stdout at exit: to a closed pipe, that would be a
    # second BrokenPipeError, printed as "Exception ignored".
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from fixturestmp._cli.run import print_summary, run_command
    from fixturestmp._store.sessiondir import SessionDir

    command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not command:
        parser.error(
            "run: give the command after --, e.g. fixturestmp run -- stestr run"
        )
    from fixturestmp._config import resolve
    from fixturestmp._hooks.startup import adopt_requested

    adopt = args.adopt or adopt_requested()
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
        adopt=adopt,
        leak_checks=resolve("leak_checks"),
        report=lambda outcome: print_summary(outcome, sys.stderr),
    )
    return outcome.status


def _ls(args: argparse.Namespace) -> int:
    from fixturestmp._store.inventory import read_sessions
    from fixturestmp._store.naming import printable

    foreign: list[Path] = []
    sessions = read_sessions(args.root, foreign)
    _say_problems("ls", sessions, foreign)
    if args.failed:
        for info in sessions:
            info.tests = [t for t in info.tests if t["outcome"] == "failed"]
    if args.json:
        print(json.dumps([s.as_json() for s in sessions], indent=2))
        return 0
    for info in sessions:
        state = "live" if info.live else "ended"
        print(f"{printable(str(info.path))}  ({state}, {info.counts_text()})")
        for test in info.tests:
            if test["retained"]:
                print(f"  {test['outcome']:<7} {printable(test['id'])}  "
                      f"{printable(test['path'])}")  # fmt: skip
        for path in info.unrecorded:  # It may have failed: listed always.
            print(f"  UNRECORDED  {printable(path)}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from fixturestmp._store.inventory import read_sessions
    from fixturestmp._store.naming import printable

    found = 0
    sessions = read_sessions(args.root)
    _say_problems("show", sessions)
    for info in sessions:
        for test in info.tests:
            if args.pattern in test["id"] and test["retained"]:
                print(printable(test["path"]))
                found += 1
    if not found:
        print(f"fixturestmp show: no kept directory of a test matching "
              f"{args.pattern!r}", file=sys.stderr)  # fmt: skip
    return 0 if found else 1


def _clean(args: argparse.Namespace) -> int:
    from fixturestmp._config import resolve
    from fixturestmp._store.inventory import open_base
    from fixturestmp._store.pruning import prune

    keep = 0 if args.all else resolve(
        "retention_count", args.retention_count, "--retention-count"
    )  # fmt: skip
    given = {"root": args.root, "retention_count": args.retention_count}
    _check_configuration([name for name, value in given.items() if value is not None])
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


def _collect(args: argparse.Namespace) -> int:
    from fixturestmp._cli.collect import UNRECORDED, collect, counted
    from fixturestmp._config import parse_size
    from fixturestmp._store.naming import printable
    from fixturestmp._store.selection import select_session

    max_size = parse_size(args.max_size, "--max-size")
    if not args.dest.strip():
        raise ConfigError("DEST is empty; name a directory (or a .tar.gz file)")
    selection = select_session(args.session, args.root)
    done = None
    if selection is not None:
        _say_problems("collect", [selection.info])
        done = collect(selection, Path(args.dest), max_size=max_size,
                       archive=args.archive)  # fmt: skip
    if done is None:
        what = "no session" if selection is None else printable(
            f"{selection.info.path}: no kept test directories and no leaks"
        )  # fmt: skip
        print(f"fixturestmp collect: nothing to collect ({what})", file=sys.stderr)
        return 1
    skipped = len(done.skipped) + done.skipped_more
    # Flushed: the path comes before the summary on stderr, also when stdout
    # is a file or a pipe (buffered).
    print(printable(str(done.path)), flush=True)
    kept = "1 kept directory" if len(done.tests) == 1 else \
        f"{len(done.tests)} kept directories"  # fmt: skip
    unrecorded = sum(1 for test in done.tests if test["outcome"] == UNRECORDED)
    if unrecorded:
        which = "1 directory" if unrecorded == 1 else \
            f"{unrecorded} directories"  # fmt: skip
        print(f"fixturestmp collect: the manifest has no record of {which} "
              f"on disk (a test that never recorded its outcome, or a "
              f"damaged manifest): collected as {UNRECORDED}",
              file=sys.stderr)  # fmt: skip
    print(f"fixturestmp collect: {kept}, {counted(done.files, 'file')}, "
          f"{done.size} bytes; {skipped} skipped (see INDEX.txt)",
          file=sys.stderr)  # fmt: skip
    return 0


def _report(args: argparse.Namespace) -> int:
    import os

    from fixturestmp._cli.report_data import build_report
    from fixturestmp._store.selection import select_session

    selection = select_session(args.session, args.root)
    if selection is None:
        print("fixturestmp report: no such session", file=sys.stderr)
        return 1
    _say_problems("report", [selection.info])
    report = build_report(selection)
    if args.json:
        text = json.dumps(report, indent=1) + "\n"
    else:
        from fixturestmp._cli.report_html import render_html

        text = render_html(report)
    # A test id may hold undecodable bytes: written as escapes.
    data = text.encode("utf-8", "backslashreplace")
    if args.output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        return 0
    partial = f"{args.output}.part-{os.getpid()}"
    try:
        with open(partial, "wb") as stream:
            stream.write(data)
        os.replace(partial, args.output)
    except OSError as error:
        raise ConfigError(
            f"-o {args.output}: cannot be written ({error.strerror}); name a "
            f"file in a directory you may write"
        ) from None
    return 0
