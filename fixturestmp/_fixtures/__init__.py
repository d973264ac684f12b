"""The test-facing fixtures: TempDirFixture, the drop-in TempDir,
SessionTempFixture and the default session, and how a directory learns
its test's outcome (the watch) and what follows from it (retention,
details).
"""
