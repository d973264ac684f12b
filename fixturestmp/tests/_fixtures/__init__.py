"""Tests of fixturestmp._fixtures: the fixtures, one module each."""
