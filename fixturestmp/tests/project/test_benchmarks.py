"""The per-test benchmark's harness checks itself: A against A is 1.0x."""

import json

import testtools

from fixturestmp.tests.support import REPO_ROOT, run_python


class TestHarness(testtools.TestCase):
    def setUp(self):
        super().setUp()
        if not (REPO_ROOT / "benchmarks" / "bench_pertest.py").is_file():
            self.skipTest("the benchmarks ship in the sdist, not with the package")

    def assertAroundOne(self, result: dict, rounds: int) -> None:
        for field in ("wall", "cpu"):
            ratios = result["ratios"][field][
                "fixtures.TempDir (again) / fixtures.TempDir"
            ]
            self.assertEqual(rounds, len(ratios))
            ratios.sort()
            median, spread = ratios[rounds // 2], ratios[-1] - ratios[0]
            # Measured alike, the two differ by noise only: 1.0 lies within
            # the noise band. A side measured differently moves them apart.
            self.assertLessEqual(abs(median - 1.0), spread, (field, ratios))

    def run_bench(self, *args: str) -> dict:
        run = run_python(["-m", "benchmarks.bench_pertest", *args, "--json"], REPO_ROOT)
        self.assertEqual(0, run.returncode, run.stderr)
        return json.loads(run.stdout)

    def test_the_same_variant_under_two_names_measures_one(self):
        variants = "testtools empty,fixtures.TempDir,fixtures.TempDir (again)"
        result = self.run_bench("5", "--tests", "200", "--only", variants)
        self.assertAroundOne(result, 5)

    def test_the_same_in_one_process_block_by_block(self):
        result = self.run_bench("5", "--tests", "100", "--steady")
        self.assertAroundOne(result, 5)
        # Every testtools variant took part, each against the empty block.
        self.assertEqual(
            {"TempDirFixture", "fixturestmp.TempDir", "fixtures.TempDir",
             "fixtures.TempDir (again)", "fixtures.TempDir + Path",
             "mkdtemp+rmtree"},
            set(result["per_test"]["cpu"]),
        )  # fmt: skip

    def test_the_pytest_variants_run_and_are_compared(self):
        variants = (
            "pytest empty,pytest tmp_path,pytest tmp_path (fixturestmp),"
            "pytest tmp_path floor"
        )
        result = self.run_bench("1", "--tests", "50", "--only", variants)
        self.assertEqual(
            {"pytest tmp_path (fixturestmp) / pytest tmp_path",
             "pytest tmp_path floor / pytest tmp_path"},
            {k for k in result["ratios"]["wall"] if k.startswith("pytest")},
        )  # fmt: skip
