"""Real suites under ``fixturestmp run --adopt``: same results, kept evidence, cost.

Run by hand (it downloads from the package index, so no unit test runs it)::

    python -m benchmarks.real_adopt [--rounds 3] [--workdir DIR] [--project NAME]

For each project: its sdist (pinned below) is downloaded and unpacked, a
virtual environment is made with ``python -m venv``, the sdist is installed
with its test requirements and fixturestmp from a wheel built from this
checkout (so the ``.pth`` start-up hook is installed as users get it). Then:

1. Its suite runs with ``stestr run`` three ways, round by round in a new
   shuffled order: plain; ``fixturestmp run -- stestr run``;
   ``fixturestmp run --adopt -- stestr run``. Every run's results (test id
   and status, from ``stestr last --subunit``) are compared, and the wall
   time and CPU time (every process of the run) of each run are taken:
   ratios per round, median and range.
2. A failing test is planted in a copy of the suite: a copy of one of its
   real tests that writes a file into its temporary directory (made by
   ``fixtures.TempDir``, or through ``tempfile`` under oslotest's
   ``NestedTempfile``) and ends in ``self.fail()``. The whole suite runs
   under ``--adopt``: the planted test must be named in the summary
   (``FAILED <id>  <path>``), its directories must exist with the file in
   them, and the run directory must hold nothing else than the directories
   of failed tests (every passing test's were removed). The planted test
   alone runs plain too, where fixtures removes the file it wrote.

The report is printed and saved in ``WORKDIR/report.txt``; every run's
output is in ``WORKDIR/logs``.
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import textwrap
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bench_startup import build_wheel, make_venv

__all__ = ["PROJECTS", "Project", "main"]

PLANTED_MODULE = "test_zz_fixturestmp_planted"
PLANTED_MESSAGE = re.compile(r"planted failure; it wrote (/\S+)")
FAILED_LINE = re.compile(r"^FAILED (\S+)  (\S.*)$", re.MULTILINE)
VARIANTS = ("plain", "run", "adopt")

# Prints {test id: final status} of the repository's last run.
RESULTS_SCRIPT = """\
import json, subprocess, sys
import subunit, testtools
last = subprocess.run(["stestr", "last", "--subunit"], capture_output=True, check=True)
statuses = {}
class Result(testtools.StreamResult):
    def status(self, test_id=None, test_status=None, **kwargs):
        if test_id and test_status not in (None, "inprogress", "exists"):
            statuses[test_id] = test_status
