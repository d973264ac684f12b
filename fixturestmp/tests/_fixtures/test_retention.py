"""Tests for fixturestmp._fixtures.retention: the decision is a pure function."""

import testtools

from fixturestmp._fixtures.retention import OUTCOMES, decide
from fixturestmp.policy import RetentionPolicy


class TestDecide(testtools.TestCase):
    def test_every_policy_and_outcome(self):
        kept = {
            (policy.value, outcome): decide(policy, outcome, "why").keep
            for policy in RetentionPolicy
            for outcome in OUTCOMES
        }
        self.assertEqual(
            {
                ("all", "passed"): True,
                ("all", "failed"): True,
                ("all", "skipped"): True,
                ("all", "unknown"): True,
                ("failed", "passed"): False,
                ("failed", "failed"): True,
                ("failed", "skipped"): False,
                # Evidence is never deleted on a guess.
                ("failed", "unknown"): True,
                ("none", "passed"): False,
                ("none", "failed"): False,
                ("none", "skipped"): False,
                ("none", "unknown"): False,
            },
            kept,
        )

    def test_text_says_what_happens_and_why(self):
        failed = RetentionPolicy.FAILED
        self.assertEqual(
            "retained: the test failed and retention_policy is failed",
            decide(failed, "failed", "the test failed").text,
        )
        self.assertEqual(
            "removed: the test passed and retention_policy is failed",
            decide(failed, "passed", "the test passed").text,
        )
        unknown = decide(failed, "unknown", "outcome unknown (shared)").text
        self.assertTrue(unknown.startswith("kept: outcome unknown (shared)"), unknown)
        self.assertIn("mark_failed()", unknown)

    def test_a_session_removed_at_its_end_is_said_so(self):
        decision = decide(
            RetentionPolicy.FAILED, "failed", "the test failed", session_kept=False
        )
        self.assertTrue(decision.keep)  # until the run ends
        self.assertTrue(decision.text.startswith("removed when the run ends: "))
        self.assertIn("retention_count is 0", decision.text)
        removed = decide(
            RetentionPolicy.FAILED, "passed", "it passed", session_kept=False
        )
        self.assertEqual(
            "removed: it passed and retention_policy is failed", removed.text
        )

    def test_an_unknown_outcome_name_is_refused(self):
        error = self.assertRaises(ValueError, decide, RetentionPolicy.ALL, "fine", "x")
        self.assertIn("'fine'", str(error))
