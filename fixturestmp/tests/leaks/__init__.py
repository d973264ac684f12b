"""Tests of fixturestmp.leaks: the leak checks, one module each."""