import io
subunit.ByteStreamToStreamResult(io.BytesIO(last.stdout)).run(Result())
json.dump(statuses, sys.stdout)
"""


@dataclass
class Project:
    """One project of the package index and how its own tox.ini runs it."""

    name: str
    version: str
    #: Requirement files of the sdist its tox.ini installs.
    requirements: list[str]
    #: Where its tests are, in the sdist.
    test_dir: str
    #: A copy of one of its real tests, failing at the end.
    planted: str
    extras: str = ""
    #: Environment and command prefix of its tox.ini's test command.
    env: dict[str, str] = field(default_factory=dict)
    prefix: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.name.replace(".", "_")


PROJECTS = [
    Project(
        name="oslo.concurrency",
        version="7.6.1",
        requirements=["test-requirements.txt"],
        test_dir="oslo_concurrency/tests/unit",
        # tox.ini: env TEST_EVENTLET=0 lockutils-wrapper stestr run
        env={"TEST_EVENTLET": "0"},
        prefix=["lockutils-wrapper"],
        planted='''
            import os
            import tempfile

            from oslo_config import fixture as config
            from oslotest import base as test_base

            from oslo_concurrency.fixture import lockutils as fixtures
            from oslo_concurrency import lockutils


            class PlantedLockFixtureTest(test_base.BaseTestCase):
                """test_lockutils.TestLockFixture, copied; it fails at the end."""

                def setUp(self):
                    super().setUp()
                    self.config = self.useFixture(config.Config(lockutils.CONF)).config
                    self.tempdir = tempfile.mkdtemp()

                def test_lock_fixture(self):
                    self.config(lock_path=self.tempdir, group='oslo_concurrency')
                    fixture = fixtures.LockFixture('test-lock')
                    self.useFixture(fixture)
                    self.lock = fixture.lock
                    evidence = os.path.join(self.tempdir, 'evidence.txt')
                    with open(evidence, 'w') as stream:
                        stream.write('what the failed test left\\n')
                    self.fail(f'planted failure; it wrote {evidence}')
        ''',
    ),
    Project(
        name="oslo.config",
        version="10.7.0",
        requirements=["test-requirements.txt", "doc/requirements.txt"],
        test_dir="oslo_config/tests",
        planted='''
            import os

            import fixtures

            from oslo_config import cfg
            from oslo_config.tests import test_cfg


            class PlantedConfigFileTest(test_cfg.BaseTestCase):
                """test_cfg.ConfigFileOptsTestCase.test_conf_file_str_default,
                copied twice; they fail at the end."""

                def test_conf_file_str_default(self):
                    self.conf.register_opt(cfg.StrOpt('foo', default='bar'))
                    paths = self.create_tempfiles([('test', '[DEFAULT]\\n')])
                    self.conf(['--config-file', paths[0]])
                    self.assertEqual('bar', self.conf.foo)
                    self.fail(f'planted failure; it wrote {paths[0]}')

                def test_conf_file_in_tempdir(self):
                    # The file in a fixtures.TempDir, as test_generator's are.
                    tempdir = self.useFixture(fixtures.TempDir())
                    path = os.path.join(tempdir.path, 'test.conf')
                    with open(path, 'w') as stream:
                        stream.write('[DEFAULT]\\nfoo = baz\\n')
                    self.conf.register_opt(cfg.StrOpt('foo', default='bar'))
                    self.conf(['--config-file', path])
                    self.assertEqual('baz', self.conf.foo)
                    self.fail(f'planted failure; it wrote {path}')
        ''',
    ),
    Project(
        name="oslo.utils",
        version="10.2.0",
        requirements=["test-requirements.txt"],
        extras="image-inspection",
        test_dir="oslo_utils/tests",
        planted='''
            import os
            import tempfile

            from oslo_utils import fileutils
            from oslo_utils.tests import base as test_base


            class PlantedWriteToTempfileTest(test_base.BaseTestCase):
                """test_fileutils.WriteToTempfileTestCase, copied; it fails at
                the end."""

                def setUp(self):
                    super().setUp()
                    self.content = b'testing123'

                def test_file_without_path_and_suffix(self):
                    res = fileutils.write_to_tempfile(self.content)
                    self.assertTrue(os.path.exists(res))
                    (basepath, tmpfile) = os.path.split(res)
                    self.assertTrue(basepath.startswith(tempfile.gettempdir()))
                    self.assertTrue(tmpfile.startswith('tmp'))
                    self.fail(f'planted failure; it wrote {res}')
        ''',
    ),
]


class Runner:
    """Runs commands of one project: its venv first on PATH, its own root."""

    def __init__(self, project: Project, workdir: Path) -> None:
        self.project = project
        self.workdir = workdir
        self.venv = workdir / f"venv-{project.slug}"
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.root = workdir / f"root-{project.slug}"
        self.root.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIXTURESTMP_")}
        env.pop("PYTHONPATH", None)
        env.update(project.env)
        env.update(
            PATH=f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(self.venv),
            FIXTURESTMP_ROOT=str(self.root),
        )
        self.env = env

    def run(
        self, command: list[str], cwd: Path, log: str
    ) -> tuple[int, str, str, float, float]:
        """Run ``command``; return status, stdout, stderr, wall and CPU time.

        The CPU time is its whole tree's (user and system), as every
        process of it is waited for.
        """
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            command, cwd=cwd, env=self.env, capture_output=True, text=True,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        (self.logs / f"{log}.txt").write_text(
            f"$ {' '.join(command)}\n"
            f"(exit {done.returncode}, {wall:.1f} s, CPU {cpu:.1f} s)\n"
            f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )
        return done.returncode, done.stdout, done.stderr, wall, cpu

    def results(self, cwd: Path) -> dict[str, str]:
        """Return ``{test id: status}`` of the last stestr run in ``cwd``."""
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", RESULTS_SCRIPT],
            cwd=cwd, env=self.env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        statuses: dict[str, str] = json.loads(done.stdout)
        return statuses

    def command(self, variant: str, stestr_args: tuple[str, ...] = ()) -> list[str]:
        suite = [*self.project.prefix, "stestr", "run", *stestr_args]
        if variant == "plain":
            return suite
        wrapper = ["fixturestmp", "run"] + (["--adopt"] if variant == "adopt" else [])
        return [*wrapper, "--", *suite]


def prepare(project: Project, workdir: Path, wheel: Path, fresh: bool) -> Path:
    """Download and unpack the sdist, make the venv; return the source tree."""
    sdists = workdir / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    requirement = f"{project.name}=={project.version}"
    archives = list(sdists.glob(f"{project.slug}-{project.version}.tar.gz"))
    if not archives:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
             "--no-binary", ":all:", "-d", str(sdists), requirement],
            check=True,
        )  # fmt: skip
        archives = list(sdists.glob(f"{project.slug}-{project.version}.tar.gz"))
    (archive,) = archives
    source = workdir / "src" / f"{project.slug}-{project.version}"
    if source.exists():
        shutil.rmtree(source)
    source.parent.mkdir(exist_ok=True)
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: nothing outside
            tar.extractall(source.parent, filter="data")
        else:  # pragma: no cover - older Pythons
            tar.extractall(source.parent)
    venv = workdir / f"venv-{project.slug}"
    ready = venv / "real-adopt-ready"
    if fresh and venv.exists():
        shutil.rmtree(venv)
    if not ready.exists():
        if venv.exists():
            shutil.rmtree(venv)
        python = make_venv(venv)
        extras = f"[{project.extras}]" if project.extras else ""
        reqs = [a for r in project.requirements for a in ("-r", str(source / r))]
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"{archive}{extras}", *reqs],
            check=True,
        )
        ready.write_text(requirement + "\n")
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
         "--force-reinstall", "--no-deps", str(wheel)],
        check=True,
    )  # fmt: skip
    return source


def _ratio_text(over: list[float], under: list[float]) -> str:
    ratios = sorted(a / b for a, b in zip(over, under, strict=True))
    return f"{statistics.median(ratios):.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f})"


def compare_results(runs: dict[str, list[dict[str, str]]]) -> tuple[bool, list[str]]:
    """Compare every run's results; return (all alike, lines to report)."""
    lines = []
    reference = runs["plain"][0]
    differing = set()
    for variant in VARIANTS:
        for number, results in enumerate(runs[variant], 1):
            counts = Counter(results.values())
            shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            lines.append(
                f"    {variant:<5} round {number}: {len(results)} tests: {shown}"
            )
            keys = set(results) | set(reference)
            differing |= {k for k in keys if results.get(k) != reference.get(k)}
    for test_id in sorted(differing):
        seen = {
            variant: [r.get(test_id, "absent") for r in runs[variant]]
            for variant in VARIANTS
        }
        lines.append(f"    differs: {test_id}: {seen}")
    return not differing, lines


