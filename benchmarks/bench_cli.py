"""Benchmark 5: ``fixturestmp run`` around an empty command, and the temp scan.

Overhead is measured against the bare command and against a bare Python
start (``python -c pass``), since the wrapper is a Python program. The scan
is measured in a private TMPDIR holding 100,000 entries.
"""

import os
import subprocess
import sys
import time

from benchmarks.common import interleave, isolated_root, report, scratch_dir

ENTRIES = 100_000


def _timed_run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, check=False, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(rounds: int = 7) -> list[str]:
    root = isolated_root()
    env = dict(os.environ, FIXTURESTMP_ROOT=str(root))
    wrapper = [sys.executable, "-m", "fixturestmp.cli", "run"]
    python = [sys.executable, "-c", "pass"]
    wrapped = [*wrapper, "--", "true"]
    medians = interleave(
        {
            "true": lambda: _timed_run(["true"], env),
            "python -c pass": lambda: _timed_run(python, env),
            "fixturestmp run -- true": lambda: _timed_run(wrapped, env),
        },
        rounds,
    )  # fmt: skip
    crowded = scratch_dir("bench-crowded-")
    for number in range(ENTRIES):
        os.close(os.open(crowded / f"entry{number}", os.O_CREAT | os.O_WRONLY))
    crowded_env = dict(env, TMPDIR=str(crowded))
    scans = interleave(
        {
            "plain": lambda: _timed_run([*wrapper, "--", "true"], crowded_env),
            "check": lambda: _timed_run(
                [*wrapper, "--check-leaks", "--", "true"], crowded_env
            ),
        },
        rounds,
    )
    from fixturestmp._cli.tempscan import TempSnapshot

    start = time.perf_counter()
    snapshot = TempSnapshot(crowded)
    assert snapshot.new_entries() == []
    in_process = time.perf_counter() - start
    subprocess.run(["rm", "-rf", str(crowded), str(root)], check=True)
    overhead = medians["fixturestmp run -- true"] - medians["true"]
    beyond_python = medians["fixturestmp run -- true"] - medians["python -c pass"]
    return report(
        "5. fixturestmp run",
        [
            ("run -- true, over true", f"{overhead * 1e3:.1f} ms", "goal <= 100 ms"),
            ("run -- true, over python -c pass", f"{beyond_python * 1e3:.1f} ms",
             f"(interpreter start here: {medians['python -c pass'] * 1e3:.0f} ms)"),
            (f"--check-leaks, {ENTRIES} entries",
             f"{(scans['check'] - scans['plain']) * 1e3:.1f} ms", "goal <= 200 ms"),
            ("  the two listings, in process", f"{in_process * 1e3:.1f} ms", ""),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
