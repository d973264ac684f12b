"""Make ``doc/_static/report.png``: a real run's report, shot by Chromium.

Run from the repository root with the test requirements and Chromium
installed: ``python doc/report_screenshot.py``. The run is 200 tests in two
``stestr`` workers with the memory check on; two tests hold on to memory
(60 MB and 25 MB) and one fails leaving a log. Memory records come from the
memory check, or where it does not write them yet, from the same stand-in
the report tests use (``fixturestmp/tests/_cli/test_report_html.py``).
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from fixturestmp.tests._cli.test_report_html import SUITE, browse, find_browser  # noqa: E402
from fixturestmp.tests.support.stestr_runs import StestrRun  # noqa: E402

BASE = SUITE.split("        def test_leak_60mb")[0]
IMPORT = "    from suite.base import HELD, TestMemory\n\n\n"
RETRY = [
    "(self.tmp_path / 'client.log').write_text('connecting to 10.0.0.7:8443\\n"
    "retry 1 after timeout\\nretry 2 after timeout\\ngave up after 3 retries\\n')",
    "(self.tmp_path / 'responses').mkdir()",
    "(self.tmp_path / 'responses' / '503.json').write_text("
    "'{\"error\": \"unavailable\"}\\n')",
    "self.fail('gave up after 3 retries')",
]
PASS = ["self.assertEqual(4, len([0] * 4))"]


def methods(bodies: list[tuple[str, list[str]]]) -> str:
    return "".join(
        f"\n        def {name}(self):\n"
        + "".join(f"            {line}\n" for line in body)
        for name, body in bodies
    )


def main() -> None:
    service = IMPORT + "    class TestRemoteService(TestMemory):\n" + methods(
        [("test_connection", ["HELD.append(b'x' * 60_000_000)"]),
         ("test_retry_after_timeout", RETRY)]
        + [(f"test_request_{n:03d}", PASS) for n in range(90)]
    )
    cache = IMPORT + "    class TestCache(TestMemory):\n" + methods(
        [("test_warm_cache", ["HELD.append(b'y' * 25_000_000)"])]
        + [(f"test_lookup_{n:03d}", PASS) for n in range(107)]
    )
    run = StestrRun(
        {"suite/base.py": BASE, "suite/test_service.py": service,
         "suite/test_cache.py": cache},
        env={"FIXTURESTMP_LEAK_CHECKS": "memory"},
    )
    try:
        print(run.result.stderr)
        page = run.top / "report.html"
        run.cli("report", "-o", str(page))
        shot = REPO / "doc" / "_static" / "report.png"
        done = browse(find_browser(), "--window-size=1000,1180",
                      f"--screenshot={shot}", page.as_uri())
        print(done.returncode, shot)
    finally:
        run.remove()


if __name__ == "__main__":
    main()
