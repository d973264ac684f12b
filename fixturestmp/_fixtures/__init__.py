"""The test-facing fixtures: TempDirFixture, the drop-in TempDir,
SessionTempFixture and the default session, and what follows from a
test's outcome (retention, details). The outcome itself is learned in
:mod:`fixturestmp._runtime` (the watch).
"""
