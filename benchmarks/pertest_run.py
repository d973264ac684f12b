"""One measured process of benchmark 1: N testtools tests of one variant.

``python -m benchmarks.pertest_run VARIANT N`` runs N tests whose body is
the variant, in this process, with testtools' runner, and exits: the
session fixturestmp makes on first use and ends at exit is inside the
measured process, as pytest's basetemp, lock and pruning are in its own.

``python -m benchmarks.pertest_run --interleaved ROUNDS BLOCK LABEL=VARIANT...``
runs blocks of the variants in turn in one process and prints their times
as JSON (:func:`interleaved`, benchmark 1b).
"""

import json
import shutil
import sys
import tempfile
import time
import unittest
from pathlib import Path
from typing import Any

import fixtures
import testtools
from testtools.content import text_content

#: fixturestmp, imported by :func:`run_tests` for the variants that use it
#: (a process of ``fixtures.TempDir`` alone never imports it). Every body
#: reaches its fixture the same way, through a module global: an import
#: statement in the body would run the import machinery in every test
#: (``from package import name`` calls importlib's Python
#: ``_handle_fromlist``), which the ``fixtures`` bodies do not pay.
fixturestmp: Any = None


def _write(path: str) -> None:
    with open(f"{path}/data.txt", "w") as stream:
        stream.write("small")


def empty(case: testtools.TestCase) -> None:
    pass


def ours(case: testtools.TestCase) -> None:
    _write(str(case.useFixture(fixturestmp.TempDirFixture()).path))


def fixtures_tempdir(case: testtools.TestCase) -> None:
    _write(case.useFixture(fixtures.TempDir()).path)


def fixtures_tempdir_path(case: testtools.TestCase) -> None:
    # The same Path a TempDirFixture user gets, and its str() as in "ours".
    _write(str(Path(case.useFixture(fixtures.TempDir()).path)))


def bare(case: testtools.TestCase) -> None:
    path = tempfile.mkdtemp()
    _write(path)
    shutil.rmtree(path)


class _SessionDir(fixtures.Fixture):
    """A directory made and removed in the session, nothing else."""

    detail = False

    def _setUp(self) -> None:
        session = fixturestmp.default_session()
        self.path = session.make_dir("test_it")
        self.addCleanup(session.discard, self.path)
        if self.detail:
            self.addDetail("tmp-path", text_content(self.path))


class _SessionDirWithDetail(_SessionDir):
    detail = True


def session_dir(case: testtools.TestCase) -> None:
    session = fixturestmp.default_session()
    path = session.make_dir("test_it")
    _write(path)
    case.addCleanup(session.discard, path)


def session_fixture(case: testtools.TestCase) -> None:
    _write(case.useFixture(_SessionDir()).path)


def session_fixture_detail(case: testtools.TestCase) -> None:
    _write(case.useFixture(_SessionDirWithDetail()).path)


def dropin(case: testtools.TestCase) -> None:
    _write(case.useFixture(fixturestmp.TempDir()).path)


BODIES = {
    "empty": empty,
    "ours": ours,
    "fixtures": fixtures_tempdir,
    "fixtures-path": fixtures_tempdir_path,
    "bare": bare,
    # The pieces of "ours" (benchmarks.bench_parts), each adding to the last.
    "session-dir": session_dir,
    "session-fixture": session_fixture,
    "session-fixture-detail": session_fixture_detail,
    "dropin": dropin,
}

#: The variants that do not use fixturestmp.
_WITHOUT_FIXTURESTMP = frozenset({"empty", "fixtures", "fixtures-path", "bare"})


def run_tests(name: str, count: int) -> bool:
    """Run ``count`` fresh tests of the variant ``name``; return whether all passed."""
    body = BODIES[name]
    if name not in _WITHOUT_FIXTURESTMP:
        global fixturestmp
        import fixturestmp

    class Case(testtools.TestCase):
        def test_it(self) -> None:
            body(self)

    suite = unittest.TestSuite(Case("test_it") for _ in range(count))
    result = testtools.TestResult()
    suite.run(result)
    if not result.wasSuccessful():
        print(result.errors or result.failures, file=sys.stderr)
    return result.wasSuccessful()


def interleaved(variants: dict[str, str], block: int, rounds: int) -> dict[str, list]:
    """Run blocks of ``block`` tests of every variant in turn, in this process.

    :param variants: ``{label: variant}``; two labels may name one variant.
    :return: Each label's ``[wall, cpu]`` seconds per block, round by
        round. Each round runs every label once, forwards in even rounds
        and backwards in odd ones. Adjacent blocks, milliseconds apart, see
        the machine alike: what drifts between whole processes cancels.
    """
    labels = list(variants)
    for label in labels:  # Warm-up, not counted: the session, the caches.
        run_tests(variants[label], 10)
    samples: dict[str, list] = {label: [] for label in labels}
    for round_number in range(rounds):
        for label in labels if round_number % 2 == 0 else labels[::-1]:
            wall, cpu = time.perf_counter(), time.process_time()
            if not run_tests(variants[label], block):
                raise RuntimeError(f"{label}: a test failed")
            samples[label].append(
                [time.perf_counter() - wall, time.process_time() - cpu]
            )
    return samples


def main(argv: list[str]) -> int:
    if argv[0] == "--interleaved":
        rounds, block = int(argv[1]), int(argv[2])
        variants = dict(item.split("=", 1) for item in argv[3:])
        print(json.dumps(interleaved(variants, block, rounds)))
        return 0
    return 0 if run_tests(argv[0], int(argv[1])) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
