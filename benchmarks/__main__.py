"""Run every benchmark in one go: ``python -m benchmarks`` (or ``tox -e bench``).

Each benchmark interleaves its variants round by round and reports medians
and ratios measured in the same run, so the noise of a shared machine hits
every variant alike. ``--quick`` uses fewer rounds.
"""

import argparse
import os
import platform
import subprocess
import sys
import time

from benchmarks import (
    bench_bigtree,
    bench_cli,
    bench_parts,
    bench_pertest,
    bench_prune,
    bench_report,
    bench_startup,
)


def machine() -> str:
    """Return a one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as stream:
            for line in stream:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    processes = len([p for p in os.listdir("/proc") if p.isdigit()])
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {processes} processes running"
    )


def _is_tmpfs(path: str) -> bool:
    try:
        with open("/proc/mounts") as mounts:
            return any(line.split()[1:3] == [path, "tmpfs"] for line in mounts)
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    rounds = 3 if args.quick else 7
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    bench_pertest.main(rounds)
    if _is_tmpfs("/dev/shm"):
        # The same in memory: no disk latency, only the work each one does.
        bench_pertest.main(rounds, "/dev/shm")
    bench_bigtree.main(max(3, rounds - 2))
    bench_prune.main(max(3, rounds - 2))
    print("== 4. leak checks per test (benchmarks/bench_leaks.py)", flush=True)
    leaks = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_leaks",
         "--rounds", "10" if args.quick else "30"],
    )  # fmt: skip
    bench_cli.main(rounds)
    bench_report.main(rounds)
    bench_startup.main(rounds)
    bench_parts.main(300 if args.quick else 1000)
    return leaks.returncode


if __name__ == "__main__":
    sys.exit(main())
