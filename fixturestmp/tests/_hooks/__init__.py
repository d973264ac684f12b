"""Tests of fixturestmp._hooks: the start-up and per-test hooks, one module each."""
