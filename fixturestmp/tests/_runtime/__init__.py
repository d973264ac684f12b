"""Tests of fixturestmp._runtime: the adapter to the running test runner."""
