"""The leak checks on real suites that no one here wrote: results and costs.

Run from the repository root (it needs the package index; not part of
``python -m benchmarks`` nor of the unit tests)::

    python -m benchmarks.real_suites [--workdir DIR] [--rounds 3] [--suite NAME]

For each suite it downloads the sdist from the package index (``pip
download --no-binary :all:``), unpacks it, makes a scratch virtualenv with
the suite's test requirements and this checkout of fixturestmp (a wheel, as
users install it), then runs the suite's tests as its own tox file does:

- plain, with the ``fixturestmp`` plugin installed but not asked for;
- with the cheap checks (``environ, fds, files, processes, threads``);
- with all six checks (the cheap ones and ``memory``);

round by round, the variants in turn, and reports per suite: the result
counts of every variant (they must be the same), the wall time and the CPU
time (user + system, of the run's processes) of each variant as ratios to
the plain run of the same round (the median over rounds, and the range),
and every ``LEAKED`` line. On a machine shared with other work the wall
times of one variant vary by 1.5x from round to round; CPU time varies
much less.

The pytest suites get the checks from the pytest plugin
(``--fixturestmp-leaks``), per test. The stestr suite, unchanged, runs
plain, under ``fixturestmp run --check-leaks`` (what the whole run leaves in
the temp directory), and under ``fixturestmp run`` with
``FIXTURESTMP_LEAK_CHECKS`` set to the cheap set and to all six (per test,
every test of every worker); its tests run once more under pytest with the
plugin, as a pytest user of that library would.

Every run gets a private, empty ``TMPDIR``, as a CI job has: the machine's
``/tmp`` is shared with other people's processes, whose entries are nobody's
leak here. A last, untimed run per pytest suite uses pytest-xdist
(``-n 2``) with all six checks: its ``LEAKED`` lines must be those of the
serial run (workers must not blame each other's tests).
"""

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHEAP = "environ,fds,files,processes,threads"
GOAL_CHEAP = 1.1
GOAL_ALL = 1.5


@dataclass
class Suite:
    """A real suite: where it comes from and how its tests are run.

    :ivar name: The distribution on the package index.
    :ivar tests: What pytest is given (paths in the unpacked sdist).
    :ivar requirement_files: Requirement files of the sdist to install.
    :ivar requires: More packages its tests import.
    :ivar install: Install the sdist itself (else it runs from its tree).
    :ivar stestr: Also run it under stestr, as its own tox file does.
    """

    name: str
    tests: list[str]
    requirement_files: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    install: bool = False
    stestr: bool = False


SUITES = [
    Suite("boltons", ["tests"]),
    Suite("more-itertools", ["tests"]),
    Suite("toolz", ["toolz/tests"]),
    Suite(
        "oslo.utils",
        ["oslo_utils/tests"],
        requirement_files=["test-requirements.txt"],
        requires=["cryptography"],
        install=True,
        stestr=True,
    ),
]

_COUNTS = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)\b")
_STESTR_COUNTS = re.compile(
    r"^ - (Passed|Failed|Skipped|Expected Fail|Unexpected Success): (\d+)$", re.M
)


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def checked(command: list[str], cwd: Path) -> None:
    done = run(command, cwd)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout}\n{done.stderr}")


def _sdists(downloads: Path, name: str) -> list[Path]:
    key = re.sub(r"[-_.]+", "_", name).lower() + "-"
    return sorted(
        p for p in downloads.glob("*.tar.gz") if p.name.lower().startswith(key)
    )


