"""Benchmark 6: ``fixturestmp report`` of a synthetic 10,000-test session.

The session is what a run of 10,000 tests in 4 worker processes with the
memory check on leaves: a memory record per test, 50 failed tests with kept
directories (a log, a data file, a subdirectory), 20 leak records, and the
removed directories of the 9,950 passed tests counted. Measured, in the
same run:

- in process, building and rendering the page, against only reading the
  session (``read_session``, what ``fixturestmp ls`` does for one session);
- the commands ``fixturestmp report -o FILE`` and ``--json`` against
  ``fixturestmp ls --json`` on the same root;
- when Chromium is installed, the time headless Chromium takes to load and
  lay out the 10,000-test page (``--dump-dom``) minus the time it takes for
  an empty page: what opening the page costs beyond starting a browser.
"""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import interleave, isolated_root, report

TESTS = 10_000
WORKERS = 4
FAILED = 50
LEAKS = 20
_BROWSER_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
)  # fmt: skip


def populate(root: Path) -> Path:
    """Write the synthetic session under ``root``; return its directory."""
    from fixturestmp._store.basedir import base_name
    from fixturestmp._store.manifest import ManifestWriter

    session = root / base_name() / "run-0"
    session.mkdir(parents=True, mode=0o700)
    writer = ManifestWriter(session)
    shuffle = random.Random(17)
    failed = set(shuffle.sample(range(TESTS), FAILED))
    leaking = shuffle.sample(range(TESTS), LEAKS)
    rss = dict.fromkeys(range(WORKERS), 60_000_000)
    for number in range(TESTS):
        pid, seq = 1000 + number % WORKERS, number // WORKERS
        module = f"project.tests.test_mod{number // 100:03d}"
        test_id = f"{module}.TestCase.test_{number:05d}"
        before = rss[number % WORKERS]
        after = before + shuffle.randint(-200_000, 260_000)
        if number in leaking:
            after += shuffle.randint(12, 700) * 10**6
        rss[number % WORKERS] = max(after, 30_000_000)
        writer.append({"kind": "memory", "id": test_id, "before": before,
                       "after": after, "seq": seq, "pid": pid},
                      urgent=False)  # fmt: skip
        if number in leaking:
            growth = after - before
            writer.append({"kind": "leak", "check": "memory", "id": test_id,
                           "size": growth, "pid": pid,
                           "summary": f"LEAKED {growth / 1e6:.1f}MB in {test_id}"},
                          urgent=False)  # fmt: skip
        if number in failed:
            kept = session / f"test_{number:05d}0"
            (kept / "data").mkdir(parents=True)
            (kept / "server.log").write_text("".join(
                f"2026-12-01 00:00:{n:02d} line {n} of the server log\n"
                for n in range(60)
            ))  # fmt: skip
            (kept / "data" / "rows.csv").write_text("a,b\n1,2\n" * 40)
            writer.append({"kind": "test", "id": test_id, "path": str(kept),
                           "outcome": "failed", "retained": True, "pid": pid,
                           "time": 0.0}, urgent=False)  # fmt: skip
        else:
            writer.count_removed()
    writer.close()
    return session


def _timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _browse(browser: str, url: str) -> float:
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    try:
        start = time.perf_counter()
        done = subprocess.run(
            [browser, *_BROWSER_FLAGS, f"--user-data-dir={profile}",
             "--dump-dom", url],
            check=True, capture_output=True,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        assert b"memory-chart" in done.stdout or b"empty" in done.stdout
        return elapsed
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main(rounds: int = 7) -> list[str]:
    from fixturestmp._cli.report_data import build_report
    from fixturestmp._cli.report_html import render_html
    from fixturestmp._store.inventory import read_session
    from fixturestmp._store.selection import Selection

    root = isolated_root()
    session = populate(root)
    env = dict(os.environ, FIXTURESTMP_ROOT=str(root))
    cli = [sys.executable, "-m", "fixturestmp.cli"]
    page = root / "report.html"
    empty = root / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body><p>empty</p></body></html>\n")

    def in_process_report() -> float:
        start = time.perf_counter()
        render_html(build_report(Selection(read_session(session, 0))))
        return time.perf_counter() - start

    def in_process_read() -> float:
        start = time.perf_counter()
        read_session(session, 0)
        return time.perf_counter() - start

    variants = {
        "report, in process": in_process_report,
        "read_session": in_process_read,
        "fixturestmp report -o": lambda: _timed([*cli, "report", "-o", str(page)], env),
        "fixturestmp report --json": lambda: _timed([*cli, "report", "--json"], env),
        "fixturestmp ls --json": lambda: _timed([*cli, "ls", "--json"], env),
    }
    browser = _browser()
    if browser is not None:
        _timed([*cli, "report", "-o", str(page)], env)
        variants["chromium, report page"] = lambda: _browse(browser, page.as_uri())
        variants["chromium, empty page"] = lambda: _browse(browser, empty.as_uri())
    medians = interleave(variants, rounds)
    _timed([*cli, "report", "-o", str(page)], env)
    size = page.stat().st_size
    ms = {name: f"{value * 1e3:.0f} ms" for name, value in medians.items()}
    ratio = medians["report, in process"] / medians["read_session"]
    cli_ratio = medians["fixturestmp report -o"] / medians["fixturestmp ls --json"]
    rows = [
        (f"report of {TESTS} tests, in process", ms["report, in process"],
         f"{ratio:.2f}x reading the session ({ms['read_session']})"),
        ("fixturestmp report -o FILE", ms["fixturestmp report -o"],
         f"{cli_ratio:.2f}x fixturestmp ls --json ({ms['fixturestmp ls --json']})"),
        ("fixturestmp report --json", ms["fixturestmp report --json"], ""),
        ("page size", f"{size / 1024:.0f} KiB", f"{page.read_text().count('<')} tags"),
    ]  # fmt: skip
    if browser is not None:
        opening = medians["chromium, report page"] - medians["chromium, empty page"]
        rows.append(("chromium: page over an empty one", f"{opening * 1e3:.0f} ms",
                     f"goal < 1000 ms ({ms['chromium, empty page']} for the "
                     f"empty page)"))  # fmt: skip
    else:
        rows.append(("chromium", "not installed", "page opening not measured"))
    return report("6. fixturestmp report, 10,000-test session", rows)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
