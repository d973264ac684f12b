"""pytest's own tests of ``tmp_path`` against ``fixturestmp.tmp_path``.

Run by hand (it downloads pytest's sdist from the package index)::

    python -m benchmarks.pytest_own_tests [--workdir DIR]

The sdist of the pytest this interpreter has is unpacked and its
``testing/test_tmpdir.py`` is run twice with the plugin on for every
pytest it runs, the pytest runs its tests make inside themselves too
(pytest's test suite turns automatic plugin loading off for those, and
``PYTEST_PLUGINS`` reaches them):

1. as it is;
2. with every ``iterdir()`` of it leaving out the entries whose names start
   with a dot (fixturestmp's lock, counter, marker, owners and manifest), to
   tell the tests that fail on the layout alone from the others.

The outcome of each test is printed, and the tests that fail either way.
doc/guides/pytest.rst says why each one does.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pytest

from benchmarks.common import unpack_sdist

__all__ = ["main"]

_ITERDIR = re.compile(r"(\w+(?:\[0\])?)\.iterdir\(\)")


def unpack(workdir: Path) -> Path:
    """Download and unpack the sdist of this pytest; return its tests."""
    tree = unpack_sdist(workdir, "pytest", pytest.__version__)
    return tree / "testing"


def run(testing: Path, module: str, root: Path) -> dict[str, str]:
    """Run ``module`` with the plugin on; return ``{test name: outcome}``."""
    env = dict(os.environ)
    env.update(
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTEST_PLUGINS="fixturestmp.pytest_plugin,fixturestmp.tmp_path",
        FIXTURESTMP_ROOT=str(root),
    )
    report = root / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         f"--junitxml={report}", module],
        cwd=testing, env=env, capture_output=True, text=True,
    )  # fmt: skip
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        name = f"{case.get('classname', '').rpartition('.')[2]}::{case.get('name')}"
        found = {child.tag for child in case}
        outcome = next(
            (o for o in ("failure", "error", "skipped") if o in found), "passed"
        )
        outcomes[name.removeprefix(module.removesuffix(".py") + "::")] = outcome
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pytest_own_tests")
    parser.add_argument("--workdir", type=Path, help="where the sdist goes")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pytest-own-tests-"))
    workdir.mkdir(parents=True, exist_ok=True)
    testing = unpack(workdir)
    source = (testing / "test_tmpdir.py").read_text()
    (testing / "test_tmpdir_nodots.py").write_text(
        _ITERDIR.sub(
            r"[_e for _e in \1.iterdir() if not _e.name.startswith('.')]", source
        )
    )
    print(f"pytest {pytest.__version__}: testing/test_tmpdir.py")
    results = []
    modules = [("as it is", "test_tmpdir.py"),
               ("dot entries left out", "test_tmpdir_nodots.py")]  # fmt: skip
    for label, module in modules:
        root = Path(tempfile.mkdtemp(prefix="root-", dir=workdir))
        outcomes = run(testing, module, root)
        counts = Counter(outcomes.values())
        said = ", ".join(
            f"{counts[o]} {o}" for o in ("passed", "failure", "error", "skipped")
        )
        print(f"  {label}: {said}")
        results.append(outcomes)
    plain, nodots = results
    print("  not passed as it is (outcome as it is, with dot entries left out):")
    for test in sorted(plain):
        if plain[test] != "passed":
            print(f"    {plain[test]:8s} {nodots.get(test, '?'):8s} {test}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
