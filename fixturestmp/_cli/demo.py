"""``fixturestmp demo``: run the bundled example suite and explain the result."""

import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from fixturestmp._cli.run import RunOutcome, kept_paths, print_summary, run_command
from fixturestmp._fixtures.details import listing
from fixturestmp._store.sessiondir import SessionDir

__all__ = ["run_demo"]


def _copy_suite(project: Path) -> None:
    # The suite and its stestr configuration are package data: CI runs the
    # demo from the installed wheel, so a file left out of it fails there.
    bundled = resources.files("fixturestmp.demo_suite")
    suite = project / "demo_tests"
    suite.mkdir()
    for name in ("__init__.py", "test_demo.py"):
        (suite / name).write_text(bundled.joinpath(name).read_text())
    (project / ".stestr.conf").write_text(bundled.joinpath(".stestr.conf").read_text())


def run_demo() -> int:
    """Run the example suite under stestr through ``fixturestmp run``.

    :return: 0 when the demo showed what it should (the suite itself fails
        on purpose).
    """
    project = Path(tempfile.mkdtemp(prefix="fixturestmp-demo-"))
    try:
        _copy_suite(project)
        command = [sys.executable, "-m", "stestr", "run", "--concurrency", "2"]
        print("fixturestmp demo: an example suite with a passing, a failing and")
        print("a leaking test, run by stestr with 2 workers inside one session:")
        print(f"  cd {project}")
        print("  fixturestmp run --check-leaks --clean-leaks -- " + " ".join(
            ["python", *command[1:]]))  # fmt: skip
        print(flush=True)
        outcome = run_command(
            command,
            SessionDir(retention_policy="failed"),
            check_leaks=True,
            clean_leaks=True,
            cwd=project,
        )
        print(flush=True)
        print("fixturestmp summary (printed by 'fixturestmp run'):")
        print_summary(outcome, sys.stdout)
    finally:
        shutil.rmtree(project, ignore_errors=True)
    return _explain(outcome)


def _explain(outcome: RunOutcome) -> int:
    kept = kept_paths(outcome.session)
    print()
    print("What you got:")
    if not kept:
        print("  the failing test's directory was not kept: this is a bug.")
        return 1
    for path in kept:
        print(f"  - the failing test's directory was kept: {path}")
        for line in listing(path).splitlines():
            print(f"        {line}")
    print("    find it again later with: fixturestmp show test_renders_discount")
    print("  - the passing tests' directories were removed")
    if outcome.temp_leaks:
        for entry in outcome.temp_leaks:
            print(f"  - leak found and cleaned: {entry.describe()}")
    else:
        print("  - no leak was found: this is a bug.")
        return 1
    return 0
