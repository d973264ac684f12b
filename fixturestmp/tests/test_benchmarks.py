"""The per-test benchmark's harness checks itself: A against A is 1.0x."""

import json

import testtools

from fixturestmp.tests.helpers import REPO_ROOT, run_python


class TestHarness(testtools.TestCase):
    def test_the_same_variant_under_two_names_measures_one(self):
        if not (REPO_ROOT / "benchmarks" / "bench_pertest.py").is_file():
            self.skipTest("the benchmarks ship in the sdist, not with the package")
        variants = "testtools empty,fixtures.TempDir,fixtures.TempDir (again)"
        run = run_python(
            ["-m", "benchmarks.bench_pertest", "5", "--tests", "200",
             "--only", variants, "--json"],
            REPO_ROOT,
        )  # fmt: skip
        self.assertEqual(0, run.returncode, run.stderr)
        result = json.loads(run.stdout)
        for field in ("wall", "cpu"):
            ratios = result["ratios"][field][
                "fixtures.TempDir (again) / fixtures.TempDir"
            ]
            self.assertEqual(5, len(ratios))
            ratios.sort()
            median, spread = ratios[2], ratios[-1] - ratios[0]
            # Measured alike, the two differ by noise only: 1.0 lies within
            # the noise band. A side measured differently moves them apart.
            self.assertLessEqual(abs(median - 1.0), spread, (field, ratios))
