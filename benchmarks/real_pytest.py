"""A real pytest suite that uses ``tmp_path``: plain, with pytest's own
``tmp_path``, and with ``fixturestmp.tmp_path``.

Run by hand (it downloads from the package index)::

    python -m benchmarks.real_pytest [--rounds 5] [--workdir DIR]

python-dotenv's sdist (pinned below: 260 tests, most with ``tmp_path``) is
unpacked, a virtual environment is made with ``python -m venv`` and the
sdist is installed with its test requirements and fixturestmp from a wheel
built from this checkout. Then:

1. Its suite runs three ways, round by round in a new shuffled order:
   ``plain`` (``-p no:fixturestmp``: no fixturestmp at all), ``pytest``
   (fixturestmp installed, pytest's own ``tmp_path``) and ``fixturestmp``
   (``-p fixturestmp.tmp_path``). Every run's outcome of every test (from
   ``--junitxml``) is compared; the wall and CPU times of each run are
   taken, and the ratios to ``plain`` given per round: median and range.
2. A failing test is planted in a copy of the suite, a copy of a real
   ``tmp_path`` test that writes a file and fails. It runs with the
   option: its directory must be kept with the file in it, named in the
   summary and in ``fixturestmp ls --json``, and the session must hold
   nothing but the directories of failed tests.

The report is printed and saved in ``WORKDIR/report.txt``.
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
import time
from pathlib import Path
from xml.etree import ElementTree

from benchmarks.bench_startup import build_wheel, make_venv
from benchmarks.common import unpack_sdist

__all__ = ["main"]

PROJECT, VERSION = "python-dotenv", "1.2.4"
VARIANTS = {
    "plain": ["-p", "no:fixturestmp"],
    "pytest": [],
    "fixturestmp": ["-p", "fixturestmp.tmp_path"],
}
PLANTED = """
def test_zz_planted_failure(tmp_path):
    (tmp_path / ".env").write_text("a=b")
    assert False, "planted failure"
"""
FAILED_LINE = re.compile(r"^FAILED (\S+)  (\S+)$", re.MULTILINE)


def prepare(workdir: Path) -> tuple[Path, Path]:
    """Unpack the sdist and make its venv; return the tree and the venv."""
    tree = unpack_sdist(workdir, PROJECT, VERSION)
    venv = workdir / "venv"
    if not (venv / "ready").exists():
        shutil.rmtree(venv, ignore_errors=True)
        python = make_venv(venv)
        wheel = build_wheel(workdir / "wheel")
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"{tree}[cli]", "pytest",
             "sh", "ipython", str(wheel)],
            check=True,
        )  # fmt: skip
        (venv / "ready").touch()
    return tree, venv


def environment(venv: Path, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIXTURESTMP_")}
    env.pop("PYTHONPATH", None)
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        FIXTURESTMP_ROOT=str(root),
    )
    return env


def run(tree: Path, env: dict, args: list[str], report: Path) -> tuple[float, float]:
    """Run the suite; return its wall and CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *args,
         f"--junitxml={report}"],
        cwd=tree, env=env, capture_output=True, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def outcomes(report: Path) -> dict[str, str]:
    found = {}
    for case in ElementTree.parse(report).iter("testcase"):
        tags = {child.tag for child in case}
        found[f"{case.get('classname')}::{case.get('name')}"] = next(
            (tag for tag in ("failure", "error", "skipped") if tag in tags), "passed"
        )
    return found


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.real_pytest")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("real-pytest"))
    args = parser.parse_args()
    workdir = args.workdir.absolute()
    workdir.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    tree, venv = prepare(workdir)
    root = workdir / "root"
    root.mkdir(exist_ok=True)
    env = environment(venv, root)
    load = os.getloadavg()[0]
    say(f"{PROJECT} {VERSION} under pytest, {args.rounds} rounds "
        f"({time.strftime('%Y-%m-%d %H:%M')}, load {load:.1f} at start)")  # fmt: skip
    times: dict[str, list[tuple[float, float]]] = {v: [] for v in VARIANTS}
    results: dict[str, list[dict[str, str]]] = {v: [] for v in VARIANTS}
    order = list(VARIANTS)
    shuffler = random.Random(args.rounds)
    for number in range(args.rounds):
        shuffler.shuffle(order)
        for variant in order:
            report = workdir / f"junit-{variant}.xml"
            wall, cpu = run(tree, env, VARIANTS[variant], report)
            times[variant].append((wall, cpu))
            results[variant].append(outcomes(report))
            say(f"  round {number + 1} {variant:11s} {wall:5.2f} s (CPU {cpu:5.2f} s)")
    first = results["plain"][0]
    same = all(r == first for runs in results.values() for r in runs)
    failing = sorted(t for t, o in first.items() if o in ("failure", "error"))
    say(f"  tests: {len(first)}; same outcome of every test in every run: "
        f"{'yes' if same else 'NO'}; failing in every variant: {failing}")  # fmt: skip
    for variant in ("pytest", "fixturestmp"):
        for index, field in enumerate(("wall", "CPU")):
            ratios = [a[index] / b[index] for a, b in
                      zip(times[variant], times["plain"], strict=True)]  # fmt: skip
            say(f"  {field} {variant} / plain: {spread(ratios)}")
    say(planted(tree, env, workdir, root))
    (workdir / "report.txt").write_text("\n".join(lines) + "\n")
    return 0 if same else 1


def planted(tree: Path, env: dict, workdir: Path, root: Path) -> str:
    """Run a copy of the suite with a failing test planted; check what
    fixturestmp kept and said."""
    copy = workdir / "planted"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(tree, copy)
    (copy / "tests" / "test_zz_planted.py").write_text(PLANTED)
    shutil.rmtree(root)
    root.mkdir()
    done = subprocess.run(
        ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "fixturestmp.tmp_path"],
        cwd=copy, env=env, capture_output=True, text=True,
    )  # fmt: skip
    named = dict(FAILED_LINE.findall(done.stdout))
    planted_id = "tests/test_zz_planted.py::test_zz_planted_failure"
    kept = Path(named.get(planted_id, "/nonexistent"))
    listed = json.loads(
        subprocess.run(
            ["python", "-m", "fixturestmp", "ls", "--json"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    session = Path(listed[0]["path"])
    on_disk = sorted(p.name for p in session.iterdir() if not p.name.startswith("."))
    # A passing test that changed into its directory and stayed there
    # leaves the process in it: kept, recorded as passed.
    stayed = sorted(
        Path(t["path"]).name
        for t in listed[0]["tests"]
        if t["outcome"] == "passed" and t["retained"]
    )
    failed = sorted(Path(p).name for p in named.values())
    checks = {
        "named in the summary": planted_id in named,
        "its file is there": (kept / ".env").is_file(),
        "in fixturestmp ls": any(t["id"] == planted_id for t in listed[0]["tests"]),
        "the session holds only failed tests' directories and those of passing "
        "tests that left the process in them": sorted(failed + stayed) == on_disk,
    }
    said = [f"  planted failure, {kept}:"]
    said += [
        f"    [{'ok' if good else 'FAIL'}] {what}" for what, good in checks.items()
    ]
    said.append(f"    kept for failed tests: {failed}")
    said.append(f"    kept as the working directory after a passing test: {stayed}")
    return "\n".join(said)


if __name__ == "__main__":
    sys.exit(main())