def time_suite(runner: Runner, source: Path, rounds: int) -> tuple[list[str], dict]:
    """Run the suite the three ways, interleaved; return report lines and data."""
    walls: dict[str, list[float]] = {v: [] for v in VARIANTS}
    cpus: dict[str, list[float]] = {v: [] for v in VARIANTS}
    results: dict[str, list[dict[str, str]]] = {v: [] for v in VARIANTS}
    statuses: dict[str, list[int]] = {v: [] for v in VARIANTS}
    order = list(VARIANTS)
    shuffler = random.Random(rounds)
    for number in range(1, rounds + 1):
        shuffler.shuffle(order)
        for variant in order:
            log = f"{runner.project.slug}-{variant}-{number}"
            status, _, _, wall, cpu = runner.run(runner.command(variant), source, log)
            walls[variant].append(wall)
            cpus[variant].append(cpu)
            statuses[variant].append(status)
            results[variant].append(runner.results(source))
            print(
                f"  round {number} {variant:<5} exit {status} {wall:6.1f} s "
                f"(CPU {cpu:6.1f} s)",
                flush=True,
            )
    alike, lines = compare_results(results)
    tests = len(results["plain"][0])
    failed = sorted(k for k, v in results["plain"][0].items() if v == "fail")
    summary = [
        f"  tests: {tests}; failing without fixturestmp: {len(failed)}",
        *[f"    {test_id}" for test_id in failed],
        "  same results in every run, with and without --adopt: "
        + ("yes" if alike else "NO"),
        *lines,
        f"  exit statuses: {statuses}",
        "  wall time, median of rounds: "
        + ", ".join(f"{v} {statistics.median(walls[v]):.1f} s" for v in VARIANTS),
        f"  ratio adopt/plain: {_ratio_text(walls['adopt'], walls['plain'])}",
        f"  ratio run/plain:   {_ratio_text(walls['run'], walls['plain'])}",
        f"  ratio adopt/run:   {_ratio_text(walls['adopt'], walls['run'])}",
        "  CPU time (user+system, every process), median of rounds: "
        + ", ".join(f"{v} {statistics.median(cpus[v]):.1f} s" for v in VARIANTS),
        f"  CPU ratio adopt/plain: {_ratio_text(cpus['adopt'], cpus['plain'])}",
        f"  CPU ratio adopt/run:   {_ratio_text(cpus['adopt'], cpus['run'])}",
    ]
    data = {"tests": tests, "alike": alike, "walls": walls, "cpus": cpus}
    return summary, data