def prepare(suite: Suite, workdir: Path) -> tuple[Path, Path]:
    """Download, unpack and install ``suite``; return its tree and python."""
    downloads = workdir / "sdists"
    downloads.mkdir(parents=True, exist_ok=True)
    if not _sdists(downloads, suite.name):
        checked(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
             "--no-binary", ":all:", "-d", str(downloads), suite.name],
            workdir,
        )  # fmt: skip
    sdist = _sdists(downloads, suite.name)[-1]
    tree = workdir / sdist.name[: -len(".tar.gz")]
    if not tree.exists():
        with tarfile.open(sdist) as archive:
            archive.extractall(workdir, filter="data")
    venv = workdir / ("venv-" + re.sub(r"[-_.]+", "_", suite.name).lower())
    python = venv / "bin" / "python"
    if not python.exists():
        checked([sys.executable, "-m", "venv", str(venv)], workdir)
        packages = ["pytest", "pytest-xdist", *suite.requires]
        for name in suite.requirement_files:
            packages += ["-r", str(tree / name)]
        if suite.install:
            packages.append(str(tree))
        if suite.stestr:
            packages.append("stestr")
        checked([str(python), "-m", "pip", "install", "-q", *packages], tree)
    # This checkout, installed as users install it (a wheel), every time.
    pip = [str(python), "-m", "pip", "install", "-q"]
    checked([*pip, "--force-reinstall", "--no-deps", str(REPO)], tree)
    checked([*pip, str(REPO)], tree)
    return tree, python


def pytest_counts(output: str) -> dict[str, int]:
    last = [line for line in output.splitlines() if re.search(r" in \d+\.\d+s", line)]
    counts = {}
    for number, kind in _COUNTS.findall(last[-1] if last else ""):
        counts["errors" if kind.startswith("error") else kind] = int(number)
    return counts


def stestr_counts(output: str) -> dict[str, int]:
    found = _STESTR_COUNTS.findall(output)
    return {kind.lower(): int(number) for kind, number in found}


def leaked(output: str) -> list[str]:
    lines = (line.strip() for line in output.splitlines())
    return [line for line in lines if line.startswith("LEAKED ")]


@dataclass
class Variant:
    """One way of running a suite, and what its runs gave.

    :ivar name: ``plain``, ``cheap``, ``all``...
    :ivar command: Run in the suite's tree.
    :ivar counts: Reads the result counts from the output.
    :ivar timed: Whether its wall time is compared (else run once).
    :ivar env: More environment variables for its runs.
    """

    name: str
    command: list[str]
    counts: Callable[[str], dict[str, int]]
    timed: bool = True
    env: dict[str, str] = field(default_factory=dict)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    results: list[dict[str, int]] = field(default_factory=list)
    leaks: list[list[str]] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)


def variants(suite: Suite, python: Path) -> dict[str, list[Variant]]:
    """Return the groups of variants to compare, by runner."""
    pytest = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    serial = [*pytest, "-p", "no:xdist"]
    cheap, every = f"--fixturestmp-leaks={CHEAP}", "--fixturestmp-leaks=all"
    groups = {
        "pytest": [
            Variant("plain", [*serial, *suite.tests], pytest_counts),
            Variant("cheap", [*serial, cheap, *suite.tests], pytest_counts),
            Variant("all", [*serial, every, *suite.tests], pytest_counts),
            Variant(
                "all, -n 2",
                [*pytest, "-n", "2", every, *suite.tests],
                pytest_counts,
                timed=False,
            ),
        ],
    }
    if suite.stestr:
        stestr = [str(python.parent / "stestr"), "run"]
        wrapped = [str(python.parent / "fixturestmp"), "run", "--"]
        checked = [*wrapped[:2], "--check-leaks", *wrapped[2:]]
        groups["stestr"] = [
            Variant("plain", stestr, stestr_counts),
            Variant("run --check-leaks", [*checked, *stestr], stestr_counts),
            Variant(
                "cheap, per test",
                [*wrapped, *stestr],
                stestr_counts,
                env={"FIXTURESTMP_LEAK_CHECKS": CHEAP},
            ),
            Variant(
                "all, per test",
                [*wrapped, *stestr],
                stestr_counts,
                env={"FIXTURESTMP_LEAK_CHECKS": "all"},
            ),
        ]
    return groups