def plant(runner: Runner, source: Path) -> tuple[list[str], bool]:
    """Plant the failing test in a copy of the suite; check what is kept."""
    project = runner.project
    planted_tree = source.with_name(source.name + "-planted")
    if planted_tree.exists():
        shutil.rmtree(planted_tree)
    shutil.copytree(source, planted_tree, ignore=shutil.ignore_patterns(".stestr"))
    module = planted_tree / project.test_dir / f"{PLANTED_MODULE}.py"
    module.write_text(textwrap.dedent(project.planted).lstrip())
    lines = [f"  planted: {module.relative_to(runner.workdir)}"]
    good = True

    def check(condition: bool, text: str) -> None:
        nonlocal good
        good = good and condition
        lines.append(f"    [{'ok' if condition else 'FAILED'}] {text}")

    # Plain, the planted test alone: fixtures removes what it wrote.
    _, out, err, _, _ = runner.run(
        runner.command("plain", (PLANTED_MODULE,)), planted_tree,
        f"{project.slug}-planted-plain",
    )  # fmt: skip
    written = sorted(set(PLANTED_MESSAGE.findall(out + err)))
    check(bool(written), f"without fixturestmp the planted test wrote {written}")
    for path in written:
        check(not os.path.exists(path), f"without fixturestmp {path} is gone")
    # The whole suite under --adopt.
    status, out, err, _, _ = runner.run(
        runner.command("adopt"), planted_tree, f"{project.slug}-planted-adopt"
    )
    results = runner.results(planted_tree)
    planted_ids = sorted(k for k in results if PLANTED_MODULE in k)
    check(
        bool(planted_ids) and all(results[k] == "fail" for k in planted_ids),
        f"under --adopt the planted tests failed: {planted_ids} (exit {status})",
    )
    summary = [
        line
        for line in err.splitlines()
        if line.startswith(("fixturestmp:", "FAILED ", "KEPT "))
    ]
    lines.append("    the run's summary (stderr):")
    lines.extend(f"      {line}" for line in summary)
    failed_lines = FAILED_LINE.findall(err)
    kept = {path for _, path in failed_lines}
    written = sorted(set(PLANTED_MESSAGE.findall(out)))
    for test_id in planted_ids:
        paths = [path for tid, path in failed_lines if tid == test_id]
        check(
            bool(paths),
            f"{test_id} is named in the summary with {len(paths)} directories",
        )
        for path in paths:
            check(os.path.isdir(path), f"{path} exists")
    for path in written:
        holder = [k for k in kept if path.startswith(k + os.sep)]
        check(
            len(holder) == 1 and os.path.isfile(path),
            f"the file it wrote is there: {path}",
        )
    failed_ids = {k for k, v in results.items() if v == "fail"}
    check(
        {tid for tid, _ in failed_lines} == failed_ids,
        f"the summary names exactly the {len(failed_ids)} failed tests",
    )
    parents = {os.path.dirname(path) for path in kept}
    if len(parents) == 1:
        (run_dir,) = parents
        left = {
            os.path.join(run_dir, name)
            for name in os.listdir(run_dir)
            if not name.startswith(".")
        }
        check(
            left == kept,
            f"{run_dir} holds only the {len(kept)} directories of failed tests "
            f"(of {len(results)} tests run; every passing test's were removed)",
        )
    else:
        check(False, f"the kept directories are in one run directory: {parents}")
    # stestr's report of the first planted test, from its tmp-path details on.
    first = out.find(f"{planted_ids[0]} [") if planted_ids else -1
    detail = re.compile(
        r"^Captured tmp-path:\n.*?(?=\n+(?:=+\n|\{\d+\} |\S+\n-+\n)|\Z)",
        re.MULTILINE | re.DOTALL,
    ).search(out, max(first, 0))
    check(detail is not None, "stestr's report shows the tmp-path details")
    if detail is not None:
        lines.append("    stestr's report of the first planted test, its details:")
        lines.extend(f"      {line}" for line in detail.group(0).splitlines())
    return lines, good


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.real_adopt")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--workdir", type=Path, default=Path("/tmp/fixturestmp-real-adopt")
    )
    parser.add_argument(
        "--project", action="append", choices=[p.name for p in PROJECTS],
        help="only this project (repeatable; default: all)",
    )  # fmt: skip
    parser.add_argument("--fresh", action="store_true", help="remake the venvs")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    projects = [p for p in PROJECTS if not args.project or p.name in args.project]
    report = [
        "real suites under fixturestmp run --adopt "
        f"({time.strftime('%Y-%m-%d %H:%M')})",
        f"command: python -m benchmarks.real_adopt --rounds {args.rounds}"
        f" --workdir {workdir}",
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"load average {os.getloadavg()[0]:.1f} at start",
    ]
    print("\n".join(report), flush=True)
    wheel = build_wheel(workdir / "wheel")
    all_good = True
    table = []
    for project in projects:
        print(f"== {project.name} {project.version}", flush=True)
        source = prepare(project, workdir, wheel, args.fresh)
        runner = Runner(project, workdir)
        lines, data = time_suite(runner, source, args.rounds)
        planted, good = plant(runner, source)
        all_good = all_good and data["alike"] and good
        section = [f"== {project.name} {project.version}", *lines, *planted]
        print("\n".join(section[1:]), flush=True)
        report.extend(section)
        table.append(
            f"  {project.name} {project.version}: {data['tests']} tests, "
            f"same results {'yes' if data['alike'] else 'NO'}, "
            "wall adopt/plain "
            f"{_ratio_text(data['walls']['adopt'], data['walls']['plain'])}, "
            "CPU adopt/plain "
            f"{_ratio_text(data['cpus']['adopt'], data['cpus']['plain'])}, "
            f"planted failure kept {'yes' if good else 'NO'}"
        )
    report.extend(["== summary", *table])
    print("\n".join(report[-len(table) - 1 :]), flush=True)
    (workdir / "report.txt").write_text("\n".join(report) + "\n")
    print(f"saved: {workdir / 'report.txt'}")
    return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(main())