def run_variant(variant: Variant, tree: Path, workdir: Path) -> None:
    """Run ``variant`` once with a private TMPDIR and fixturestmp root."""
    tmpdir = Path(tempfile.mkdtemp(prefix="tmp-", dir=workdir))
    root = Path(tempfile.mkdtemp(prefix="root-", dir=workdir))
    env = dict(os.environ)
    for name in ("FIXTURESTMP_SESSION", "FIXTURESTMP_LEAK_CHECKS"):
        env.pop(name, None)
    env.update(
        TMPDIR=str(tmpdir), FIXTURESTMP_ROOT=str(root), PYTHONDONTWRITEBYTECODE="1"
    )
    env.update(variant.env)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    done = run(variant.command, tree, env)
    wall = time.perf_counter() - begin
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime
    variant.cpus.append(cpu)
    output = done.stdout + "\n" + done.stderr
    variant.walls.append(wall)
    variant.codes.append(done.returncode)
    variant.results.append(variant.counts(output))
    variant.leaks.append(leaked(output))
    if not variant.results[-1]:
        print(f"   no result counts from {variant.name}:\n{output[-3000:]}", flush=True)
    shutil.rmtree(tmpdir, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)


def _ratios(values: list[float], plain: list[float]) -> str:
    """Return the median of the round-by-round ratios and their range."""
    ratios = [value / base for value, base in zip(values, plain, strict=True)]
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def summarize(title: str, members: list[Variant]) -> list[str]:
    """Return the report of one group: counts, ratios, LEAKED lines.

    A ratio is of one variant's run to the plain run of the same round (the
    variants of a round run one after the other): the median over rounds,
    and the range.
    """
    lines = [f"{title}:"]
    first = members[0].results[0]
    for variant in members:
        same = all(result == first for result in variant.results)
        note = "" if same else f"  RESULTS DIFFER: {variant.results}"
        if variant.timed and variant is not members[0]:
            wall = _ratios(variant.walls, members[0].walls)
            cpu = _ratios(variant.cpus, members[0].cpus)
            goal = GOAL_ALL if variant.name.startswith("all") else GOAL_CHEAP
            note += f"  wall {wall}, CPU {cpu} plain (goal <= {goal}x)"
        lines.append(f"  {variant.name:<18} {variant.results[0]}{note}")
        runs = len(variant.leaks)
        unique = sorted({line for leaks in variant.leaks for line in leaks})
        for line in unique:
            seen = sum(line in leaks for leaks in variant.leaks)
            lines.append(f"      {line}  [{seen} of {runs} runs]")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "fixturestmp-real-suites",
        help="downloads, scratch virtualenvs and runs (kept for the next run)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--suite", action="append", help="only these (by name)")
    parser.add_argument("--output", type=Path, help="write the results as JSON")
    parser.add_argument(
        "--prepare-only", action="store_true", help="download and install only"
    )
    options = parser.parse_args(argv)
    options.workdir.mkdir(parents=True, exist_ok=True)
    chosen = [s for s in SUITES if not options.suite or s.name in options.suite]
    results = {}
    lines = [
        f"python -m benchmarks.real_suites --rounds {options.rounds} "
        f"(Python {sys.version.split()[0]}, {os.cpu_count()} cores)"
    ]
    for suite in chosen:
        print(f"== {suite.name}: preparing", flush=True)
        tree, python = prepare(suite, options.workdir)
        if options.prepare_only:
            continue
        for group, members in variants(suite, python).items():
            print(f"== {suite.name} under {group}: {options.rounds} rounds", flush=True)
            # A warm-up run of each, untimed: the first import of everything.
            for variant in members:
                run_variant(variant, tree, options.workdir)
                variant.walls.clear()
                variant.cpus.clear()
            for _ in range(options.rounds):
                for variant in members:
                    if variant.timed:
                        run_variant(variant, tree, options.workdir)
            found = summarize(f"{suite.name} ({tree.name}) under {group}", members)
            print("\n".join(found), flush=True)
            lines += found
            results[f"{suite.name} {group}"] = [
                {
                    "variant": v.name,
                    "results": v.results,
                    "walls": v.walls,
                    "cpus": v.cpus,
                    "codes": v.codes,
                    "leaks": v.leaks,
                }
                for v in members
            ]
    print("\n".join(lines))
    if options.output:
        options.output.write_text(json.dumps({"report": lines, **results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
